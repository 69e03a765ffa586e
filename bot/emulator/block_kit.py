"""Block Kit validation for the fake Slack API.

Slack refuses a whole message or view when one block breaks a Block Kit rule, and the
bot only learns about it in production. The fake runs every payload through this module
so the test suite fails on the same payloads. It checks the limits Outpost can plausibly
hit (sizes, counts, text object types, unknown types); it is not a full schema.

Errors are formatted like Slack's ``response_metadata.messages``:
``[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text]``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, Literal

Surface = Literal["message", "modal", "home"]

MAX_BLOCKS: Final[dict[str, int]] = {"message": 50, "modal": 100, "home": 100}
TEXT_TYPES: Final = frozenset({"plain_text", "mrkdwn"})

_SELECTS: Final = frozenset(
    {
        "static_select",
        "multi_static_select",
        "external_select",
        "multi_external_select",
        "users_select",
        "multi_users_select",
        "conversations_select",
        "multi_conversations_select",
        "channels_select",
        "multi_channels_select",
    }
)
_CHOICES: Final = frozenset({"checkboxes", "radio_buttons", "datepicker", "timepicker"})
_TEXT_INPUTS: Final = frozenset(
    {
        "plain_text_input",
        "email_text_input",
        "url_text_input",
        "number_input",
        "rich_text_input",
        "datetimepicker",
        "file_input",
    }
)
_ACTIONS_ELEMENTS: Final = _SELECTS | _CHOICES | {"button", "overflow", "workflow_button"}
_ACCESSORY_ELEMENTS: Final = _ACTIONS_ELEMENTS | {"image"}
_INPUT_ELEMENTS: Final = _SELECTS | _CHOICES | _TEXT_INPUTS


class _Checker:
    """Accumulates errors for one payload (block_ids must be unique across it)."""

    def __init__(self, surface: Surface) -> None:
        self.surface = surface
        self.errors: list[str] = []
        self.block_ids: set[str] = set()

    def error(self, message: str, pointer: str) -> None:
        self.errors.append(f"[ERROR] {message} [json-pointer:{pointer}]")

    def string(self, value: Any, pointer: str, *, max_len: int, required: bool = False) -> None:
        if value is None:
            if required:
                self.error("missing required field", pointer)
        elif not isinstance(value, str):
            self.error("must be a string", pointer)
        elif required and not value:
            self.error("must be more than 0 characters", pointer)
        elif len(value) > max_len:
            self.error(f"must be less than {max_len + 1} characters", pointer)

    def text(
        self,
        obj: Any,
        pointer: str,
        *,
        max_len: int,
        plain_only: bool = False,
        required: bool = True,
    ) -> None:
        if obj is None:
            if required:
                self.error("missing required field", pointer)
            return
        if not isinstance(obj, dict):
            self.error("must be a text object", pointer)
            return
        kind = obj.get("type")
        if kind not in TEXT_TYPES:
            self.error("must be a valid enum value (plain_text or mrkdwn)", f"{pointer}/type")
        elif plain_only and kind != "plain_text":
            self.error("must be plain_text", f"{pointer}/type")
        value = obj.get("text")
        if not isinstance(value, str) or not value:
            self.error("must be more than 0 characters", f"{pointer}/text")
        elif len(value) > max_len:
            self.error(f"must be less than {max_len + 1} characters", pointer)

    def array(self, value: Any, pointer: str, *, max_items: int, min_items: int = 1) -> list[Any]:
        if not isinstance(value, list):
            self.error("must be an array", pointer)
            return []
        if len(value) < min_items:
            self.error(f"must provide at least {min_items} items", pointer)
        if len(value) > max_items:
            self.error(f"no more than {max_items} items allowed", pointer)
        return value

    def obj(self, value: Any, pointer: str) -> dict[str, Any] | None:
        if isinstance(value, dict):
            return value
        self.error("must be an object", pointer)
        return None


# --- elements -------------------------------------------------------------------------


def _options(
    c: _Checker, options: Any, pointer: str, *, max_items: int, plain_only: bool = True
) -> None:
    for i, raw in enumerate(c.array(options, pointer, max_items=max_items)):
        option = c.obj(raw, f"{pointer}/{i}")
        if option is None:
            continue
        c.text(option.get("text"), f"{pointer}/{i}/text", max_len=75, plain_only=plain_only)
        c.string(option.get("value"), f"{pointer}/{i}/value", max_len=150, required=True)
        c.text(
            option.get("description"),
            f"{pointer}/{i}/description",
            max_len=75,
            plain_only=plain_only,
            required=False,
        )


def _confirm(c: _Checker, confirm: Any, pointer: str) -> None:
    dialog = c.obj(confirm, pointer)
    if dialog is None:
        return
    c.text(dialog.get("title"), f"{pointer}/title", max_len=100, plain_only=True)
    c.text(dialog.get("text"), f"{pointer}/text", max_len=300)
    c.text(dialog.get("confirm"), f"{pointer}/confirm", max_len=30, plain_only=True)
    c.text(dialog.get("deny"), f"{pointer}/deny", max_len=30, plain_only=True)


def _button(c: _Checker, el: dict[str, Any], pointer: str) -> None:
    c.text(el.get("text"), f"{pointer}/text", max_len=75, plain_only=True)
    c.string(el.get("value"), f"{pointer}/value", max_len=2000)
    c.string(el.get("url"), f"{pointer}/url", max_len=3000)
    style = el.get("style")
    if style is not None and style not in ("primary", "danger"):
        c.error("must be a valid enum value (primary or danger)", f"{pointer}/style")


def _static_select(c: _Checker, el: dict[str, Any], pointer: str) -> None:
    options, groups = el.get("options"), el.get("option_groups")
    if (options is None) == (groups is None):
        c.error("must provide exactly one of options or option_groups", pointer)
    if options is not None:
        _options(c, options, f"{pointer}/options", max_items=100)
    for i, raw in enumerate(
        c.array(groups, f"{pointer}/option_groups", max_items=100) if groups is not None else []
    ):
        group = c.obj(raw, f"{pointer}/option_groups/{i}")
        if group is not None:
            c.text(
                group.get("label"),
                f"{pointer}/option_groups/{i}/label",
                max_len=75,
                plain_only=True,
            )
            _options(c, group.get("options"), f"{pointer}/option_groups/{i}/options", max_items=100)


def _overflow(c: _Checker, el: dict[str, Any], pointer: str) -> None:
    _options(c, el.get("options"), f"{pointer}/options", max_items=5)


def _checkable(c: _Checker, el: dict[str, Any], pointer: str) -> None:
    _options(c, el.get("options"), f"{pointer}/options", max_items=10, plain_only=False)


def _plain_text_input(c: _Checker, el: dict[str, Any], pointer: str) -> None:
    initial = el.get("initial_value")
    if initial is not None and not isinstance(initial, str):
        c.error("must be a string", f"{pointer}/initial_value")
    max_length = el.get("max_length")
    if max_length is not None and (not isinstance(max_length, int) or max_length > 3000):
        c.error("must be an integer no greater than 3000", f"{pointer}/max_length")


def _image_element(c: _Checker, el: dict[str, Any], pointer: str) -> None:
    if el.get("image_url") is None and el.get("slack_file") is None:
        c.error("must provide image_url or slack_file", pointer)
    c.string(el.get("image_url"), f"{pointer}/image_url", max_len=3000)
    c.string(el.get("alt_text"), f"{pointer}/alt_text", max_len=2000, required=True)


_ELEMENT_RULES: Final[dict[str, Callable[[_Checker, dict[str, Any], str], None]]] = {
    "button": _button,
    "static_select": _static_select,
    "multi_static_select": _static_select,
    "overflow": _overflow,
    "checkboxes": _checkable,
    "radio_buttons": _checkable,
    "plain_text_input": _plain_text_input,
    "image": _image_element,
}


def _element(c: _Checker, raw: Any, pointer: str, *, allowed: frozenset[str]) -> str | None:
    """Validate one element; returns its action_id, if any, for duplicate detection."""
    el = c.obj(raw, pointer)
    if el is None:
        return None
    kind = el.get("type")
    if kind not in allowed:
        c.error(f"unsupported type: {kind}", f"{pointer}/type")
        return None
    rule = _ELEMENT_RULES.get(kind)
    if rule is not None:
        rule(c, el, pointer)
    c.text(
        el.get("placeholder"),
        f"{pointer}/placeholder",
        max_len=150,
        plain_only=True,
        required=False,
    )
    if el.get("confirm") is not None:
        _confirm(c, el["confirm"], f"{pointer}/confirm")
    action_id = el.get("action_id")
    c.string(action_id, f"{pointer}/action_id", max_len=255)
    return action_id if isinstance(action_id, str) else None


# --- blocks ---------------------------------------------------------------------------


def _section(c: _Checker, block: dict[str, Any], pointer: str) -> None:
    text, fields = block.get("text"), block.get("fields")
    if text is None and fields is None:
        c.error("must provide either text or fields", pointer)
    c.text(text, f"{pointer}/text", max_len=3000, required=False)
    if fields is not None:
        for i, field in enumerate(c.array(fields, f"{pointer}/fields", max_items=10)):
            c.text(field, f"{pointer}/fields/{i}", max_len=2000)
    if block.get("accessory") is not None:
        _element(c, block["accessory"], f"{pointer}/accessory", allowed=_ACCESSORY_ELEMENTS)


def _header(c: _Checker, block: dict[str, Any], pointer: str) -> None:
    c.text(block.get("text"), f"{pointer}/text", max_len=150, plain_only=True)


def _context(c: _Checker, block: dict[str, Any], pointer: str) -> None:
    elements = c.array(block.get("elements"), f"{pointer}/elements", max_items=10)
    for i, element in enumerate(elements):
        if isinstance(element, dict) and element.get("type") == "image":
            _image_element(c, element, f"{pointer}/elements/{i}")
        else:
            c.text(element, f"{pointer}/elements/{i}", max_len=3000)


def _actions(c: _Checker, block: dict[str, Any], pointer: str) -> None:
    seen: set[str] = set()
    elements = c.array(block.get("elements"), f"{pointer}/elements", max_items=25)
    for i, raw in enumerate(elements):
        element_pointer = f"{pointer}/elements/{i}"
        action_id = _element(c, raw, element_pointer, allowed=_ACTIONS_ELEMENTS)
        if action_id is not None and action_id in seen:
            c.error(f"duplicate action_id: {action_id}", f"{element_pointer}/action_id")
        if action_id is not None:
            seen.add(action_id)


def _input(c: _Checker, block: dict[str, Any], pointer: str) -> None:
    if c.surface == "message":
        c.error("input blocks are not allowed in messages", f"{pointer}/type")
        return
    c.text(block.get("label"), f"{pointer}/label", max_len=2000, plain_only=True)
    c.text(block.get("hint"), f"{pointer}/hint", max_len=2000, plain_only=True, required=False)
    if block.get("element") is None:
        c.error("missing required field", f"{pointer}/element")
    else:
        _element(c, block["element"], f"{pointer}/element", allowed=_INPUT_ELEMENTS)


def _image(c: _Checker, block: dict[str, Any], pointer: str) -> None:
    _image_element(c, block, pointer)
    c.text(block.get("title"), f"{pointer}/title", max_len=2000, plain_only=True, required=False)


def _markdown(c: _Checker, block: dict[str, Any], pointer: str) -> None:
    c.string(block.get("text"), f"{pointer}/text", max_len=12000, required=True)


def _rich_text(c: _Checker, block: dict[str, Any], pointer: str) -> None:
    c.array(block.get("elements"), f"{pointer}/elements", max_items=1000)


def _no_rules(c: _Checker, block: dict[str, Any], pointer: str) -> None:
    """Known block types the bot does not use; accepted without deeper checks."""


_BLOCK_RULES: Final[dict[str, Callable[[_Checker, dict[str, Any], str], None]]] = {
    "section": _section,
    "header": _header,
    "context": _context,
    "actions": _actions,
    "input": _input,
    "image": _image,
    "markdown": _markdown,
    "rich_text": _rich_text,
    "divider": _no_rules,
    "file": _no_rules,
    "video": _no_rules,
}


def _block(c: _Checker, raw: Any, pointer: str) -> None:
    block = c.obj(raw, pointer)
    if block is None:
        return
    rule = _BLOCK_RULES.get(block.get("type"))  # type: ignore[arg-type]
    if rule is None:
        c.error(f"unsupported type: {block.get('type')}", f"{pointer}/type")
        return
    block_id = block.get("block_id")
    c.string(block_id, f"{pointer}/block_id", max_len=255)
    if isinstance(block_id, str):
        if block_id in c.block_ids:
            c.error(f"duplicate block_id: {block_id}", f"{pointer}/block_id")
        c.block_ids.add(block_id)
    rule(c, block, pointer)


def _check_blocks(c: _Checker, blocks: Any, pointer: str) -> None:
    for i, raw in enumerate(c.array(blocks, pointer, max_items=MAX_BLOCKS[c.surface], min_items=0)):
        _block(c, raw, f"{pointer}/{i}")


def block_kit_errors(blocks: Any, *, surface: Surface, pointer: str = "/blocks") -> list[str]:
    """Return Slack-style errors for a list of blocks shown on `surface`; empty when valid."""
    checker = _Checker(surface)
    _check_blocks(checker, blocks, pointer)
    return checker.errors


def view_errors(view: Any, *, pointer: str = "/view") -> list[str]:
    """Return Slack-style errors for a modal or home view object; empty when valid."""
    if not isinstance(view, dict):
        return [f"[ERROR] must be an object [json-pointer:{pointer}]"]
    kind = view.get("type")
    if kind not in ("modal", "home"):
        return [f"[ERROR] must be a valid enum value (modal or home) [json-pointer:{pointer}/type]"]
    checker = _Checker(kind)
    if kind == "modal":
        _modal_chrome(checker, view, pointer)
    checker.string(view.get("callback_id"), f"{pointer}/callback_id", max_len=255)
    checker.string(view.get("private_metadata"), f"{pointer}/private_metadata", max_len=3000)
    checker.string(view.get("external_id"), f"{pointer}/external_id", max_len=255)
    if view.get("blocks") is None:
        checker.error("missing required field", f"{pointer}/blocks")
    else:
        _check_blocks(checker, view["blocks"], f"{pointer}/blocks")
    return checker.errors


def _modal_chrome(c: _Checker, view: dict[str, Any], pointer: str) -> None:
    c.text(view.get("title"), f"{pointer}/title", max_len=24, plain_only=True)
    c.text(view.get("submit"), f"{pointer}/submit", max_len=24, plain_only=True, required=False)
    c.text(view.get("close"), f"{pointer}/close", max_len=24, plain_only=True, required=False)
    blocks = view.get("blocks")
    has_input = isinstance(blocks, list) and any(
        isinstance(b, dict) and b.get("type") == "input" for b in blocks
    )
    if has_input and view.get("submit") is None:
        c.error("submit is required when a modal contains input blocks", f"{pointer}/submit")

"""What Slack refuses in a Web API call's arguments, for every API area of the fake.

A method handler raises ``Refusal``; the server turns it into Slack's ``{"ok": false,
"error": code}`` with HTTP 200. The checks here are the ones more than one area makes: how
Slack reads string and number arguments, a message's text and blocks (Block Kit's own limits
are in ``bot.emulator.block_kit``), message metadata, and a view.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final

from bot.emulator.block_kit import block_kit_errors, view_errors

MAX_MESSAGE_TEXT: Final = 40_000
_EVENT_TYPE_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_.")

Args = dict[str, Any]
Handler = Callable[[Args], Awaitable[dict[str, Any]]]


@dataclass
class Refusal(Exception):
    """Raised by handlers; becomes ``{"ok": false, "error": code}`` with HTTP 200."""

    code: str
    messages: list[str] = field(default_factory=list)
    details: dict[str, str] = field(default_factory=dict)  # beside "error", as Slack puts them

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error": self.code, **self.details}
        if self.messages:
            body["response_metadata"] = {"messages": self.messages}
        return body


def str_arg(args: Args, name: str) -> str | None:
    """A non-empty string argument, or None (Slack treats other JSON types as absent)."""
    value = args.get(name)
    return value if isinstance(value, str) and value else None


def positive_int(value: Any) -> int | None:
    """A whole number above 0, given as a number or as its decimal string; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    return value if isinstance(value, int) and value > 0 else None


def message_content(args: Args) -> tuple[str | None, list[dict[str, Any]] | None]:
    """Validate text/blocks of a chat.* call; None means the argument was not given."""
    text, blocks = args.get("text"), args.get("blocks")
    if text is not None and not isinstance(text, str):
        raise Refusal("invalid_arguments", ["[ERROR] must be a string [json-pointer:/text]"])
    if blocks is not None and not isinstance(blocks, list):
        raise Refusal("invalid_blocks_format")
    if not text and not blocks and not args.get("attachments"):
        raise Refusal("no_text")
    if text is not None and len(text) > MAX_MESSAGE_TEXT:
        raise Refusal("msg_too_long")
    if blocks:
        errors = block_kit_errors(blocks, surface="message")
        if errors:
            raise Refusal("invalid_blocks", errors)
    return text, copy.deepcopy(blocks)


def valid_metadata(value: Any) -> dict[str, Any] | None:
    """A message's `metadata`, checked as Slack checks it: an `event_type` of lower-case
    letters, digits, dots and underscores, and an `event_payload` object."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise Refusal("invalid_metadata_format")
    event_type, payload = value.get("event_type"), value.get("event_payload")
    if (
        not isinstance(event_type, str)
        or not event_type
        or not set(event_type) <= _EVENT_TYPE_CHARS
        or not isinstance(payload, dict)
    ):
        raise Refusal("invalid_metadata_schema")
    return {"event_type": event_type, "event_payload": copy.deepcopy(payload)}


def valid_view(args: Args, *, kind: str) -> dict[str, Any]:
    """The call's `view`, a valid one of type `kind`, or refused with Slack's messages."""
    view = args.get("view")
    if not isinstance(view, dict):
        raise Refusal("invalid_arguments", ["[ERROR] missing required field: view"])
    errors = view_errors(view)
    if not errors and view["type"] != kind:
        errors = [f"[ERROR] must be {kind} for this method [json-pointer:/view/type]"]
    if errors:
        raise Refusal("invalid_arguments", errors)
    return view

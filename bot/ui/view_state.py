"""Reading what was typed into a submitted modal, whatever shape the payload arrives in.

Slack sends a modal's inputs under `view.state.values[block][action]`. A payload of another
shape (forged, or from a Slack that changed) must read as "nothing typed" or be refused as
unreadable, never fail on a missing or mistyped level.
"""

from __future__ import annotations

from typing import Any


def input_state(view: Any, block: str, action: str) -> dict[str, Any]:
    """The state of one input, or {} when any level is missing or not an object."""
    node: Any = view
    for key in ("state", "values", block, action):
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def typed_text(view: Any, block: str, action: str) -> str:
    """A text input's value, trimmed; "" when empty or absent."""
    value = input_state(view, block, action).get("value")
    return value.strip() if isinstance(value, str) else ""


def selected_option(view: Any, block: str, action: str) -> tuple[str, str]:
    """The value and the shown text of a select's chosen option; ("", "") when none is."""
    option = input_state(view, block, action).get("selected_option")
    if not isinstance(option, dict):
        return "", ""
    value, text = option.get("value"), option.get("text")
    shown = text.get("text") if isinstance(text, dict) else None
    return (
        value.strip() if isinstance(value, str) else "",
        shown if isinstance(shown, str) else "",
    )


def private_metadata(view: Any) -> str:
    """The JSON Outpost put in the view, or "{}" (which then fails the model's validation)."""
    raw = view.get("private_metadata") if isinstance(view, dict) else None
    return raw if isinstance(raw, str) and raw else "{}"

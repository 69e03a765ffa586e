"""The few Block Kit shapes Outpost builds, so that builders read as what they show."""

from __future__ import annotations

from typing import Any

from bot.ui.text import FIELD_TEXT_LIMIT, PLAIN_TEXT_LIMIT, SECTION_TEXT_LIMIT, cut

Block = dict[str, Any]


def mrkdwn(text: str) -> Block:
    return {"type": "mrkdwn", "text": text}


def plain(text: str, limit: int = PLAIN_TEXT_LIMIT) -> Block:
    return {"type": "plain_text", "text": cut(text, limit), "emoji": True}


def section(text: str, *, fields: list[str] | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(cut(text, SECTION_TEXT_LIMIT))}
    if fields:
        block["fields"] = [mrkdwn(cut(field, FIELD_TEXT_LIMIT)) for field in fields[:10]]
    return block


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(cut(t, SECTION_TEXT_LIMIT)) for t in texts[:10]]}


def divider() -> Block:
    return {"type": "divider"}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text)}


def text_input(
    block_id: str,
    action_id: str,
    label: str,
    *,
    hint: str | None = None,
    initial: str = "",
    optional: bool = False,
    multiline: bool = False,
    min_length: int | None = None,
    max_length: int | None = None,
) -> Block:
    """A plain text input in a modal."""
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": action_id,
        "multiline": multiline,
    }
    if initial:
        element["initial_value"] = initial
    if min_length:
        element["min_length"] = min_length
    if max_length:
        element["max_length"] = max_length
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "optional": optional,
        "element": element,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block

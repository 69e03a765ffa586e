"""What a person reads in Block Kit blocks, for tests that check the words rather than the
layout."""

from __future__ import annotations

from typing import Any


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    """Every text a person reads in a list of blocks."""
    found: list[str] = []
    for block in blocks:
        if isinstance(block.get("text"), dict):
            found.append(block["text"]["text"])
        found.extend(field["text"] for field in block.get("fields", []))
        for element in block.get("elements", []):
            text = element.get("text")
            found.append(text["text"] if isinstance(text, dict) else text or "")
    return found


def readable(blocks: list[dict[str, Any]]) -> str:
    return "\n".join(texts(blocks))

"""The "Mark resolved" modal: ops say how a failed operation was fixed by hand."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from bot.ui.blocks import plain, section
from bot.ui.ids import ActionId, BlockId, CallbackId
from bot.ui.text import code

NOTE_MIN = 10


class ResolveMetadata(BaseModel):
    operation_id: str
    channel: str


def resolve_view(metadata: ResolveMetadata) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": CallbackId.RESOLVE,
        "title": plain("Mark resolved"),
        "submit": plain("Mark resolved"),
        "close": plain("Cancel"),
        "private_metadata": metadata.model_dump_json(),
        "blocks": [
            section(
                f"Mark {code(metadata.operation_id)} resolved: it failed, and someone fixed it "
                "by hand. Outpost will not retry it. The note goes in its thread."
            ),
            {
                "type": "input",
                "block_id": BlockId.RESOLVE_NOTE,
                "label": plain("What was done"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ActionId.RESOLVE_NOTE,
                    "multiline": True,
                    "min_length": NOTE_MIN,
                    "max_length": 2000,
                },
            },
        ],
    }


def parse_resolve(view: dict[str, Any]) -> tuple[ResolveMetadata, str]:
    metadata = ResolveMetadata.model_validate_json(view.get("private_metadata") or "{}")
    values = view.get("state", {}).get("values", {})
    note = values.get(BlockId.RESOLVE_NOTE, {}).get(ActionId.RESOLVE_NOTE, {}).get("value")
    return metadata, (note or "").strip()

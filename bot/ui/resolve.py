"""The "Mark resolved" modal: ops say how a failed operation was fixed by hand."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from bot.ui.blocks import plain, section
from bot.ui.ids import ActionId, BlockId, CallbackId
from bot.ui.new_account import FormUnreadable
from bot.ui.text import code
from bot.ui.view_state import private_metadata, typed_text

NOTE_MIN = 10


class ResolveMetadata(BaseModel):
    operation_id: str
    channel: str


def note_too_short() -> str:
    return f"Say what was done, in {NOTE_MIN} characters or more."


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
    try:
        metadata = ResolveMetadata.model_validate_json(private_metadata(view))
    except ValidationError as error:
        raise FormUnreadable(str(error)) from error
    return metadata, typed_text(view, BlockId.RESOLVE_NOTE, ActionId.RESOLVE_NOTE)

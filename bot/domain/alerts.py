"""Stuck alerts as posted in Slack, remembered in the store.

An alert offers Retry now and Cancel for the stall it was posted about. Once the operation has
moved on, those buttons could only be refused, so they go; the process that takes them off may
not be the one that posted the alert, hence the record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from bot.domain.operations import Operation, OperationState


class PostedAlert(BaseModel, frozen=True):
    operation_id: str
    channel: str
    ts: str
    stalled_since: datetime  # the operation's last progress when the alert was raised
    # What the alert said, so that it can be shown again without its buttons.
    text: str
    blocks: list[dict[str, Any]]

    def moved_on(self, operation: Operation) -> bool:
        """Whether `operation` has left the stall this alert is about: it ended, or made
        progress since (a retry counts)."""
        return (
            operation.state is not OperationState.RUNNING
            or operation.progress_at > self.stalled_since
        )

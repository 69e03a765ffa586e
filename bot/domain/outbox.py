"""Messages waiting to be delivered to Slack.

Slack is a view of the store: what should be said is stored first, and delivered later by
the outbox worker, so that a Slack outage never blocks or loses AWS work.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel


class Delivery(StrEnum):
    CARD = "card"  # post or refresh an operation's card, rendered from its state at delivery
    THREAD = "thread"  # a reply in the operation card's thread
    DIRECT = "direct"  # a direct message to a user
    AUDIT = "audit"  # a line in AUDIT_CHANNEL
    EDIT = "edit"  # new text and blocks for a message posted earlier, at `channel` and `ts`


class OutboxMessage(BaseModel, frozen=True):
    stream: str  # messages of one stream are delivered in order; usually an operation id
    delivery: Delivery
    text: str = ""
    blocks: list[dict[str, Any]] = []
    user: str | None = None  # the recipient of a direct message
    # An audit event to render at delivery, instead of `text` and `blocks`.
    audit_id: str | None = None
    # Where the message an edit replaces is.
    channel: str | None = None
    ts: str | None = None
    # A stuck alert about the stall that began then: remembered once posted, so that its
    # buttons can be taken off when the operation moves on.
    stalled_since: datetime | None = None


class OutboxEntry(BaseModel, frozen=True):
    id: str  # made up by the store; a stream's order does not follow it
    message: OutboxMessage
    attempts: int
    # How many times a worker took it for delivery, this time included. More than one: an
    # earlier delivery ended without being recorded, and may have reached Slack.
    claims: int = 0

    @property
    def maybe_delivered(self) -> bool:
        return self.claims > 1

"""Slack delivers an event again when it did not see an answer in time: each is acted on once.

The event id is claimed in the store, which every replica shares, before anything is done, and
remembered for `SLACK_EVENT_RETENTION`; a claim already there means another delivery of the
same event is being or was acted on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock
from bot.store.base import EventClaims


@dataclass(frozen=True)
class SlackEvents:
    claims: EventClaims
    clock: Clock
    keep_for: timedelta

    async def first_delivery(self, event_id: str) -> bool:
        """Whether this is the first delivery of `event_id`: only then is it acted on."""
        return await self.claims.claim_event(event_id, self.clock.now(), self.keep_for)

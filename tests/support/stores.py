"""The store as tests see it: the ports the bot uses, and a look at the queue the bot never needs.

`due_messages` and `pending_count` are not part of `Store`: nothing in the bot reads the outbox
without claiming it. Every backend answers them, so that tests can say what is waiting.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.domain.outbox import OutboxEntry
from bot.store.base import Store


class InspectableStore(Store, Protocol):
    async def due_messages(self, now: datetime, limit: int) -> list[OutboxEntry]:
        """The first pending message of each stream, if it is due: what a deliverer would
        claim, left unclaimed."""
        ...

    async def pending_count(self) -> int:
        """Messages not delivered yet and not given up on."""
        ...

"""The store as tests see it: the ports the bot uses, and a look at the queue the bot never needs.

`due_messages`, `pending_count`, `unclaimed_messages` and `all_grants` are not part of `Store`:
nothing in the bot reads the outbox without claiming it, nor every grant at once. Every backend
answers them, so that tests can say what is waiting and how each grant ended.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol, TypeVar, cast

from bot.clock import SystemClock
from bot.domain.grants import Grant
from bot.domain.outbox import OutboxEntry
from bot.store import open_store
from bot.store.base import Store

T = TypeVar("T")


class InspectableStore(Store, Protocol):
    async def due_messages(self, now: datetime, limit: int) -> list[OutboxEntry]:
        """The first pending message of each stream, if it is due: what a deliverer would
        claim, left unclaimed."""
        ...

    async def pending_count(self) -> int:
        """Messages not delivered yet and not given up on."""
        ...

    async def unclaimed_messages(self) -> list[OutboxEntry]:
        """Pending messages no deliverer holds, due or not, in the order they were queued."""
        ...

    async def all_grants(self) -> list[Grant]:
        """Every grant, however it ended, in the order they were filed."""
        ...


async def read_store(url: str, read: Callable[[InspectableStore], Awaitable[T]]) -> T:
    """What `read` finds in the store at `url`: a running bot's, or the one a killed bot left.
    The store is opened just for the read, so every call sees the latest commit."""
    store = cast(InspectableStore, await open_store(url, clock=SystemClock()))
    try:
        return await read(store)
    finally:
        await store.close()

"""Turns what the break-glass worker meets (retries, errors, reminders) into thread messages.

Audit events reach the thread on their own (bot/domain/audit.py); these are the lines in
between, which tell why a grant is taking a while or what stopped it.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.domain.events import Retrying
from bot.domain.grants import Grant
from bot.domain.outbox import Delivery, OutboxMessage
from bot.store.base import Store
from bot.ui.access import grant_failure_blocks, reminder_line
from bot.ui.thread import event_line


class AccessOutboxNarrator:
    def __init__(
        self, store: Store, wake_delivery: Callable[[], None], ops_mention: Callable[[], str]
    ) -> None:
        self._store = store
        self._wake = wake_delivery
        self._ops_mention = ops_mention

    async def retrying(self, grant: Grant, event: Retrying) -> None:
        await self._thread(grant, *event_line(event))

    async def failed(self, grant: Grant) -> None:
        await self._thread(grant, *grant_failure_blocks(grant))

    async def remind(self, grant: Grant) -> None:
        await self._thread(grant, *reminder_line(grant, self._ops_mention()))

    async def _thread(self, grant: Grant, text: str, blocks: list[dict[str, object]]) -> None:
        await self._store.enqueue(
            OutboxMessage(stream=grant.id, delivery=Delivery.THREAD, text=text, blocks=blocks)
        )
        self._wake()

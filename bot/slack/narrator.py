"""Turns what happens to an operation into outbox messages for its Slack thread."""

from __future__ import annotations

from collections.abc import Callable

from bot.domain.events import Event
from bot.domain.operations import Operation
from bot.domain.outbox import Delivery, OutboxMessage
from bot.store.base import Store
from bot.ui.thread import event_line


class OutboxNarrator:
    def __init__(self, store: Store, wake_delivery: Callable[[], None]) -> None:
        self._store = store
        self._wake = wake_delivery

    async def card_changed(self, operation: Operation) -> None:
        await self._store.enqueue(OutboxMessage(stream=operation.id, delivery=Delivery.CARD))
        self._wake()

    async def tell(self, operation: Operation, event: Event) -> None:
        text, blocks = event_line(event)
        await self._store.enqueue(
            OutboxMessage(stream=operation.id, delivery=Delivery.THREAD, text=text, blocks=blocks)
        )
        self._wake()

"""Turns what happens to an operation into outbox messages for its Slack thread."""

from __future__ import annotations

from bot.domain.alerts import PostedAlert
from bot.domain.events import Event, Stuck
from bot.domain.operations import Operation
from bot.domain.outbox import Delivery, OutboxMessage
from bot.store.base import Outbox
from bot.ui.thread import alert_settled, event_line


class OutboxNarrator:
    def __init__(self, store: Outbox) -> None:
        self._store = store

    async def card_changed(self, operation: Operation) -> None:
        await self._store.enqueue(self.card(operation))

    async def tell(self, operation: Operation, event: Event) -> None:
        for message in self.lines(operation, event):
            await self._store.enqueue(message)

    def lines(self, operation: Operation, *events: Event) -> list[OutboxMessage]:
        messages = []
        for event in events:
            text, blocks = event_line(event, operation.steps)
            messages.append(
                OutboxMessage(
                    stream=operation.id,
                    delivery=Delivery.THREAD,
                    text=text,
                    blocks=blocks,
                    stalled_since=event.since if isinstance(event, Stuck) else None,
                )
            )
        return messages

    def card(self, operation: Operation) -> OutboxMessage:
        return OutboxMessage(stream=operation.id, delivery=Delivery.CARD)


def settled(alert: PostedAlert, note: str) -> OutboxMessage:
    """The edit that shows `alert` without its buttons, and `note` on what happened instead."""
    return OutboxMessage(
        stream=alert.operation_id,
        delivery=Delivery.EDIT,
        channel=alert.channel,
        ts=alert.ts,
        text=alert.text,
        blocks=alert_settled(alert.blocks, note),
    )

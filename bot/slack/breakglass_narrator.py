"""Turns what the break-glass worker meets (retries, errors, reminders) into thread messages.

Audit events reach the thread on their own (bot/domain/audit.py); these are the lines in
between, which tell why a grant is taking a while or what stopped it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.domain.events import Retrying
from bot.domain.grants import Grant
from bot.domain.outbox import Delivery, OutboxMessage
from bot.store.base import Outbox
from bot.ui.breakglass import grant_failure_blocks
from bot.ui.breakglass import reminder_line as reminder_blocks
from bot.ui.thread import event_line


class BreakGlassOutboxNarrator:
    def __init__(self, store: Outbox, ops_mention: Callable[[], str]) -> None:
        self._store = store
        self._ops_mention = ops_mention

    def failure_line(self, grant: Grant) -> OutboxMessage:
        return _line(grant, *grant_failure_blocks(grant))

    def reminder_line(self, grant: Grant) -> OutboxMessage:
        return _line(grant, *reminder_blocks(grant, self._ops_mention()))

    async def retrying(self, grant: Grant, event: Retrying) -> None:
        await self._thread(_line(grant, *event_line(event)))

    async def failed(self, grant: Grant) -> None:
        await self._thread(self.failure_line(grant))

    async def _thread(self, message: OutboxMessage) -> None:
        await self._store.enqueue(message)


def _line(grant: Grant, text: str, blocks: list[dict[str, Any]]) -> OutboxMessage:
    return OutboxMessage(stream=grant.id, delivery=Delivery.THREAD, text=text, blocks=blocks)

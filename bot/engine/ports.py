"""What the engine needs from the outside world, as small protocols."""

from __future__ import annotations

from typing import Protocol

from bot.domain.events import Event
from bot.domain.operations import Operation


class Narrator(Protocol):
    """Tells an operation's story in Slack (through the outbox: it never blocks)."""

    async def card_changed(self, operation: Operation) -> None: ...
    async def tell(self, operation: Operation, event: Event) -> None: ...

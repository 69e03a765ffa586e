"""What the engine needs from the outside world, as small protocols."""

from __future__ import annotations

from typing import Protocol

from bot.domain.events import Event, Retrying
from bot.domain.grants import Grant
from bot.domain.operations import Operation
from bot.domain.outbox import OutboxMessage


class Narrator(Protocol):
    """Tells an operation's story in Slack (through the outbox: it never blocks)."""

    async def card_changed(self, operation: Operation) -> None: ...
    async def tell(self, operation: Operation, event: Event) -> None: ...
    def lines(self, operation: Operation, *events: Event) -> list[OutboxMessage]:
        """The thread lines telling `events`, to be queued with the save of `operation`."""
        ...

    def card(self, operation: Operation) -> OutboxMessage:
        """A refresh of the operation's card, to be queued with its save."""
        ...


class BreakGlassNarrator(Protocol):
    """Tells in a grant's thread what its audit events do not: retries, errors, reminders.

    A line that goes with a change to the grant is built here and saved with that change, whose
    commit has it delivered.
    """

    def failure_line(self, grant: Grant) -> OutboxMessage:
        """The grant's AWS failure as AWS said it, with what to do."""
        ...

    def reminder_line(self, grant: Grant) -> OutboxMessage: ...
    async def retrying(self, grant: Grant, event: Retrying) -> None: ...
    async def failed(self, grant: Grant) -> None:
        """Show an AWS failure that changes nothing of the grant (the backstop's, say)."""
        ...

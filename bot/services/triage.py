"""Acting on an operation from Slack: retry, cancel, mark resolved.

Buttons on the card and mentions in its thread both come here, so both follow the same rules
(bot/domain/triage.py), leave the same record, and say the same thing in the thread. Each use
case returns the operation as saved, or raises one of REFUSALS; bot/ui/triage.py words either
for the person who acted.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.domain.errors import Conflict, RefusedByRule
from bot.domain.events import Resolved, Retried
from bot.domain.operations import (
    Operation,
    OperationState,
    TriageAction,
    TriageKind,
    WrongState,
)
from bot.domain.triage import TriageRule, refusal
from bot.engine.ports import Narrator
from bot.engine.runner import Runner
from bot.services.operations import NoSuchOperation
from bot.slack.narrator import settled
from bot.slack.people import OpsDirectory
from bot.store.base import AccountAlreadyRequested, StaleOperation, Store


class TriageRefused(RefusedByRule):
    """This person may not do this to the operation: `rule` (bot/domain/triage.py) says why."""

    def __init__(self, rule: TriageRule, kind: TriageKind, operation: Operation) -> None:
        super().__init__(f"{operation.id}: {rule.value}")
        self.rule = rule
        self.kind = kind
        self.operation = operation


class NothingToCancel(RefusedByRule):
    """The operation is not running: there is no next step to stop."""

    def __init__(self, operation: Operation) -> None:
        super().__init__(operation.id)
        self.operation = operation


class ChangedMeanwhile(Conflict):
    """Someone acted on the operation first. `last` is the latest action on record, if any."""

    def __init__(self, current: Operation | None, operation_id: str) -> None:
        super().__init__(operation_id)
        self.operation_id = operation_id
        self.current = current
        self.last: TriageAction | None = (
            current.actions[-1] if current and current.actions else None
        )


class SameAccountTaken(Conflict):
    """A retry would make the account another operation is creating, or has created."""

    def __init__(self, operation: Operation, taken: AccountAlreadyRequested) -> None:
        super().__init__(operation.id)
        self.operation = operation
        self.taken = taken


# Everything a triage use case refuses with; the person who acted is told why.
REFUSALS = (
    NoSuchOperation,
    TriageRefused,
    WrongState,
    NothingToCancel,
    ChangedMeanwhile,
    SameAccountTaken,
)
Refusal = (
    NoSuchOperation
    | TriageRefused
    | WrongState
    | NothingToCancel
    | ChangedMeanwhile
    | SameAccountTaken
)


@dataclass(frozen=True)
class Triage:
    store: Store
    narrator: Narrator
    engine: Runner
    ops: OpsDirectory
    clock: Clock

    async def refusal(
        self, kind: TriageKind, operation: Operation, user: str
    ) -> TriageRefused | None:
        """Why `user` may not do this, or None when they may."""
        rule = refusal(kind, operation, user, is_ops=await self.ops.is_ops(user))
        return None if rule is None else TriageRefused(rule, kind, operation)

    async def _refuse(self, kind: TriageKind, operation: Operation, user: str) -> None:
        if refused := await self.refusal(kind, operation, user):
            raise refused

    async def retry(
        self, operation: Operation, user: str, shown_for: str | None = None
    ) -> Operation:
        """The operation as retried; the thread hears about it from the narrator. `shown_for`
        is the state the clicked button was shown in: if the operation has left it, someone
        acted first, and nothing is done."""
        await self._refuse(TriageKind.RETRY, operation, user)
        if shown_for is not None and operation.state.value != shown_for:
            raise await self._changed_meanwhile(operation.id)
        try:
            retrying = operation.retry(self.clock.now(), user)
            messages = [
                *self.narrator.lines(retrying, Retried(user, retrying.step)),
                self.narrator.card(retrying),
            ]
            retried = await self.store.save_operation(retrying, messages)
            # A cancel asked for while the operation was failing must not stop the new run.
            await self.store.clear_cancel_request(operation.id)
        except StaleOperation:
            raise await self._changed_meanwhile(operation.id) from None
        except AccountAlreadyRequested as taken:
            raise SameAccountTaken(operation, taken) from None
        self.engine.wake()
        return retried

    async def cancel(self, operation: Operation, user: str) -> None:
        """Ask the running operation to stop before its next step."""
        await self._refuse(TriageKind.CANCEL, operation, user)
        if operation.state is not OperationState.RUNNING:
            raise NothingToCancel(operation)
        await self.store.request_cancel(operation.id, user, self.clock.now())
        self.engine.wake()

    async def resolve(self, operation: Operation, user: str, note: str) -> Operation:
        await self._refuse(TriageKind.RESOLVE, operation, user)
        try:
            resolving = operation.resolve(self.clock.now(), user, note)
            messages = [
                *self.narrator.lines(resolving, Resolved(user, note)),
                self.narrator.card(resolving),
            ]
            resolved = await self.store.save_operation(resolving, messages)
        except StaleOperation:
            raise await self._changed_meanwhile(operation.id) from None
        return resolved

    async def settle_alert(self, channel: str, ts: str, note: str) -> bool:
        """Take the buttons off the stuck alert at `channel` and `ts`, with `note` instead,
        unless its operation moving on already did. False if the alert is not on record (an
        earlier version posted it): then editing it is the caller's."""
        alert = await self.store.posted_alert(channel, ts)
        if alert is None:
            return False
        await self.store.settle_alert(alert, settled(alert, note))
        return True

    async def _changed_meanwhile(self, operation_id: str) -> ChangedMeanwhile:
        return ChangedMeanwhile(await self.store.get_operation(operation_id), operation_id)

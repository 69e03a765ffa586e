"""Acting on an operation from Slack: retry, cancel, mark resolved.

Buttons on the card and mentions in its thread both come here, so both follow the same rules
(bot/domain/triage.py), leave the same record, and say the same thing in the thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.domain.events import Resolved, Retried
from bot.domain.operations import Operation, OperationState, TriageKind, WrongState
from bot.domain.triage import refusal
from bot.engine.ports import Narrator
from bot.engine.runner import Runner
from bot.slack.narrator import settled
from bot.slack.people import OpsDirectory
from bot.store.base import AccountAlreadyRequested, StaleOperation, Store
from bot.ui.text import slack_date


@dataclass(frozen=True)
class Outcome:
    done: bool
    message: str  # for the person who asked


@dataclass(frozen=True)
class Triage:
    store: Store
    narrator: Narrator
    engine: Runner
    ops: OpsDirectory
    clock: Clock

    async def refusal(self, kind: TriageKind, operation: Operation, user: str) -> str | None:
        return refusal(kind, operation, user, is_ops=await self.ops.is_ops(user))

    async def retry(self, operation: Operation, user: str, shown_for: str | None = None) -> Outcome:
        """What to tell `user`; the thread hears about it from the narrator. `shown_for` is the
        state the clicked button was shown in: if the operation has left it, someone acted
        first, and nothing is done."""
        if reason := await self.refusal(TriageKind.RETRY, operation, user):
            return Outcome(False, reason)
        if shown_for is not None and operation.state.value != shown_for:
            return Outcome(False, await self._changed_meanwhile(operation.id))
        try:
            retrying = operation.retry(self.clock.now(), user)
            messages = [
                *self.narrator.lines(retrying, Retried(user, retrying.step)),
                self.narrator.card(retrying),
            ]
            retried = await self.store.save_operation(retrying, messages)
            # A cancel asked for while the operation was failing must not stop the new run.
            await self.store.clear_cancel_request(operation.id)
        except WrongState as error:
            return Outcome(False, str(error))
        except StaleOperation:
            return Outcome(False, await self._changed_meanwhile(operation.id))
        except AccountAlreadyRequested as taken:
            return Outcome(False, _same_account(operation, taken))
        self.engine.wake()
        return Outcome(True, f"Retrying {operation.id} from step {retried.step_number}.")

    async def cancel(self, operation: Operation, user: str) -> Outcome:
        if reason := await self.refusal(TriageKind.CANCEL, operation, user):
            return Outcome(False, reason)
        if operation.state is not OperationState.RUNNING:
            described = operation.state.described
            return Outcome(False, f"{operation.id} {described}: there is nothing to cancel.")
        await self.store.request_cancel(operation.id, user, self.clock.now())
        self.engine.wake()
        return Outcome(
            True,
            f"Cancelling {operation.id}: it stops before its next step. What AWS already did "
            "is reported in the thread, not undone.",
        )

    async def resolve(self, operation: Operation, user: str, note: str) -> Outcome:
        if reason := await self.refusal(TriageKind.RESOLVE, operation, user):
            return Outcome(False, reason)
        try:
            resolving = operation.resolve(self.clock.now(), user, note)
            messages = [
                *self.narrator.lines(resolving, Resolved(user, note)),
                self.narrator.card(resolving),
            ]
            await self.store.save_operation(resolving, messages)
        except WrongState as error:
            return Outcome(False, str(error))
        except StaleOperation:
            return Outcome(False, await self._changed_meanwhile(operation.id))
        return Outcome(True, f"Marked {operation.id} resolved.")

    async def settle_alert(self, channel: str, ts: str, note: str) -> bool:
        """Take the buttons off the stuck alert at `channel` and `ts`, with `note` instead,
        unless its operation moving on already did. False if the alert is not on record (an
        earlier version posted it): then editing it is the caller's."""
        alert = await self.store.posted_alert(channel, ts)
        if alert is None:
            return False
        await self.store.settle_alert(alert, settled(alert, note))
        return True

    async def _changed_meanwhile(self, operation_id: str) -> str:
        current = await self.store.get_operation(operation_id)
        if current is None or not current.actions:
            return f"{operation_id} changed meanwhile; look at its card and try again."
        last = current.actions[-1]
        return (
            f"Already done: <@{last.by}> chose {last.kind.value} on {operation_id} "
            f"{slack_date(last.at)}; it {current.state.described}."
        )


def _same_account(operation: Operation, taken: AccountAlreadyRequested) -> str:
    doing = "is creating" if taken.running else "has created"
    what = f"named {operation.request.name}" if taken.name else "with the same root email"
    return (
        f"{operation.id} was not retried: operation {taken.operation_id} {doing} an account "
        f"{what}, and one name makes one account."
    )

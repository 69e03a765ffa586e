"""What the person who retried, cancelled or resolved an operation is told privately.

The triage service (bot/services/triage.py) answers with the operation it saved, or with a
typed refusal; the thread hears of what was done from the narrator, and these are the words
for the person who acted, whether they clicked a button or mentioned Outpost in the thread.
"""

from __future__ import annotations

from bot.domain.operations import Operation, TriageKind, WrongState
from bot.domain.triage import TriageRule
from bot.services.operations import NoSuchOperation
from bot.services.triage import (
    ChangedMeanwhile,
    NothingToCancel,
    Refusal,
    SameAccountTaken,
    TriageRefused,
)
from bot.ui.card import no_such_operation
from bot.ui.text import code, slack_date


def retrying(operation: Operation) -> str:
    return f"Retrying {operation.id} from step {operation.step_number}."


def cancelling(operation_id: str) -> str:
    return (
        f"Cancelling {operation_id}: it stops before its next step. What AWS already did "
        "is reported in the thread, not undone."
    )


def resolved(operation: Operation) -> str:
    return f"Marked {operation.id} resolved."


def refused(refusal: Refusal) -> str:
    """Why nothing was done, for the person who acted."""
    match refusal:
        case NoSuchOperation(operation_id=operation_id):
            return no_such_operation(operation_id)
        case TriageRefused():
            return triage_refused(refusal)
        case WrongState():
            return wrong_state(refusal)
        case NothingToCancel(operation=operation):
            return f"{operation.id} {operation.state.described}: there is nothing to cancel."
        case ChangedMeanwhile(operation_id=operation_id, current=current, last=last):
            if current is None or last is None:
                return f"{operation_id} changed meanwhile; look at its card and try again."
            return (
                f"Already done: <@{last.by}> chose {last.kind.value} on {operation_id} "
                f"{slack_date(last.at)}; it {current.state.described}."
            )
        case SameAccountTaken(operation=operation, taken=taken):
            doing = "is creating" if taken.running else "has created"
            what = f"named {operation.request.name}" if taken.name else "with the same root email"
            return (
                f"{operation.id} was not retried: operation {taken.operation_id} {doing} an "
                f"account {what}, and one name makes one account."
            )


def triage_refused(refusal: TriageRefused) -> str:
    operation = refusal.operation
    match refusal.rule:
        case TriageRule.OPS_RESOLVE:
            return f"Only ops can mark {operation.id} resolved; ask on-call in this thread."
        case TriageRule.REQUESTER_OR_OPS:
            return (
                f"Only <@{operation.requester}>, who asked for {operation.id}, or ops can "
                f"{refusal.kind.value} it."
            )


def wrong_state(refusal: WrongState) -> str:
    operation = refusal.operation
    if refusal.email_taken:
        return (
            f"AWS refused {operation.request.email} as the root email of {operation.id}, and "
            "would refuse it again: use New request, other email on the card instead."
        )
    verb = "mark resolved" if refusal.kind is TriageKind.RESOLVE else refusal.kind.value
    return f"{operation.id} {operation.state.described}: there is nothing to {verb}."


def alert_chosen(user: str, verb: str) -> str:
    """The note a stuck alert keeps once someone chose `verb` on it."""
    return f"<@{user}> chose {verb} here."


def alert_moot(operation: Operation) -> str:
    """The note a stuck alert keeps once its operation is no longer running."""
    return f"{code(operation.id)} {operation.state.described}: nothing left to do here."

"""The lines an operation's thread is made of, one per event."""

from __future__ import annotations

from datetime import datetime

from bot.domain.durations import format_duration
from bot.domain.events import (
    AccountCreated,
    AccountMoved,
    Cancelled,
    CreationFound,
    CreationInDoubt,
    CreationRequested,
    Event,
    Resolved,
    Resumed,
    Retried,
    Retrying,
    StepFailed,
    Stuck,
    Succeeded,
    TeamAccessGiven,
    TeamAccessRequested,
)
from bot.domain.operations import STEP_LABELS, STEP_ORDER, Operation, OperationState, Step
from bot.ui.blocks import Block, context, plain, section
from bot.ui.card import cancel_confirm
from bot.ui.failure import failure_blocks, failure_summary
from bot.ui.ids import ActionId
from bot.ui.text import code, cut, escape, slack_date
from bot.ui.values import OperationButton, RetryButton


def event_line(event: Event, steps: tuple[Step, ...] = STEP_ORDER) -> tuple[str, list[Block]]:
    """The notification text and blocks of one thread reply; `steps` are the operation's."""
    match event:
        case StepFailed(step=step, failure=failure):
            number = steps.index(step) + 1
            title = f":x: *Step {number} of {len(steps)} failed: {STEP_LABELS[step]}*"
            return failure_summary(failure), failure_blocks(title, failure)
        case Stuck():
            text = _stuck(event, steps)
            return text, [section(text), _stuck_actions(event.operation_id)]
        case _:
            text = _line(event, steps)
            return text, [section(text)]


def _stuck(event: Stuck, steps: tuple[Step, ...]) -> str:
    number = steps.index(event.step) + 1
    lines = [
        f":rotating_light: {event.mention} {code(event.operation_id)} looks stuck: no progress "
        f"at step {number} of {len(steps)} ({STEP_LABELS[event.step]}) since "
        f"{slack_date(event.since)}."
    ]
    if event.polls:
        what = "the team's access" if event.step is Step.WAIT_FOR_TEAM_ACCESS else "the creation"
        lines.append(f"AWS still reported {what} IN_PROGRESS after {event.polls} checks.")
    if event.last_call is not None:
        call = event.last_call
        outcome = "ok" if call.outcome == "ok" else code(call.outcome)
        request = f", request id {code(call.request_id)}" if call.request_id else ""
        lines.append(
            f"Last AWS response: {code(call.service + ':' + call.operation)} → {outcome}{request}."
        )
    lines.append("Retry now, cancel, or mention me here: `@Outpost status`.")
    return "\n".join(lines)


def alert_settled(blocks: list[Block], note: str) -> list[Block]:
    """A stuck alert once its operation has moved on: what it said, without its buttons, and
    a line on what happened instead, so no stale Retry now or Cancel is left to click."""
    kept = [block for block in blocks if block.get("type") != "actions"]
    return [*kept, context(note)]


def moved_on_note(operation: Operation, stalled_since: datetime) -> str:
    """What became of an operation since the stall an alert was about: who acted on it, if
    someone did, and where it stands."""
    if operation.state is OperationState.RUNNING:
        where = "it is running again"
    else:
        where = "it " + operation.state.described
    acted = [action for action in operation.actions if action.at > stalled_since]
    if acted:
        last = acted[-1]
        where = f"<@{last.by}> chose {last.kind.value}; {where}"
    return f"{code(operation.id)} moved on: {where}."


def _stuck_actions(operation_id: str) -> Block:
    return {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": ActionId.RETRY,
                "text": plain("Retry now"),
                "value": RetryButton(
                    operation_id=operation_id, shown_for=OperationState.RUNNING
                ).encode(),
            },
            {
                "type": "button",
                "action_id": ActionId.CANCEL,
                "text": plain("Cancel"),
                "style": "danger",
                "value": OperationButton(operation_id=operation_id).encode(),
                "confirm": cancel_confirm(operation_id),
            },
        ],
    }


def _done_in_aws(event: Cancelled) -> str:
    done = []
    if event.request_id:
        done.append(f"CreateAccount request {code(event.request_id)} was sent")
    if event.account_id:
        done.append(f"account {code(event.account_id)} exists")
    if event.moved:
        done.append("it was moved into its OU")
    if event.team_access_sent:
        done.append("the team's access was asked for (`CreateAccountAssignment`)")
    if event.sent_unconfirmed:
        return (
            "`CreateAccount` was sent, but whether AWS acted on it is unknown: check "
            "`aws organizations list-create-account-status --states IN_PROGRESS SUCCEEDED` "
            "before asking again."
        )
    if not done:
        return "Nothing had been done in AWS yet."
    return "Already done in AWS, and not undone: " + "; ".join(done) + "."


def _line(event: Event, steps: tuple[Step, ...]) -> str:
    match event:
        case Resumed(step=step):
            return (
                ":arrows_counterclockwise: *Resumed after restart* at "
                f"step {steps.index(step) + 1}: {STEP_LABELS[step]}"
            )
        case CreationRequested(request_id=request_id, poll_every=poll_every):
            return (
                f":outbox_tray: `CreateAccount` accepted: request {code(request_id)}. "
                f"AWS is creating the account; Outpost checks every {format_duration(poll_every)} "
                "at first, less often as it goes on."
            )
        case CreationFound(request_id=request_id, account_id=account_id):
            found = (
                f"request {code(request_id)}" if request_id else f"account {code(account_id or '')}"
            )
            return f":mag: Found the earlier `CreateAccount` ({found}); it is not sent again."
        case CreationInDoubt(failure=failure):
            return (
                f":warning: `CreateAccount` got {code(failure.code)} before AWS answered, so it "
                "may have reached AWS. Outpost checks for it before it would send it again."
            )
        case AccountCreated(account_id=account_id, checks=checks):
            after = f" after {checks} status checks" if checks else ""
            return f":white_check_mark: AWS created account {code(account_id)}{after}."
        case AccountMoved(ou_id=ou_id, ou_name=ou_name, already_there=already_there):
            where = f"*{escape(cut(ou_name, 200))}* ({code(ou_id)})"
            if already_there:
                return f":white_check_mark: The account is already in {where}."
            return f":white_check_mark: Moved the account into {where}."
        case TeamAccessRequested(request_id=request_id, team=team, permission_set=ps):
            return (
                f":outbox_tray: `CreateAccountAssignment` accepted: request {code(request_id)}. "
                f"AWS is giving the group *{escape(cut(team, 200))}* the permission set "
                f"*{escape(cut(ps, 100))}* on the account."
            )
        case TeamAccessGiven(team=team, permission_set=ps, found=found, pre_existing=pre):
            who = f"*{escape(cut(team, 200))}*"
            what = f"*{escape(cut(ps, 100))}*"
            if pre:
                return (
                    f":white_check_mark: The group {who} already had {what} on the account; "
                    "Outpost created nothing."
                )
            if found:
                return (
                    f":mag: Found the earlier `CreateAccountAssignment`: the group {who} has "
                    f"{what} on the account. It is not sent again."
                )
            return f":white_check_mark: The group {who} can now sign in to the account with {what}."
        case Retrying(
            service=service, operation=operation, code=error_code, attempt=attempt, of=of
        ):
            return (
                f":repeat: {code(error_code)} on {code(service + ':' + operation)}: "
                f"attempt {attempt} of {of}, retrying in {format_duration(event.wait)}"
            )
        case Succeeded(account_id=account_id):
            return f":tada: Done: account {code(account_id)} is ready."
        case Retried(by=by, step=step):
            return (
                f":arrows_counterclockwise: <@{by}> retried: running step "
                f"{steps.index(step) + 1} ({STEP_LABELS[step]}) now, with fresh attempts."
            )
        case Cancelled(by=by, step=step):
            return (
                f":no_entry_sign: <@{by}> cancelled this operation before step "
                f"{steps.index(step) + 1}: {STEP_LABELS[step]}. {_done_in_aws(event)}"
            )
        case Resolved(by=by, note=note):
            quoted = "\n".join("> " + line for line in escape(cut(note, 2000)).splitlines())
            return f":ballot_box_with_check: <@{by}> marked this resolved by hand:\n{quoted}"
        case StepFailed() | Stuck():
            raise AssertionError("these have blocks of their own")

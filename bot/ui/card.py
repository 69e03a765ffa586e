"""An operation's card: the message that stands for it in Slack, updated in place."""

from __future__ import annotations

from datetime import datetime

from bot.domain.durations import format_duration
from bot.domain.operations import STEP_LABELS, Operation, OperationState
from bot.ui.blocks import Block, context, plain, section
from bot.ui.ids import ActionId, BlockId
from bot.ui.text import code, cut, escape, safe_url
from bot.ui.values import OperationButton, RetryButton

STATE_ICONS = {
    OperationState.RUNNING: ":hourglass_flowing_sand:",
    OperationState.SUCCEEDED: ":white_check_mark:",
    OperationState.FAILED: ":x:",
    OperationState.CANCELLED: ":no_entry_sign:",
    OperationState.RESOLVED: ":ballot_box_with_check:",
}


def card_status(operation: Operation, now: datetime) -> str:
    end = operation.finished_at or now
    elapsed = format_duration(max(end - operation.created_at, end - end))
    step = f"step {operation.step_number} of {operation.step_count}"
    label = STEP_LABELS[operation.step]
    match operation.state:
        case OperationState.RUNNING:
            return f"Running · {step}: {label} · {elapsed} so far"
        case OperationState.SUCCEEDED:
            account = operation.progress.account_id or "?"
            return f"Succeeded · account {code(account)} · took {elapsed}"
        case OperationState.FAILED:
            code_text = code(operation.failure.code) if operation.failure else "an error"
            return f"Failed at {step}: {label} · {code_text} · see the thread"
        case OperationState.CANCELLED:
            return f"Cancelled at {step}: {label} · {_last_by(operation)}"
        case OperationState.RESOLVED:
            return f"Failed at {step}, then resolved by hand · {_last_by(operation)}"


def _last_by(operation: Operation) -> str:
    if not operation.actions:
        return ""
    return f"by <@{operation.actions[-1].by}>"


def card_blocks(
    operation: Operation, now: datetime, *, start_url: str | None = None
) -> list[Block]:
    """The card; `start_url` (SSO_START_URL) is the AWS access portal a team signs in through."""
    request = operation.request
    icon = STATE_ICONS[operation.state]
    blocks: list[Block] = [
        section(
            f"{icon} *New AWS account {code(request.name)}* requested by <@{operation.requester}>"
        ),
        section(
            card_status(operation, now),
            fields=[
                f"*Organizational unit*\n{escape(cut(request.ou_name, 200))}",
                f"*Owning team*\n{escape(cut(request.team, 200))}",
                f"*Root email*\n{code(request.email)}",
                f"*Account id*\n{code(operation.progress.account_id or '')}",
                f"*Purpose*\n{escape(cut(request.purpose, 500))}",
            ],
        ),
        context(f"Operation {code(operation.id)} · every step is reported in this thread"),
        {
            "type": "actions",
            "block_id": BlockId.CARD_ACTIONS,
            "elements": [
                _button(action, label, _value(action, operation), style)
                for action, label, style in _buttons(operation)
            ],
        },
    ]
    if (sign_in := _sign_in(operation, start_url)) is not None:
        blocks.append(context(sign_in))
    return blocks


def _sign_in(operation: Operation, start_url: str | None) -> str | None:
    """How the owning team signs in to its new account, once it has access."""
    progress = operation.progress
    if (
        operation.state is not OperationState.SUCCEEDED
        or not progress.team_access_given
        or not start_url
        or not safe_url(start_url)
    ):
        return None
    permission_set = progress.team_permission_set_name or operation.team_permission_set or ""
    return (
        f":key: *{escape(cut(operation.request.team, 200))}* signs in through the "
        f"<{start_url}|AWS access portal>: account {code(progress.account_id or '')}, "
        f"permission set *{escape(cut(permission_set, 100))}*."
    )


def _value(action: ActionId, operation: Operation) -> str:
    if action is ActionId.RETRY:
        return RetryButton(operation_id=operation.id, shown_for=operation.state).encode()
    return OperationButton(operation_id=operation.id).encode()


def _buttons(operation: Operation) -> list[tuple[ActionId, str, str | None]]:
    """What can be done from the card, as the operation stands."""
    calls = (ActionId.SHOW_AWS_CALLS, "Show AWS calls", None)
    if operation.state is OperationState.RUNNING:
        return [(ActionId.CANCEL, "Cancel", "danger"), calls]
    if operation.state is OperationState.FAILED:
        again = (ActionId.RETRY, "Retry", "primary")
        if operation.failure is not None and operation.failure.email_taken:
            again = (ActionId.REQUEST_AGAIN, "New request, other email", "primary")
        return [again, (ActionId.RESOLVE, "Mark resolved", None), calls]
    return [calls]


def _button(action: ActionId, label: str, value: str, style: str | None) -> Block:
    button: Block = {"type": "button", "action_id": action, "text": plain(label), "value": value}
    if style:
        button["style"] = style
    if action is ActionId.CANCEL:
        button["confirm"] = cancel_confirm(value)
    return button


def cancel_confirm(operation_id: str) -> Block:
    """Asked before Cancel: stopping does not undo what AWS has already done."""
    return {
        "title": plain("Cancel this operation?", 100),
        "text": plain(
            f"Outpost stops working on {operation_id}. What AWS has done stays done: an account "
            "AWS is creating is still created. The thread will say what was done.",
            300,
        ),
        "confirm": plain("Cancel it", 30),
        "deny": plain("Keep going", 30),
        "style": "danger",
    }


def no_such_operation(operation_id: str) -> str:
    """For a button whose operation is not in the store (an old card, or a forged value)."""
    return f"Outpost has no operation {code(operation_id[:40])}."


def card_text(operation: Operation) -> str:
    """The notification text (and fallback) for the card."""
    return cut(
        f"New AWS account {operation.request.name}: {operation.state.value} ({operation.id})",
        300,
    )

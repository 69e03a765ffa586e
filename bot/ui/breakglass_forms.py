"""The modals of break-glass access, reading what comes back, and the audit trail export.

Asking for access, denying it, extending it and approving one's own request in an emergency
each need words from a person that the audit trail keeps. The modals ask for them with the
limits shown up front, and mistakes come back as inline errors on the field that has them,
so nothing is decided on a request nobody could read.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bot.domain.audit import AuditEvent, AuditKind, split_requested_detail
from bot.domain.durations import InvalidDuration, format_duration, parse_duration
from bot.domain.grants import (
    LONGEST_JUSTIFICATION,
    LONGEST_TICKET,
    SHORTEST_JUSTIFICATION,
    AccessLimits,
    Grant,
    check_justification,
    check_ticket,
)
from bot.ui.blocks import Block, context, plain, section, text_input
from bot.ui.breakglass import account_label, audit_text
from bot.ui.ids import ActionId, BlockId, CallbackId
from bot.ui.new_account import FormUnreadable
from bot.ui.text import code, cut, slack_date
from bot.ui.values import AccountOption
from bot.ui.view_state import private_metadata, selected_option, typed_text

OPTION_LIMIT = 100
OPTION_TEXT_LIMIT = 75
DURATION_INPUT_LIMIT = 20
REASON_LIMIT = 1000
AUDIT_SHOWN = 40
AUDIT_DETAIL_LIMIT = 300
# Where `/account audit` puts its CSV file: handlers/breakglass.py sends it in a direct message.
AUDIT_CSV_WHERE = "in your direct messages with Outpost"
DURATION_EXAMPLES = (timedelta(minutes=30), timedelta(hours=1), timedelta(hours=1, minutes=30))

View = dict[str, Any]
M = TypeVar("M", bound=BaseModel)


# Asking for access


class BreakglassMetadata(BaseModel):
    """Carried in the view's private_metadata: where the command was typed."""

    channel: str


class BreakglassForm(BaseModel):
    account_id: str
    duration_text: str
    justification: str
    ticket: str | None
    channel: str


def duration_hint(limits: AccessLimits) -> str:
    """The accepted forms and the bounds, e.g. "15m to 4h, e.g. 30m, 1h, 1h30m"."""
    examples = [
        format_duration(d) for d in DURATION_EXAMPLES if limits.shortest <= d <= limits.longest
    ] or [format_duration(limits.shortest)]
    return (
        f"{format_duration(limits.shortest)} to {format_duration(limits.longest)}, "
        f"e.g. {', '.join(examples)}"
    )


def _duration_input(
    block_id: str, action_id: str, label: str, limits: AccessLimits, duration: str
) -> Block:
    return text_input(
        block_id,
        action_id,
        label,
        hint=duration_hint(limits),
        initial=duration[:DURATION_INPUT_LIMIT],
        max_length=DURATION_INPUT_LIMIT,
    )


def breakglass_view(
    limits: AccessLimits,
    *,
    account: tuple[str, str] | None = None,
    duration: str = "1h",
    justification: str = "",
    channel: str,
    notice: str | None = None,
) -> View:
    """The `/account breakglass` modal; `account` is (id, name) when already known.

    `notice` (mrkdwn) is shown above the fields, e.g. why a typed account is not selected.
    """
    select: dict[str, Any] = {
        "type": "external_select",
        "action_id": ActionId.ACCESS_ACCOUNT,
        "placeholder": plain("Search by name or id"),
        "min_query_length": 0,
    }
    if account is not None:
        account_id, name = account
        select["initial_option"] = account_option(account_id, name)
    blocks: list[Block] = [context(notice)] if notice else []
    blocks += [
        {
            "type": "input",
            "block_id": BlockId.ACCESS_ACCOUNT,
            "label": plain("Account"),
            "element": select,
        },
        _duration_input(
            BlockId.ACCESS_DURATION, ActionId.ACCESS_DURATION, "How long", limits, duration
        ),
        text_input(
            BlockId.ACCESS_JUSTIFICATION,
            ActionId.ACCESS_JUSTIFICATION,
            "Justification",
            hint="Why you need the access: the approver and the audit trail read it.",
            initial=justification[:LONGEST_JUSTIFICATION],
            multiline=True,
            min_length=SHORTEST_JUSTIFICATION,
            max_length=LONGEST_JUSTIFICATION,
        ),
        text_input(
            BlockId.ACCESS_TICKET,
            ActionId.ACCESS_TICKET,
            "Ticket or incident",
            hint="An id or a link, if there is one.",
            optional=True,
            max_length=LONGEST_TICKET,
        ),
        context(
            "Ops are asked to approve it. The access ends on its own when the time is up, "
            "and every step is kept in the audit trail."
        ),
    ]
    return {
        "type": "modal",
        "callback_id": CallbackId.BREAKGLASS,
        "title": plain("Break-glass access"),
        "submit": plain("Request"),
        "close": plain("Cancel"),
        "private_metadata": BreakglassMetadata(channel=channel).model_dump_json(),
        "blocks": blocks,
    }


def parse_breakglass(view: View) -> BreakglassForm:
    account_id, _ = selected_option(view, BlockId.ACCESS_ACCOUNT, ActionId.ACCESS_ACCOUNT)
    try:
        metadata = BreakglassMetadata.model_validate_json(private_metadata(view))
        return BreakglassForm(
            account_id=account_id,
            duration_text=typed_text(view, BlockId.ACCESS_DURATION, ActionId.ACCESS_DURATION),
            justification=typed_text(
                view, BlockId.ACCESS_JUSTIFICATION, ActionId.ACCESS_JUSTIFICATION
            ),
            ticket=typed_text(view, BlockId.ACCESS_TICKET, ActionId.ACCESS_TICKET) or None,
            channel=metadata.channel,
        )
    except ValidationError as error:
        raise FormUnreadable(str(error)) from error


def breakglass_errors(form: BreakglassForm, limits: AccessLimits) -> dict[str, str]:
    """Inline errors by block id; empty when the request can be filed."""
    errors: dict[str, str] = {}
    if not form.account_id:
        errors[BlockId.ACCESS_ACCOUNT.value] = "Choose the account you need access to."
    duration = duration_error(form.duration_text, limits)
    if duration:
        errors[BlockId.ACCESS_DURATION.value] = duration
    justification = check_justification(form.justification)
    if justification:
        errors[BlockId.ACCESS_JUSTIFICATION.value] = justification
    ticket = check_ticket(form.ticket or "")
    if ticket:
        errors[BlockId.ACCESS_TICKET.value] = ticket
    return errors


def duration_error(text: str, limits: AccessLimits, *, extension: bool = False) -> str | None:
    """What is wrong with a duration as typed in a modal, or None."""
    try:
        duration = parse_duration(text)
    except InvalidDuration:
        shown = cut(text.strip(), 30)
        what = f"“{shown}” is not a duration" if shown else "Say how long"
        return f"{what}: write it like {duration_hint(limits)}."
    if extension:
        return limits.check_extension(duration)
    return limits.check_duration(duration)


# Choosing the account


MANAGEMENT_MARK = " · management account"


def account_option(account_id: str, name: str, *, management: bool = False) -> dict[str, Any]:
    label = _option_label(account_id, name, MANAGEMENT_MARK if management else "")
    value = AccountOption(account_id=account_id).encode()
    return {"text": plain(label, OPTION_TEXT_LIMIT), "value": value}


def _option_label(account_id: str, name: str, mark: str = "") -> str:
    """ "name (id)", with the name shortened first: the id is what tells accounts apart."""
    suffix = f" ({account_id}){mark}"
    room = OPTION_TEXT_LIMIT - len(suffix)
    if len(name) > room:
        name = name[: max(room - 1, 0)] + "…"
    return cut(name + suffix, OPTION_TEXT_LIMIT)


def account_options(
    accounts: Sequence[tuple[str, str]], query: str, *, management: str | None = None
) -> list[dict[str, Any]]:
    """Options for the account select from (id, name) pairs: best matches first, at most 100.
    The organization's `management` account is marked as such."""
    wanted = query.strip().lower()
    ranked: list[tuple[int, str, str, str]] = []
    for account_id, name in accounts:
        rank = _rank(account_id, name.lower(), wanted)
        if rank is not None:
            ranked.append((rank, name.lower(), account_id, name))
    ranked.sort()
    return [
        account_option(account_id, name, management=account_id == management)
        for _, _, account_id, name in ranked[:OPTION_LIMIT]
    ]


def _rank(account_id: str, name: str, wanted: str) -> int | None:
    if not wanted:
        return 2
    if wanted in (account_id, name):
        return 0
    if account_id.startswith(wanted) or name.startswith(wanted):
        return 1
    if wanted in name:
        return 2
    return None


# Deciding and extending


class DenyMetadata(BaseModel):
    grant_id: str
    what: str  # the decision it denies: "request" or "extension-n"
    channel: str | None = None


def deny_view(grant_id: str, what: str, channel: str | None = None) -> View:
    subject = _subject(grant_id, what)
    return _reason_modal(
        callback_id=CallbackId.DENY,
        title="Deny access",
        submit="Deny",
        metadata=DenyMetadata(grant_id=grant_id, what=what, channel=channel).model_dump_json(),
        intro=f"Deny {subject}. The requester reads the reason, and the audit trail keeps it.",
        block_id=BlockId.DENY_REASON,
        action_id=ActionId.DENY_REASON,
        label="Reason",
        min_length=1,
    )


def parse_deny(view: View) -> tuple[DenyMetadata, str]:
    metadata = _metadata(DenyMetadata, view)
    return metadata, typed_text(view, BlockId.DENY_REASON, ActionId.DENY_REASON)


class ExtendMetadata(BaseModel):
    grant_id: str
    channel: str


class ExtendForm(BaseModel):
    grant_id: str
    duration_text: str
    reason: str


def extend_view(grant: Grant, limits: AccessLimits, *, duration: str = "1h") -> View:
    request = grant.request
    ends = f" It ends {slack_date(grant.expires_at)}." if grant.expires_at else ""
    blocks: list[Block] = [
        section(
            f"Ask for more time on {code(grant.id)}, access to "
            f"{account_label(request.account_name, request.account_id)}.{ends} "
            "Ops decide, as for the request."
        ),
        _duration_input(
            BlockId.EXTEND_DURATION, ActionId.EXTEND_DURATION, "How much longer", limits, duration
        ),
        text_input(
            BlockId.EXTEND_REASON,
            ActionId.EXTEND_REASON,
            "Why you need more time",
            hint=(
                f"At least {SHORTEST_JUSTIFICATION} characters: ops read it when they decide, "
                "and the audit trail keeps it."
            ),
            multiline=True,
            min_length=SHORTEST_JUSTIFICATION,
            max_length=REASON_LIMIT,
        ),
    ]
    metadata = ExtendMetadata(grant_id=grant.id, channel=grant.channel)
    return {
        "type": "modal",
        "callback_id": CallbackId.EXTEND,
        "title": plain("Extend access"),
        "submit": plain("Ask"),
        "close": plain("Cancel"),
        "private_metadata": metadata.model_dump_json(),
        "blocks": blocks,
    }


def parse_extend(view: View) -> tuple[ExtendMetadata, ExtendForm]:
    metadata = _metadata(ExtendMetadata, view)
    form = ExtendForm(
        grant_id=metadata.grant_id,
        duration_text=typed_text(view, BlockId.EXTEND_DURATION, ActionId.EXTEND_DURATION),
        reason=typed_text(view, BlockId.EXTEND_REASON, ActionId.EXTEND_REASON),
    )
    return metadata, form


def extend_errors(form: ExtendForm, limits: AccessLimits) -> dict[str, str]:
    errors: dict[str, str] = {}
    duration = duration_error(form.duration_text, limits, extension=True)
    if duration:
        errors[BlockId.EXTEND_DURATION.value] = duration
    reason = check_justification(form.reason)
    if reason:
        errors[BlockId.EXTEND_REASON.value] = reason
    return errors


class SelfApproveMetadata(BaseModel):
    grant_id: str
    what: str


def self_approve_view(grant_id: str, what: str) -> View:
    return _reason_modal(
        callback_id=CallbackId.SELF_APPROVE,
        title="Emergency self-approval",
        submit="Approve",
        metadata=SelfApproveMetadata(grant_id=grant_id, what=what).model_dump_json(),
        intro=(
            f":rotating_light: *Approve {_subject(grant_id, what)} yourself, in an emergency*\n"
            "Do this only when no other ops member can decide in time. Every ops member is "
            "told, and the audit trail marks it self-approved, with the justification below."
        ),
        block_id=BlockId.SELF_APPROVE_NOTE,
        action_id=ActionId.SELF_APPROVE_NOTE,
        label="Emergency justification",
        min_length=SHORTEST_JUSTIFICATION,
    )


def parse_self_approve(view: View) -> tuple[SelfApproveMetadata, str]:
    metadata = _metadata(SelfApproveMetadata, view)
    return metadata, typed_text(view, BlockId.SELF_APPROVE_NOTE, ActionId.SELF_APPROVE_NOTE)


def _subject(grant_id: str, what: str) -> str:
    if what.startswith("extension-"):
        return f"extension {code(what.removeprefix('extension-'))} of {code(grant_id)}"
    return code(grant_id)


def _reason_modal(
    *,
    callback_id: CallbackId,
    title: str,
    submit: str,
    metadata: str,
    intro: str,
    block_id: BlockId,
    action_id: ActionId,
    label: str,
    min_length: int,
) -> View:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, 24),
        "submit": plain(submit, 24),
        "close": plain("Cancel"),
        "private_metadata": metadata,
        "blocks": [
            section(intro),
            text_input(
                block_id,
                action_id,
                label,
                multiline=True,
                min_length=min_length,
                max_length=REASON_LIMIT,
            ),
        ],
    }


# Shared pieces of the modals


def _metadata(model: type[M], view: View) -> M:
    try:
        return model.model_validate_json(private_metadata(view))
    except ValidationError as error:
        raise FormUnreadable(str(error)) from error


# The audit trail, listed and exported


def audit_blocks(
    events: Sequence[AuditEvent],
    *,
    account: str | None,
    days: int,
    total: int,
    capped: bool = False,
) -> list[Block]:
    """An ephemeral listing of the latest events; the CSV has all of them.

    `capped` says the read stopped at `total` events: older ones of the period are left out.
    """
    scope = f" for account {code(cut(account, 100))}" if account else ""
    period = audit_period(days)
    if not events:
        return [section(f"No break-glass access events in the last {period}{scope}.")]
    shown = events[:AUDIT_SHOWN]
    counted = f"the newest {total:,} events" if capped else _events(total)
    blocks: list[Block] = [
        section(f"*Break-glass audit trail*{scope} · last {period} · {counted}"),
    ]
    if capped:
        blocks.append(
            context(
                f":warning: The CSV holds only the newest {total:,} events; older events of "
                f"the last {period} are left out. Ask for fewer days or one account."
            )
        )
    for event in shown:
        line = audit_text(event, AUDIT_DETAIL_LIMIT)
        blocks.append(context(f"{slack_date(event.at)} · {line}"))
    more = total - len(shown)
    if more > 0:
        rest = "1 more event is" if more == 1 else f"{more} more events are"
        blocks.append(context(f"{rest} in the CSV, {AUDIT_CSV_WHERE}."))
    else:
        blocks.append(context(f"The CSV, with every detail, is {AUDIT_CSV_WHERE}."))
    return blocks


def audit_period(days: int) -> str:
    """The period an audit trail covers, after "the last": "day" or "7 days"."""
    return "day" if days == 1 else f"{days} days"


def audit_events_text(count: int, days: int) -> str:
    """The notification text of an audit listing, e.g. "Audit trail: 3 events in the last day"."""
    return f"Audit trail: {_events(count)} in the last {audit_period(days)}"


def audit_summary(count: int, days: int, capped_at: int | None = None) -> str:
    """The same, saying so when the export stopped at `capped_at` events."""
    text = audit_events_text(count, days)
    if capped_at is not None:
        text += (
            f" (only the newest {capped_at:,}: older events of the period are left "
            "out; ask for fewer days or one account)"
        )
    return text


def audit_csv_not_uploaded(error: str) -> str:
    return (
        f"The CSV file could not be uploaded: Slack said {code(error)}. "
        "Outpost needs the files:write scope."
    )


NOT_OPS_TO_AUDIT = "Only ops can read the audit trail of break-glass access."


def _events(count: int) -> str:
    return "1 event" if count == 1 else f"{count} events"


CSV_HEADER = (
    "at",
    "kind",
    "actor",
    "grant_id",
    "requester",
    "account_id",
    "account_name",
    "permission_set",
    "detail",
    "request_ids",
    "expires_at",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def audit_csv(events: Sequence[AuditEvent]) -> str:
    """Every event, one row each, safe to open in a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for event in events:
        row = (
            _iso(event.at),
            event.kind.value,
            event.actor,
            event.grant_id,
            event.requester,
            event.account_id,
            event.account_name,
            event.permission_set or "",
            _csv_detail(event),
            " ".join(event.request_ids),
            _iso(event.expires_at) if event.expires_at else "",
        )
        writer.writerow([_cell(value) for value in row])
    return buffer.getvalue()


def _csv_detail(event: AuditEvent) -> str:
    """The detail as the audit line words it, without Slack's markup."""
    if event.kind is AuditKind.REQUESTED:
        duration, justification = split_requested_detail(event.detail)
        if duration:
            return f"for {duration}; justification: {justification}"
    return event.detail


def _iso(at: datetime) -> str:
    utc = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return utc.isoformat()


def _cell(value: str) -> str:
    """A spreadsheet would run a cell that starts like a formula: it is kept as text instead."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value

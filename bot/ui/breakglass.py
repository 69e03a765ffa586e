"""What people read about break-glass access: the request's card, its thread, the audit channel.

A grant is decided by people who read only these messages, so each one says who asked, for
which account, for how long and why, who decided, and until when the access lasts. The card
is rendered from the grant as it stands and replaced in place; the lines are rendered from
stored audit events, so they read the same whenever they are delivered.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from bot.domain.audit import AuditEvent, AuditKind, split_requested_detail
from bot.domain.durations import format_duration
from bot.domain.grants import Decision, EndReason, Grant, GrantState
from bot.ui.blocks import Block, context, plain, section
from bot.ui.failure import failure_blocks, failure_summary
from bot.ui.ids import ActionId, BlockId
from bot.ui.text import code, cut, escape, safe_url, slack_date
from bot.ui.values import DecisionButton, GrantButton, RevokeButton

OUTPOST = "outpost"
JUSTIFICATION_LIMIT = 1500
NOTE_LIMIT = 1000
TICKET_LIMIT = 300
NAME_LIMIT = 100

CONSOLE_SESSIONS = (
    "Console sessions already started stay valid until the permission set's session duration "
    "ends, even after access is revoked."
)

MANAGEMENT_WARNING = (
    ":warning: This is the organization's *management account*: from it, access can be made "
    "permanent and the whole organization changed."
)

STATE_ICONS = {
    GrantState.PENDING: ":hourglass_flowing_sand:",
    GrantState.GRANTING: ":gear:",
    GrantState.ACTIVE: ":unlock:",
    GrantState.REVOKING: ":hourglass:",
    GrantState.ENDED: ":lock:",
    GrantState.DENIED: ":no_entry_sign:",
    GrantState.WITHDRAWN: ":leftwards_arrow_with_hook:",
    GrantState.UNANSWERED: ":zzz:",
    GrantState.FAILED: ":x:",
}

_SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,30}")


# Small pieces shared by every message


def person(user: str) -> str:
    """A mention for a Slack user id, "Outpost" for the worker, anything else as code."""
    if user == OUTPOST:
        return "Outpost"
    if _SLACK_USER.fullmatch(user):
        return f"<@{user}>"
    return code(cut(user, 40))


def inert(text: str, limit: int) -> str:
    """Text from outside Outpost, escaped, on one line and short enough to show."""
    return cut(escape(text.strip()), limit)


def quote(text: str, limit: int) -> str:
    """A person's words, inert and in quotes: whatever they hold, they read as what someone
    typed, not as Outpost's own words."""
    return f"“{inert(text, limit)}”"


def account_label(name: str, account_id: str) -> str:
    return f"{escape(cut(name, NAME_LIMIT))} ({code(account_id)})"


def _approval(decision: Decision) -> str:
    if decision.direct:
        return f"granted directly by {person(decision.by)}"
    if decision.self_approved:
        return f":rotating_light: self-approved in an emergency by {person(decision.by)}"
    return f"approved by {person(decision.by)}"


def subject(grant: Grant) -> str:
    """What ops are asked to decide: the access asked for, or the time an extension adds."""
    extension = grant.pending_extension
    if extension is None:
        return f"{format_duration(grant.request.duration)} of access"
    return f"{format_duration(extension.duration)} more access"


def deciders(ops_mention: str, grant: Grant) -> str:
    """Who may decide what the grant waits for: ops, but not whoever it is for or asked."""
    listed = ops_mention.split()
    # A user group cannot be told apart by member: it is called as it is.
    mentions = [m for m in listed if m.removeprefix("<@").removesuffix(">") not in grant.asked_by]
    if len(mentions) == len(listed):
        return ops_mention
    return " ".join(mentions) or "another ops member"


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


# The card


def grant_card_blocks(
    grant: Grant, *, ops_mention: str, now: datetime | None = None
) -> list[Block]:
    """The message that stands for a break-glass request in the approvals channel."""
    request = grant.request
    icon = STATE_ICONS[grant.state]
    blocks: list[Block] = [
        section(
            f"{icon} *Break-glass access* to account "
            f"{account_label(request.account_name, request.account_id)} "
            f"for {person(grant.requester)}",
            fields=_card_fields(grant),
        ),
        section(card_status(grant, ops_mention, now)),
    ]
    if request.management:
        blocks.append(context(MANAGEMENT_WARNING))
    extension = grant.pending_extension
    if extension is not None:
        blocks.append(
            section(
                f":hourglass_flowing_sand: Extension requested by {person(extension.requested_by)}:"
                f" +{format_duration(extension.duration)} — "
                f"{quote(extension.reason, NOTE_LIMIT)}"
            )
        )
    if grant.state is GrantState.ACTIVE and not grant.progress.pre_existing:
        blocks.append(context(CONSOLE_SESSIONS))
    buttons = _card_buttons(grant)
    if buttons:
        blocks.append({"type": "actions", "block_id": BlockId.GRANT_ACTIONS, "elements": buttons})
    blocks.append(context(f"Grant {code(grant.id)} · every step is reported in this thread"))
    return blocks


def _card_fields(grant: Grant) -> list[str]:
    request = grant.request
    duration = format_duration(request.duration)
    extended = [e.duration for e in grant.extensions if e.decision and e.decision.approved]
    if extended:
        duration += f" (extended by {format_duration(sum(extended, timedelta()))})"
    permission_set = grant.progress.permission_set_name or request.permission_set
    fields = [
        f"*Duration*\n{duration}",
        f"*Permission set*\n{code(permission_set) if permission_set else 'set when granted'}",
        f"*Justification*\n{inert(request.justification, JUSTIFICATION_LIMIT)}",
    ]
    if request.ticket:
        fields.append(f"*Ticket*\n{inert(request.ticket, TICKET_LIMIT)}")
    if grant.filed_by != grant.requester:
        fields.append(f"*Granted directly by*\n{person(grant.filed_by)}")
    else:
        fields.append(f"*Requested by*\n{person(grant.requester)}")
    decision = grant.decision
    if decision is not None and decision.self_approved and decision.note:
        fields.append(f"*Emergency justification*\n{inert(decision.note, NOTE_LIMIT)}")
    return fields


def card_status(grant: Grant, ops_mention: str = "ops", now: datetime | None = None) -> str:
    """Where the grant stands, in one line: the card's, and `/account show`'s for a grant
    that has ended."""
    decision = grant.decision
    approval = _approval(decision) if decision is not None and decision.approved else ""
    match grant.state:
        case GrantState.PENDING:
            status = (
                f"Waiting for approval by {deciders(ops_mention, grant)} · lapses if nobody "
                f"decides by {slack_date(grant.answer_by)}"
            )
            if now is not None and now >= grant.answer_by:
                status += " · past its time: closing shortly"
            return status
        case GrantState.GRANTING:
            return f"{_capitalised(approval) or 'Approved'} · giving access in AWS"
        case GrantState.ACTIVE:
            assert grant.expires_at is not None
            status = f"Active until {slack_date(grant.expires_at)}"
            if approval:
                status += f" · {approval}"
            if grant.progress.pre_existing:
                status += (
                    " · the access was already there before this grant; "
                    "Outpost will leave it in place"
                )
            if now is not None and now >= grant.expires_at:
                status += " · past its end: revoking shortly"
            return status
        case GrantState.REVOKING:
            status = "Ending: revoking in AWS"
            if grant.end_reason is EndReason.REVOKED and grant.revoked_by:
                status += f" · revoked early by {person(grant.revoked_by)}"
            elif grant.end_reason is EndReason.GRANT_FAILED:
                status += " · cleaning up after a failure"
            elif grant.end_reason is EndReason.EXPIRED:
                status += " · the time is up"
            if grant.failure is not None:
                status += f" · last attempt failed with {code(grant.failure.code)}, trying again"
            return status
        case GrantState.ENDED:
            return _ended(grant)
        case GrantState.DENIED:
            by = person(decision.by) if decision else "ops"
            reason = quote(decision.note, NOTE_LIMIT) if decision and decision.note else ""
            return f"Denied by {by}: {reason}" if reason else f"Denied by {by}"
        case GrantState.WITHDRAWN:
            who = f" by {person(grant.revoked_by)}" if grant.revoked_by else ""
            return f"Withdrawn{who} before a decision"
        case GrantState.UNANSWERED:
            return f"Unanswered: nobody decided by {slack_date(grant.answer_by)}"
        case GrantState.FAILED:
            failed = code(grant.failure.code) if grant.failure else "an error"
            return f"Failed · {failed} · see the thread"


def _ended(grant: Grant) -> str:
    when = f" {slack_date(grant.ended_at)}" if grant.ended_at else ""
    if grant.progress.pre_existing:
        return f"Ended{when}; the access that was there before stays"
    match grant.end_reason:
        case EndReason.EXPIRED:
            return f"Ended{when}: expired, access removed"
        case EndReason.REVOKED:
            by = f" by {person(grant.revoked_by)}" if grant.revoked_by else ""
            return f"Ended{when}: revoked early{by}, access removed"
        case EndReason.GRANT_FAILED:
            return f"Ended{when}: cleaned up after a failure · see the thread"
        case None:
            return f"Ended{when}"


def _card_buttons(grant: Grant) -> list[Block]:
    """What can be done from the card, as the grant stands."""
    extension = grant.pending_extension
    buttons: list[Block] = []
    deciding = grant.state is GrantState.PENDING or (
        grant.state is GrantState.ACTIVE and extension is not None
    )
    if deciding:
        value = DecisionButton(grant_id=grant.id, deciding=grant.deciding).encode()
        suffix = " extension" if extension is not None else ""
        buttons.append(_button(ActionId.APPROVE_ACCESS, f"Approve{suffix}", value, "primary"))
        buttons.append(_button(ActionId.DENY_ACCESS, f"Deny{suffix}", value, "danger"))
    if grant.state is GrantState.PENDING:
        # Marked, so a click that lands after an approval is not taken as "Revoke now".
        withdraw = RevokeButton.withdrawing(grant.id).encode()
        buttons.append(_button(ActionId.REVOKE_ACCESS, "Withdraw", withdraw))
    if grant.state is GrantState.ACTIVE and not grant.progress.pre_existing and extension is None:
        extend = GrantButton(grant_id=grant.id).encode()
        buttons.append(_button(ActionId.EXTEND_ACCESS, "Extend", extend))
    if grant.state in (GrantState.ACTIVE, GrantState.GRANTING):
        revoke_now = RevokeButton(grant_id=grant.id).encode()
        revoke = _button(ActionId.REVOKE_ACCESS, "Revoke now", revoke_now, "danger")
        revoke["confirm"] = _revoke_confirm(grant)
        buttons.append(revoke)
    return buttons


def _button(action: ActionId, label: str, value: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "action_id": action,
        "text": plain(label, 75),
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _revoke_confirm(grant: Grant) -> Block:
    name = cut(grant.request.account_name, 60)
    if grant.progress.pre_existing:
        text = f"End {grant.id} now? The access to {name} that was there before stays in place."
    else:
        text = (
            f"End {grant.id} now? The access to {name} is removed in AWS. Console sessions "
            "already started stay valid until their session duration ends."
        )
    return {
        "title": plain("Revoke access now?", 100),
        "text": plain(text, 300),
        "confirm": plain("Revoke now", 30),
        "deny": plain("Keep it", 30),
        "style": "danger",
    }


def grant_card_text(grant: Grant) -> str:
    """The notification text (and fallback) for the card."""
    request = grant.request
    return cut(
        f"Break-glass access to {escape(cut(request.account_name, NAME_LIMIT))} "
        f"({request.account_id}): {grant.state.value} ({grant.id})",
        300,
    )


def card_refused_note(channel: str, error: str, requester: str) -> Block:
    """Under the copy of a request's card sent to each ops member when its channel refused it."""
    return context(
        f"<#{channel}> refused this card (`{error}`), so it came to you too. The copy in "
        f"<@{requester}>'s direct messages is the one kept up to date; invite Outpost "
        "back to the channel."
    )


# Thread and audit channel


AUDIT_ICONS = {
    AuditKind.REQUESTED: ":raising_hand:",
    AuditKind.APPROVED: ":white_check_mark:",
    AuditKind.SELF_APPROVED: ":rotating_light:",
    AuditKind.DENIED: ":no_entry_sign:",
    AuditKind.WITHDRAWN: ":leftwards_arrow_with_hook:",
    AuditKind.UNANSWERED: ":zzz:",
    AuditKind.GRANTED: ":unlock:",
    AuditKind.PRE_EXISTING: ":information_source:",
    AuditKind.EXTENSION_REQUESTED: ":hourglass_flowing_sand:",
    AuditKind.EXTENDED: ":heavy_plus_sign:",
    AuditKind.EXTENSION_DENIED: ":no_entry_sign:",
    AuditKind.REVOKED: ":lock:",
    AuditKind.EXPIRED: ":lock:",
    AuditKind.KEPT: ":lock:",
    AuditKind.FAILED: ":x:",
    AuditKind.CLEANED_UP: ":broom:",
    AuditKind.SCHEDULED: ":alarm_clock:",
}


def audit_line(event: AuditEvent) -> tuple[str, list[Block]]:
    """One line for the grant's thread and the audit channel."""
    text = audit_text(event, JUSTIFICATION_LIMIT)
    return text, [section(text)]


def audit_text(event: AuditEvent, detail_limit: int) -> str:
    """The words of `audit_line`, with the event's detail cut to `detail_limit`."""
    actor = person(event.actor)
    grant = code(event.grant_id)
    account = f"{escape(cut(event.account_name, NAME_LIMIT))} {code(event.account_id)}"
    what = f"{grant} ({account})"
    target = f"{what} for {person(event.requester)}"
    detail = _detail(event, detail_limit)
    tail = f": {detail}" if detail else ""
    until = f" until {slack_date(event.expires_at)}" if event.expires_at else ""
    permission_set = (
        f" with permission set {code(event.permission_set)}" if event.permission_set else ""
    )
    match event.kind:
        case AuditKind.REQUESTED:
            duration, justification = split_requested_detail(event.detail)
            how_long = f" for {duration}" if duration else ""
            said = quote(justification, detail_limit) if justification.strip() else ""
            reason = f"; justification: {said}" if said else ""
            line = f"{actor} requested break-glass access {target}{how_long}{reason}"
        case AuditKind.APPROVED:
            line = f"{actor} approved {target}{tail}"
        case AuditKind.SELF_APPROVED:
            reason = f"; emergency justification: {detail}" if detail else ""
            line = f"*{actor} self-approved* {target} in an emergency{reason}"
        case AuditKind.DENIED:
            line = f"{actor} denied {target}{tail}"
        case AuditKind.WITHDRAWN:
            line = f"{actor} withdrew {target} before a decision{tail}"
        case AuditKind.UNANSWERED:
            line = f"{target} went unanswered: nobody decided in time{tail}"
        case AuditKind.GRANTED:
            line = f"{actor} gave access{permission_set}: {target}{until}{tail}"
        case AuditKind.PRE_EXISTING:
            line = (
                f"{target}: the access{permission_set} was already there; Outpost created "
                f"nothing and will remove nothing{tail}"
            )
        case AuditKind.EXTENSION_REQUESTED:
            line = f"{actor} asked to extend {target}{tail}"
        case AuditKind.EXTENDED:
            line = f"{actor} extended {target}{until}{tail}"
        case AuditKind.EXTENSION_DENIED:
            line = f"{actor} denied the extension of {target}{tail}"
        case AuditKind.REVOKED:
            line = f"{actor} revoked {target} early; access removed{tail}"
        case AuditKind.EXPIRED:
            line = f"{target} expired; access removed{tail}"
        case AuditKind.KEPT:
            line = f"{target} ended; the access that was there before stays{tail}"
        case AuditKind.FAILED:
            line = f"{target} failed{tail}"
        case AuditKind.CLEANED_UP:
            line = f"{target}: removed what AWS may have made of the failed grant{tail}"
        case AuditKind.SCHEDULED:
            at = f" at {slack_date(event.expires_at)}" if event.expires_at else ""
            line = f"{actor} scheduled the AWS-side removal of {target}{at}{tail}"
    if event.request_ids:
        ids = ", ".join(code(cut(r, 100)) for r in event.request_ids[:10])
        line += f" · AWS request ids: {ids}"
    return f"{AUDIT_ICONS[event.kind]} {line}"


# Details that hold a person's words whole, and those where Outpost's words lead them.
_SAID = frozenset({AuditKind.DENIED, AuditKind.EXTENSION_DENIED, AuditKind.SELF_APPROVED})
_LEADS = {AuditKind.EXTENSION_REQUESTED: "+", AuditKind.APPROVED: "granted directly for "}


def _detail(event: AuditEvent, limit: int) -> str:
    """The event's detail, with whatever a person typed in it quoted as theirs."""
    detail = event.detail
    if not detail.strip():
        return ""
    if event.kind in _SAID:
        return quote(detail, limit)
    lead = _LEADS.get(event.kind)
    if lead is not None and detail.startswith(lead):
        duration, words = split_requested_detail(detail.removeprefix(lead))
        if duration is not None:
            said = f": {quote(words, limit)}" if words.strip() else ""
            return f"{lead}{duration}{said}"
    return inert(detail, limit)


# Direct messages to the requester


def audit_direct(event: AuditEvent, *, start_url: str | None) -> tuple[str, list[Block]]:
    """What the requester is told in a direct message."""
    account = account_label(event.account_name, event.account_id)
    grant = code(event.grant_id)
    by = "You" if event.actor == event.requester else person(event.actor)
    detail = _detail(event, NOTE_LIMIT)
    tail = f": {_sentence(detail)}" if detail else "."
    ends = f" It ends {slack_date(event.expires_at)}." if event.expires_at else ""
    extra: list[Block] = []
    match event.kind:
        case AuditKind.GRANTED:
            return _granted_direct(event, start_url)
        case AuditKind.REQUESTED:
            text = f":raising_hand: Your request {grant} for access to {account} was sent to ops."
        case AuditKind.APPROVED:
            text = (
                f":white_check_mark: {by} approved {grant} for access to {account}; "
                "Outpost is giving you access in AWS now."
            )
        case AuditKind.SELF_APPROVED:
            text = (
                f":rotating_light: {by} self-approved {grant} for access to {account} in an "
                "emergency. Every ops member is told, and the audit trail marks it self-approved. "
                "Outpost is giving you access in AWS now."
            )
        case AuditKind.DENIED:
            text = f":no_entry_sign: {by} denied your request {grant} for access to {account}{tail}"
        case AuditKind.WITHDRAWN:
            text = f":leftwards_arrow_with_hook: {by} withdrew {grant} for access to {account}."
        case AuditKind.UNANSWERED:
            text = (
                f":zzz: Your request {grant} for access to {account} was not answered: nobody "
                "decided in time; ask again with `/account breakglass`."
            )
        case AuditKind.PRE_EXISTING:
            text = (
                f":information_source: You already had this access to {account} before {grant}. "
                "Outpost created nothing, and leaves it in place when the grant ends."
            )
        case AuditKind.EXTENSION_REQUESTED:
            text = f":hourglass_flowing_sand: The extension of {grant} was sent to ops."
        case AuditKind.EXTENDED:
            text = f":heavy_plus_sign: {by} extended your access {grant} to {account}.{ends}"
        case AuditKind.EXTENSION_DENIED:
            text = f":no_entry_sign: {by} denied the extension of {grant}{tail}{ends}"
        case AuditKind.REVOKED:
            text = f":lock: {by} revoked your access {grant} to {account}; it is removed in AWS."
            extra.append(context(CONSOLE_SESSIONS))
        case AuditKind.EXPIRED:
            text = f":lock: Your access {grant} to {account} has ended: the time is up."
            extra.append(context(CONSOLE_SESSIONS))
        case AuditKind.KEPT:
            text = f":lock: {grant} has ended; the access to {account} you had before it stays."
        case AuditKind.FAILED:
            text = (
                f":x: Outpost could not give you access {grant} to {account}{tail} "
                "The details are in the request's thread."
            )
        case AuditKind.CLEANED_UP:
            text = f":broom: Nothing is left in AWS of {grant} to {account}."
        case AuditKind.SCHEDULED:
            text = f":alarm_clock: AWS will also remove your access {grant} to {account}.{ends}"
    return text, [section(text), *extra]


def _sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else text + "."


def _granted_direct(event: AuditEvent, start_url: str | None) -> tuple[str, list[Block]]:
    account = account_label(event.account_name, event.account_id)
    lines = [f":unlock: *You have break-glass access* to {account}."]
    if event.permission_set:
        lines.append(f"Permission set: {code(event.permission_set)}")
    if start_url and safe_url(start_url):
        lines.append(f"Sign in through the <{start_url}|AWS access portal>.")
    if event.expires_at:
        lines.append(f"Your access ends {slack_date(event.expires_at)}.")
    lines.append(f"Grant {code(event.grant_id)}")
    text = "\n".join(lines)
    return text, [section(text), context(CONSOLE_SESSIONS)]


# Failures, reminders and retries


def grant_failure_blocks(grant: Grant) -> tuple[str, list[Block]]:
    """The AWS error that stopped a grant, with what it means, for the grant's thread."""
    failure = grant.failure
    if failure is None:
        text = f":x: {code(grant.id)} failed; AWS gave no details."
        return text, [section(text)]
    if grant.state is GrantState.REVOKING and grant.end_reason is EndReason.GRANT_FAILED:
        title = ":x: *Could not give access*: taking back anything AWS may have created"
    elif grant.state is GrantState.REVOKING:
        title = ":warning: *Could not revoke access yet, trying again*"
    elif grant.state is GrantState.FAILED:
        title = ":x: *Could not give access*"
    elif grant.state is GrantState.GRANTING:
        title = ":warning: *Could not give access yet, trying again shortly*"
    else:
        title = ":warning: *An AWS call for this access failed*"
    blocks = failure_blocks(title, failure)
    blocks.append(context(f"Grant {code(grant.id)}"))
    return failure_summary(failure), blocks


def reminder_line(grant: Grant, ops_mention: str) -> tuple[str, list[Block]]:
    """Halfway to unanswered: ops are asked again, in the grant's thread."""
    request = grant.request
    text = (
        f":bell: {deciders(ops_mention, grant)} {code(grant.id)} still waits for a decision: "
        f"{subject(grant)} to "
        f"{account_label(request.account_name, request.account_id)} for "
        f"{person(grant.requester)}. It closes unanswered at {slack_date(grant.answer_by)}."
    )
    return text, [section(text)]

"""What the person who acted on break-glass access is told privately, in Slack's words.

The break-glass service (bot/services/breakglass.py) answers with the grant it saved, or with a
typed refusal; these turn either into the line the person reads, wherever they acted (a command,
a button, a modal).
"""

from __future__ import annotations

from datetime import timedelta

from bot.domain.durations import format_duration
from bot.domain.grants import (
    SHORTEST_JUSTIFICATION,
    AccessRequest,
    Decision,
    Grant,
    GrantRefused,
    GrantRule,
    GrantState,
)
from bot.domain.operations import AwsFailure
from bot.services.breakglass import (
    AlreadyCovered,
    GrantToSelf,
    KeptChanging,
    ManagementRefused,
    ManagementUnchecked,
    NoSuchGrant,
    NotOpsToGrant,
    Refusal,
)
from bot.store.base import OverlappingGrant
from bot.ui.text import code, escape, slack_date

NOT_OPS_TO_GRANT = "Only ops can grant access directly. Ask with /account breakglass."
NOT_OPS_TO_DENY = "Only ops can deny break-glass requests."
NOT_YOURS_TO_EXTEND = "Only the person who has the access, or ops, can extend it."
DENY_REASON_MISSING = "Say why: the requester reads it."
NOT_SET_UP = (
    "Break-glass access is not set up here: BREAKGLASS_PERMISSION_SET is not set. "
    "Whoever runs Outpost can set it to the permission set to grant (its name or ARN)."
)
ALLOW_MANAGEMENT = (
    "Whoever runs Outpost can allow it by setting BREAKGLASS_ALLOW_MANAGEMENT_ACCOUNT=true."
)


def filed(grant: Grant) -> str:
    return (
        f"Request {grant.id} for {format_duration(grant.request.duration)} of access to "
        f"{_account(grant.request)} is waiting for ops to approve it "
        f"in <#{grant.channel}>. You will get a direct message when it is decided."
    )


def granted_directly(grant: Grant) -> str:
    return (
        f"Granting {grant.id}: {format_duration(grant.request.duration)} of access to "
        f"{_account(grant.request)} for <@{grant.requester}>. Its card is in <#{grant.channel}>."
    )


def approved(grant: Grant) -> str:
    return f"Approved: {grant.id}. Its card shows how it goes."


def denied(grant: Grant) -> str:
    return f"Denied: {grant.id}. The requester is told why."


def revoked(grant: Grant) -> str:
    if grant.state is GrantState.WITHDRAWN:
        return f"Withdrawn: {grant.id} will not be decided."
    return (
        f"Revoking {grant.id} now; its thread says when AWS has taken the access back. "
        "AWS console sessions already started stay valid until the permission set's "
        "session duration ends."
    )


def extension_asked(grant: Grant, duration: timedelta) -> str:
    return (
        f"Asked for {format_duration(duration)} more on {grant.id}: ops approve it on "
        f"its card in <#{grant.channel}>."
    )


def not_withdrawn(grant: Grant) -> str:
    """For a Withdraw click on a card older than the grant's decision."""
    if grant.state in (GrantState.GRANTING, GrantState.ACTIVE):
        return (
            f"{code(grant.id)} was approved meanwhile; use Revoke now on its card if you want "
            "to end the access. Nothing was changed."
        )
    return (
        f"{code(grant.id)} is {grant.state.value}: it no longer waits for a decision, so "
        "there is nothing to withdraw."
    )


def refused(refusal: Refusal) -> str:
    """Why nothing was done, for the person who acted."""
    match refusal:
        case GrantRefused():
            return grant_refused(refusal)
        case NoSuchGrant(grant_id=grant_id):
            return no_such_grant(grant_id)
        case NotOpsToGrant():
            return NOT_OPS_TO_GRANT
        case GrantToSelf():
            return (
                "You cannot grant access to yourself: ask for it with /account breakglass, "
                "and another ops member approves it."
            )
        case ManagementRefused(account_id=account_id, grant_id=grant_id):
            return _not_approved(management_refused(account_id), grant_id)
        case ManagementUnchecked(failure=failure, grant_id=grant_id):
            return _not_approved(management_unchecked(failure), grant_id)
        case AlreadyCovered(user=user, grant=grant):
            return already_covered(user, grant)
        case KeptChanging(grant_id=grant_id):
            return f"{grant_id} kept changing while you acted; look at its card."
        case OverlappingGrant():
            return "There is already a request or grant open for this account: it covers this one."


def grant_refused(refusal: GrantRefused) -> str:
    """The rule that refused, with the facts it names."""
    grant_id, state = refusal.grant_id, refusal.state.value if refusal.state else ""
    match refusal.rule:
        case GrantRule.NOT_OPS_TO_APPROVE:
            return "Only ops can approve break-glass requests."
        case GrantRule.NOT_OPS_TO_DENY:
            return NOT_OPS_TO_DENY
        case GrantRule.OWN_REQUEST:
            return (
                "You cannot approve your own request: another ops member has to. "
                "(Only people listed in BREAKGLASS_SELF_APPROVE_USERS may, in an emergency.)"
            )
        case GrantRule.NO_EMERGENCY_NOTE:
            return (
                "Approving your own request needs an emergency justification of at least "
                f"{SHORTEST_JUSTIFICATION} characters."
            )
        case GrantRule.NO_DENIAL_REASON:
            return "A denial needs a reason: the requester will read it."
        case GrantRule.DECIDED:
            assert refusal.decision is not None
            return f"{_extension_of(refusal)} was already {_decided(refusal.decision)}."
        case GrantRule.EXTENSION_CLOSED:
            return f"{_extension_of(refusal)} is no longer open."
        case GrantRule.WITHDRAWN:
            return f"{grant_id} was withdrawn by <@{refusal.user}>."
        case GrantRule.UNANSWERED:
            return f"{grant_id} expired unanswered; the requester can ask again."
        case GrantRule.NOTHING_TO_DECIDE:
            return f"{grant_id} is {state}: there is nothing to decide."
        case GrantRule.NOT_YOURS_TO_EXTEND:
            return "Only the person who has the access, or ops, can ask to extend it."
        case GrantRule.NOT_ACTIVE:
            return f"{grant_id} is {state}: only active access can be extended."
        case GrantRule.PRE_EXISTING:
            return (
                f"{grant_id} found the access already there, and Outpost never takes that away: "
                "there is nothing to extend."
            )
        case GrantRule.EXTENSION_WAITING:
            return f"{grant_id} already has an extension waiting for approval."
        case GrantRule.NOT_YOURS_TO_WITHDRAW:
            return (
                f"Only <@{refusal.user}> can withdraw {grant_id}. Ops decide it: Deny asks for "
                "a reason and tells them."
            )
        case GrantRule.NOT_YOURS_TO_REVOKE:
            return "Only the person who has the access, or ops, can revoke it."
        case GrantRule.NOTHING_TO_REVOKE:
            return f"{grant_id} is {state}: there is nothing to revoke."
        case GrantRule.NO_LONGER_PENDING:
            return (
                f"{grant_id} is {state} now: it no longer waits for a decision, "
                "so nothing was withdrawn. To end access, use Revoke now on its card."
            )


def _extension_of(refusal: GrantRefused) -> str:
    """The grant, or the extension of it, a refused decision was on."""
    if refusal.extension is None:
        return refusal.grant_id
    return f"Extension {refusal.extension} of {refusal.grant_id}"


def _decided(decision: Decision) -> str:
    if decision.by == "outpost":
        return f"closed ({decision.note})"
    verb = "approved" if decision.approved else "denied"
    return f"{verb} by <@{decision.by}>"


def already_covered(user: str, grant: Grant) -> str:
    if grant.state is GrantState.PENDING:
        return (
            f"<@{user}> already has request {grant.id} for this account waiting for "
            "approval: it covers this one."
        )
    until = f" until {slack_date(grant.expires_at)}" if grant.expires_at else ""
    return (
        f"<@{user}> already has access to this account through {grant.id}{until}. "
        "Ask to extend it (Extend on its card) rather than for a second grant."
    )


def management_refused(account_id: str) -> str:
    return (
        f"Account {account_id} is the organization's management account. From it, access can "
        "be made permanent and the whole organization changed, so Outpost gives no "
        f"break-glass access there. {ALLOW_MANAGEMENT}"
    )


def management_unchecked(failure: AwsFailure) -> str:
    return (
        "Outpost could not check whether this is the organization's management "
        f"account, where break-glass access is refused: AWS said {failure.code} "
        f"on {failure.operation}. Nothing was done; try again in a moment."
    )


def no_such_grant(grant_id: str) -> str:
    """For an id typed, or a button whose grant is not in the store (an old card, or forged)."""
    return (
        f"There is no break-glass grant {escape(grant_id[:40])!r}. Grant ids look like "
        "bg-1a2b3c4d; they are on the request's card."
    )


def no_email(user: str) -> str:
    return (
        f"Slack shows no email for <@{user}>, so Outpost cannot find their IAM Identity Center "
        "user. Check the Slack profile, and that Outpost has the users:read.email scope."
    )


def _not_approved(why: str, grant_id: str | None) -> str:
    if grant_id is None:
        return why
    return f"{why} Nothing was approved: deny {grant_id}, or allow it first."


def _account(request: AccessRequest) -> str:
    """The account as named by AWS, whose names may hold any printable character."""
    return f"{escape(request.account_name[:100])} ({request.account_id})"

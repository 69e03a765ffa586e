"""`/account show`'s review of access: who can get in, the alternate contacts, the budget.

Who can get in is listed by permission set, each group and user by name, with Outpost's own
access marked (the team's access, break-glass grants). An account with many assignments is
summed up, never cut mid-line: each permission set shows its first `ASSIGNEES_SHOWN`
assignees and counts the rest, and the sets that do not fit in `ACCESS_SECTIONS` sections are
counted in a last line with the command that lists them. A part AWS refused is shown as AWS
said it, in place of that part.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.domain.access_review import (
    AccountAccess,
    AccountReview,
    AlternateContacts,
    Assignee,
    BreakGlassAccess,
    Budget,
    ContactKind,
    NoBudget,
    NoIdentityCenter,
    PermissionSetAccess,
    Principal,
    PrincipalKind,
    Spend,
    TeamAccess,
)
from bot.domain.grants import GrantState
from bot.domain.operations import AwsFailure
from bot.ui.blocks import Block, context, section
from bot.ui.failure import failure_blocks
from bot.ui.text import SECTION_TEXT_LIMIT, code, cut, escape, slack_date

ASSIGNEES_SHOWN = 10  # of each permission set; the rest are counted
ACCESS_SECTIONS = 6  # at most, for who can get in
SECTION_ROOM = SECTION_TEXT_LIMIT - 200  # leaves room for a count line
NAME_SHOWN = 80  # characters of a name from the identity store or a contact

ACCESS_TITLE = "Who can get in through IAM Identity Center"
NOT_LISTED = (
    "IAM users and roles inside the account, and its root user, are not listed: "
    "Identity Center does not know them."
)

_SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,20}")


def review_blocks(account_id: str, review: AccountReview) -> list[Block]:
    return [
        *access_blocks(account_id, review.access),
        *contacts_blocks(account_id, review.contacts),
        *budget_blocks(review.budget),
    ]


# Who can get in


def access_blocks(
    account_id: str, access: AccountAccess | NoIdentityCenter | AwsFailure
) -> list[Block]:
    if isinstance(access, AwsFailure):
        title = (
            f":warning: *{ACCESS_TITLE}*: Outpost could not read it. The rest of the account "
            "is shown."
        )
        return failure_blocks(title, access)
    if isinstance(access, NoIdentityCenter):
        return [
            section(
                f"*{ACCESS_TITLE}*\nNobody: IAM Identity Center is not enabled in this "
                "organization and Region (ListInstances found no instance)."
            )
        ]
    if not access.permission_sets and not access.unlisted_grants:
        return [
            section(f"*{ACCESS_TITLE}*\nNobody: no permission set is provisioned to this account."),
            context(NOT_LISTED),
        ]
    return [*_access_sections(account_id, access), context(NOT_LISTED)]


def _access_sections(account_id: str, access: AccountAccess) -> list[Block]:
    sets = len(access.permission_sets)
    ours = access.by_outpost
    heading = (
        f"*{ACCESS_TITLE}* · {_count(sets, 'permission set')}, "
        f"{_count(access.assignments, 'assignment')}, {ours} made by Outpost"
    )
    # Line by line, each line whole: (index of its permission set, line).
    lines = [
        (index, line)
        for index, one in enumerate(access.permission_sets)
        for line in _permission_set_lines(one)
    ]
    if access.unlisted_grants:
        lines += [(sets, line) for line in _unlisted_lines(access.unlisted_grants)]
    sections: list[str] = []
    current = heading
    for index, line in lines:
        if len(current) + 1 + len(line) <= SECTION_ROOM:
            current += "\n" + line
            continue
        if len(sections) + 1 >= ACCESS_SECTIONS:
            current += "\n" + _left_out(account_id, access.permission_sets[index:])
            break
        sections.append(current)
        current = line
    sections.append(current)
    return [section(text) for text in sections]


def _permission_set_lines(access: PermissionSetAccess) -> list[str]:
    name = escape(cut(access.permission_set.name, NAME_SHOWN))
    if not access.assignees:
        return [f"*{name}*: provisioned, nobody assigned on this account"]
    lines = [f"*{name}*"]
    lines += [_assignee_line(a) for a in access.assignees[:ASSIGNEES_SHOWN]]
    left = access.assignees[ASSIGNEES_SHOWN:]
    if left:
        lines.append(f"…and {len(left)} more: {_kinds(left)}")
    return lines


def _assignee_line(assignee: Assignee) -> str:
    line = "• " + _principal(assignee.principal)
    match assignee.outpost:
        case TeamAccess(team=team):
            whose = f" ({escape(cut(team, NAME_SHOWN))})" if team else ""
            line += f" · :white_check_mark: *the owning team's access*{whose}, given by Outpost"
        case BreakGlassAccess() as grant:
            line += " · " + _break_glass(grant)
        case None:
            pass
    return line


def _principal(principal: Principal) -> str:
    if not principal.known:
        kind = "group" if principal.kind is PrincipalKind.GROUP else "user"
        return (
            f":grey_question: {code(principal.id)} · *unknown {kind}*: the identity store "
            "has no such id any more"
        )
    name = escape(cut(principal.name or "", NAME_SHOWN))
    if principal.kind is PrincipalKind.GROUP:
        return f":busts_in_silhouette: {name} (group)"
    shown = f":bust_in_silhouette: {name}"
    if principal.user_name and principal.user_name != principal.name:
        shown += f" ({code(cut(principal.user_name, NAME_SHOWN))})"
    return shown


def _break_glass(grant: BreakGlassAccess) -> str:
    who = _person(grant.requester)
    if grant.pre_existing:
        return (
            f"break-glass grant {code(grant.grant_id)} for {who}, but the access was there "
            "before: Outpost did not make it and leaves it after"
        )
    match grant.state:
        case GrantState.ACTIVE if grant.expires_at is not None:
            when = f"until {slack_date(grant.expires_at)}"
        case GrantState.GRANTING:
            when = "being given"
        case GrantState.REVOKING:
            when = "being taken back"
        case _:
            when = grant.state.value
    grant_id = code(grant.grant_id)
    return f":rotating_light: *break-glass* for {who} {when}, given by Outpost ({grant_id})"


def _unlisted_lines(grants: Sequence[BreakGlassAccess]) -> list[str]:
    lines = ["*Break-glass grants with no assignment listed yet*"]
    lines += [f"• {_break_glass(g)}" for g in grants[:ASSIGNEES_SHOWN]]
    if len(grants) > ASSIGNEES_SHOWN:
        lines.append(f"…and {len(grants) - ASSIGNEES_SHOWN} more")
    return lines


def _left_out(account_id: str, sets: Sequence[PermissionSetAccess]) -> str:
    """The line that sums up the permission sets not shown (or not wholly), from the first."""
    listed = code(
        "aws sso-admin list-permission-sets-provisioned-to-account --instance-arn INSTANCE_ARN "
        f"--account-id {account_id}"
    )
    if not sets:  # only grants with no assignment were left
        return f"…and more: {listed}"
    assignees = [a for one in sets for a in one.assignees]
    first = escape(cut(sets[0].permission_set.name, NAME_SHOWN))
    return (
        f"…not all shown: {_count(len(sets), 'permission set')} from *{first}* on, with "
        f"{_kinds(assignees)} in all: {listed}"
    )


def _kinds(assignees: Sequence[Assignee]) -> str:
    groups = sum(1 for a in assignees if a.principal.kind is PrincipalKind.GROUP)
    users = len(assignees) - groups
    ours = sum(1 for a in assignees if a.outpost is not None)
    counted = [_count(n, kind) for n, kind in ((groups, "group"), (users, "user")) if n]
    text = " and ".join(counted) or "nobody"
    return text + (f", {ours} by Outpost" if ours else "")


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}" + ("" if number == 1 else "s")


def _person(user_id: str) -> str:
    return f"<@{user_id}>" if _SLACK_USER.fullmatch(user_id) else code(cut(user_id, 40))


# Alternate contacts

CONTACT_TITLES = {
    ContactKind.SECURITY: "Security",
    ContactKind.OPERATIONS: "Operations",
    ContactKind.BILLING: "Billing",
}
TRUSTED_ACCESS = (
    "An `AccessDeniedException` here usually means trusted access for AWS Account Management "
    "is not enabled in the organization (`aws organizations enable-aws-service-access "
    "--service-principal account.amazonaws.com`, from the management account), or that "
    "Outpost's credentials lack `account:GetAlternateContact`."
)


def contacts_blocks(account_id: str, contacts: AlternateContacts | AwsFailure) -> list[Block]:
    if isinstance(contacts, AwsFailure):
        title = (
            ":warning: *Alternate contacts*: Outpost could not read them. The rest of the "
            "account is shown."
        )
        blocks = failure_blocks(title, contacts)
        if contacts.code == "AccessDeniedException":
            blocks.append(context(TRUSTED_ACCESS))
        return blocks
    lines = [_contact_line(kind, contacts) for kind in ContactKind]
    return [section("*Alternate contacts* (whom AWS tells)\n" + "\n".join(lines))]


def _contact_line(kind: ContactKind, contacts: AlternateContacts) -> str:
    contact = contacts.of(kind)
    title = CONTACT_TITLES[kind]
    if contact is None:
        return f"• {title}: not set"
    parts = [escape(cut(contact.name, NAME_SHOWN))]
    if contact.title:
        parts[0] += f", {escape(cut(contact.title, NAME_SHOWN))}"
    parts += [code(cut(v, NAME_SHOWN)) for v in (contact.email, contact.phone) if v]
    return f"• {title}: " + " · ".join(parts)


# Budget

PERIODS = {
    "DAILY": "a day",
    "MONTHLY": "a month",
    "QUARTERLY": "a quarter",
    "ANNUALLY": "a year",
}


def budget_blocks(budget: Budget | NoBudget | AwsFailure) -> list[Block]:
    if isinstance(budget, AwsFailure):
        title = ":warning: *Budget*: Outpost could not read it. The rest of the account is shown."
        return failure_blocks(title, budget)
    if isinstance(budget, NoBudget):
        return [
            section(
                f"*Budget*\nNone: the management account has no budget named {code(budget.name)}."
            )
        ]
    period = PERIODS.get(budget.time_unit, f"per {code(budget.time_unit)}")
    text = f"*Budget* {code(budget.name)}\n"
    text += f"{_spend(budget.limit)} {period}" if budget.limit else "No fixed limit"
    if budget.actual is not None:
        text += f" · spent so far: {_spend(budget.actual)}"
    if budget.forecast is not None:
        text += f" · forecast: {_spend(budget.forecast)}"
    return [section(text)]


def _spend(spend: Spend | None) -> str:
    if spend is None:
        return "—"
    return code(f"{spend.amount} {spend.unit}".strip())

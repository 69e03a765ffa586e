"""Who can get in to an account, and who AWS calls about it: what `/account show` reviews.

An access reviewer wants every way in, not only Outpost's: each permission set provisioned to
the account in IAM Identity Center, with the groups and users assigned it, by name. Among them,
Outpost's own doing is marked: the team's access (the group tagged `outpost:team-group-id` with
`TEAM_PERMISSION_SET`) and break-glass grants still open. Beside that, the account's alternate
contacts and its budget. These are the values the readers fill and `bot/ui` shows, kept free
of boto3 and Slack so the rules that mark Outpost's access are tested as they are.

Each part is read on its own and may fail on its own: a part AWS refused carries the failure
as AWS gave it, and the rest is still shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

from bot.domain.grants import Grant, GrantState
from bot.domain.identity_center import PermissionSet
from bot.domain.operations import AwsFailure


class PrincipalKind(StrEnum):
    GROUP = "GROUP"
    USER = "USER"


class Principal(BaseModel, frozen=True):
    """A group or user of the identity store, as an account assignment names it."""

    kind: PrincipalKind
    id: str
    # DisplayName; None when the identity store no longer has this id (deleted, or another
    # directory's): the assignment is still there, so it is shown by id, marked unknown.
    name: str | None = None
    user_name: str | None = None  # a user's UserName, beside their display name

    @property
    def known(self) -> bool:
        return self.name is not None


class TeamAccess(BaseModel, frozen=True):
    """The access Outpost gives the owning team: its group, with TEAM_PERMISSION_SET."""

    team: str | None  # the `outpost:team` tag


class BreakGlassAccess(BaseModel, frozen=True):
    """An open break-glass grant this assignment is, or was there before (`pre_existing`)."""

    grant_id: str
    requester: str  # the Slack user who holds it
    state: GrantState
    expires_at: datetime | None
    pre_existing: bool = False  # the assignment was there before: the grant did not make it


OutpostMark = TeamAccess | BreakGlassAccess


class Assignee(BaseModel, frozen=True):
    principal: Principal
    outpost: OutpostMark | None = None  # None: Outpost did not make it


class PermissionSetAccess(BaseModel, frozen=True):
    permission_set: PermissionSet
    assignees: tuple[Assignee, ...]


class AccountAccess(BaseModel, frozen=True):
    """Every permission set provisioned to the account, and who is assigned each."""

    permission_sets: tuple[PermissionSetAccess, ...]
    # Open grants with no assignment listed (still being given, or taken away by hand).
    unlisted_grants: tuple[BreakGlassAccess, ...] = ()

    @property
    def assignments(self) -> int:
        return sum(len(access.assignees) for access in self.permission_sets)

    @property
    def by_outpost(self) -> int:
        return sum(
            1
            for access in self.permission_sets
            for assignee in access.assignees
            if assignee.outpost is not None and not _pre_existing(assignee.outpost)
        )


class NoIdentityCenter(BaseModel, frozen=True):
    """ListInstances found no Identity Center instance: nobody gets in through it."""


class Assignment(BaseModel, frozen=True):
    """One account assignment as AWS lists it: ids only."""

    kind: PrincipalKind
    principal_id: str


class ProvisionedSet(BaseModel, frozen=True):
    permission_set: PermissionSet
    assignments: tuple[Assignment, ...]


class OutpostAccess(BaseModel, frozen=True):
    """What tells Outpost's assignments apart: the account's team tags, the setting, and the
    open grants on the account."""

    team: str | None = None
    team_group_id: str | None = None
    team_permission_set: str | None = None  # TEAM_PERMISSION_SET: a name or an ARN
    grants: tuple[Grant, ...] = ()


def account_access(
    provisioned: Sequence[ProvisionedSet],
    principals: Mapping[tuple[PrincipalKind, str], Principal],
    outpost: OutpostAccess,
) -> AccountAccess:
    """Who is assigned what, by name, with Outpost's assignments marked.

    Permission sets come by name; within one, Outpost's assignments first, then groups before
    users, each by name (unknown ids last).
    """
    grants = [g for g in outpost.grants if g.state.open]
    matched: set[str] = set()
    sets: list[PermissionSetAccess] = []
    for provided in sorted(provisioned, key=lambda p: p.permission_set.name.casefold()):
        assignees: list[Assignee] = []
        for assignment in dict.fromkeys(provided.assignments):
            key = (assignment.kind, assignment.principal_id)
            principal = principals.get(key) or Principal(kind=key[0], id=key[1])
            mark: OutpostMark | None = _team_mark(provided.permission_set, principal, outpost)
            if mark is None:
                grant = _grant_for(provided.permission_set, principal, grants)
                if grant is not None:
                    matched.add(grant.id)
                    mark = break_glass(grant)
            assignees.append(Assignee(principal=principal, outpost=mark))
        assignees.sort(key=_assignee_order)
        given = PermissionSetAccess(
            permission_set=provided.permission_set, assignees=tuple(assignees)
        )
        sets.append(given)
    unlisted = tuple(break_glass(g) for g in grants if g.id not in matched and _given(g))
    return AccountAccess(permission_sets=tuple(sets), unlisted_grants=unlisted)


def break_glass(grant: Grant) -> BreakGlassAccess:
    return BreakGlassAccess(
        grant_id=grant.id,
        requester=grant.requester,
        state=grant.state,
        expires_at=grant.expires_at,
        pre_existing=grant.progress.pre_existing,
    )


def principals_named(assignments: Iterable[Assignment]) -> list[tuple[PrincipalKind, str]]:
    """Each principal once, in the order first assigned: whose names to read."""
    return list(dict.fromkeys((a.kind, a.principal_id) for a in assignments))


def _team_mark(
    permission_set: PermissionSet, principal: Principal, outpost: OutpostAccess
) -> TeamAccess | None:
    wanted = outpost.team_permission_set
    if (
        principal.kind is PrincipalKind.GROUP
        and outpost.team_group_id is not None
        and principal.id == outpost.team_group_id
        and wanted is not None
        and wanted in (permission_set.arn, permission_set.name)
    ):
        return TeamAccess(team=outpost.team)
    return None


def _grant_for(
    permission_set: PermissionSet, principal: Principal, grants: Sequence[Grant]
) -> Grant | None:
    if principal.kind is not PrincipalKind.USER:
        return None
    for grant in grants:
        progress = grant.progress
        if progress.user_id == principal.id and progress.permission_set_arn == permission_set.arn:
            return grant
    return None


def _given(grant: Grant) -> bool:
    """Approved, so the holder has or is about to have the access (not waiting for ops)."""
    return grant.state in (GrantState.GRANTING, GrantState.ACTIVE, GrantState.REVOKING)


def _pre_existing(mark: OutpostMark) -> bool:
    return isinstance(mark, BreakGlassAccess) and mark.pre_existing


def _assignee_order(assignee: Assignee) -> tuple[int, int, int, str, str]:
    """Outpost's own first (what a reviewer asks Outpost about), then groups, then users;
    by name, unknown ids last."""
    principal = assignee.principal
    ours = 0 if assignee.outpost is not None else 1
    kind = 0 if principal.kind is PrincipalKind.GROUP else 1
    name = (principal.name or "").casefold()
    return (ours, kind, 0 if principal.known else 1, name, principal.id)


# Who AWS calls about the account, and what it may cost


class ContactKind(StrEnum):
    SECURITY = "SECURITY"
    OPERATIONS = "OPERATIONS"
    BILLING = "BILLING"


class AlternateContact(BaseModel, frozen=True):
    kind: ContactKind
    name: str
    title: str
    email: str
    phone: str


class AlternateContacts(BaseModel, frozen=True):
    """Each kind of alternate contact, or None where none is set."""

    security: AlternateContact | None = None
    operations: AlternateContact | None = None
    billing: AlternateContact | None = None

    def of(self, kind: ContactKind) -> AlternateContact | None:
        found: AlternateContact | None = getattr(self, kind.value.lower())
        return found


class Spend(BaseModel, frozen=True):
    amount: str  # as AWS gives it, e.g. "100.0"
    unit: str  # e.g. "USD"


class Budget(BaseModel, frozen=True):
    """The budget Outpost keeps for the account in the management account."""

    name: str
    time_unit: str  # MONTHLY, QUARTERLY, ANNUALLY, DAILY
    limit: Spend | None = None  # None for a budget with planned or auto-adjusted limits
    actual: Spend | None = None
    forecast: Spend | None = None


class NoBudget(BaseModel, frozen=True):
    """DescribeBudget found no budget of that name."""

    name: str


def budget_name(account_id: str) -> str:
    """The name of the budget Outpost keeps for an account, in the management account."""
    return f"outpost-{account_id}"


class AccountReview(BaseModel, frozen=True):
    """Everything `/account show` adds about access: each part, or why AWS did not give it."""

    access: AccountAccess | NoIdentityCenter | AwsFailure
    contacts: AlternateContacts | AwsFailure
    budget: Budget | NoBudget | AwsFailure

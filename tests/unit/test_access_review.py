"""Who can get in to an account: which assignments are Outpost's, the review service over
hand-written readers, and how `/account show` renders it within Slack's limits."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from bot.aws.errors import AwsCallError
from bot.aws.identity_center import IdentityCenterMissing
from bot.domain.access_review import (
    AccountAccess,
    AccountReview,
    AlternateContact,
    AlternateContacts,
    Assignment,
    Budget,
    ContactKind,
    NoBudget,
    NoIdentityCenter,
    OutpostAccess,
    Principal,
    PrincipalKind,
    ProvisionedSet,
    Spend,
    TeamAccess,
    account_access,
    budget_name,
)
from bot.domain.accounts import AccountSummary
from bot.domain.grants import AccessProgress, Grant, GrantState
from bot.domain.identity_center import IdentityCenterInstance, PermissionSet
from bot.domain.inventory import TEAM_GROUP_ID_TAG, TEAM_TAG, AccountDetails
from bot.emulator.block_kit import block_kit_errors
from bot.services.access_review import AccessReview
from bot.ui.account_access import ASSIGNEES_SHOWN, review_blocks
from bot.ui.account_show import account_blocks
from tests.unit.factories import T0, aws_failure, grant

GROUP, USER = PrincipalKind.GROUP, PrincipalKind.USER
ACCOUNT = "111122223333"
MANAGEMENT = "999988887777"
TEAM = PermissionSet(arn="arn:aws:sso:::permissionSet/ssoins-1/ps-team", name="TeamAdmin")
BREAK_GLASS = PermissionSet(arn="arn:aws:sso:::permissionSet/ssoins-1/ps-bg", name="BreakGlass")
INSTANCE = IdentityCenterInstance(arn="arn:aws:sso:::instance/ssoins-1", identity_store_id="d-1")


def provisioned(permission_set: PermissionSet, *assigned: tuple[PrincipalKind, str]) -> Any:
    assignments = tuple(Assignment(kind=kind, principal_id=pid) for kind, pid in assigned)
    return ProvisionedSet(permission_set=permission_set, assignments=assignments)


def named(*principals: tuple[PrincipalKind, str, str]) -> dict[Any, Principal]:
    return {(k, pid): Principal(kind=k, id=pid, name=name) for k, pid, name in principals}


def active_grant(user_id: str, permission_set: PermissionSet, **progress: Any) -> Grant:
    return grant(
        state=GrantState.ACTIVE,
        expires_at=T0 + timedelta(hours=1),
        progress=AccessProgress(user_id=user_id, permission_set_arn=permission_set.arn, **progress),
    )


def shown(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def assert_accepted(blocks: list[dict[str, Any]]) -> None:
    assert block_kit_errors(blocks, surface="message") == []


class TestWhatOutpostMade:
    def test_the_team_group_with_the_team_permission_set_is_the_teams_access(self) -> None:
        access = account_access(
            [provisioned(TEAM, (GROUP, "g-team"), (GROUP, "g-other"))],
            named((GROUP, "g-team", "team-billing"), (GROUP, "g-other", "auditors")),
            OutpostAccess(team="billing", team_group_id="g-team", team_permission_set="TeamAdmin"),
        )
        (team,) = access.permission_sets
        marks = {a.principal.name: a.outpost for a in team.assignees}
        assert marks == {"team-billing": TeamAccess(team="billing"), "auditors": None}
        assert access.by_outpost == 1

    @pytest.mark.parametrize("setting", [TEAM.arn, TEAM.name])
    def test_the_setting_may_name_the_permission_set_or_give_its_arn(self, setting: str) -> None:
        outpost = OutpostAccess(team_group_id="g-team", team_permission_set=setting)
        access = account_access([provisioned(TEAM, (GROUP, "g-team"))], {}, outpost)
        assert access.by_outpost == 1

    @pytest.mark.parametrize(
        "outpost",
        [
            OutpostAccess(team_group_id="g-team"),  # TEAM_PERMISSION_SET unset
            OutpostAccess(team_permission_set="TeamAdmin"),  # no team group tag
            OutpostAccess(team_group_id="g-team", team_permission_set="ReadOnly"),
        ],
    )
    def test_anything_else_the_team_has_is_not_outposts(self, outpost: OutpostAccess) -> None:
        access = account_access([provisioned(TEAM, (GROUP, "g-team"))], {}, outpost)
        assert access.by_outpost == 0

    def test_an_open_grant_marks_its_users_assignment_of_its_permission_set(self) -> None:
        given = active_grant("u-erin", BREAK_GLASS)
        access = account_access(
            [
                provisioned(BREAK_GLASS, (USER, "u-erin"), (USER, "u-olga")),
                provisioned(TEAM, (USER, "u-erin")),
            ],
            named((USER, "u-erin", "erin"), (USER, "u-olga", "olga")),
            OutpostAccess(grants=(given,)),
        )
        break_glass, team = access.permission_sets
        erin, olga = break_glass.assignees
        assert erin.outpost is not None and olga.outpost is None
        assert erin.outpost.model_dump()["grant_id"] == given.id
        assert team.assignees[0].outpost is None  # the grant was for BreakGlass only
        assert access.unlisted_grants == ()

    def test_access_that_was_there_before_the_grant_is_not_counted_as_outposts(self) -> None:
        given = active_grant("u-erin", BREAK_GLASS, pre_existing=True)
        access = account_access(
            [provisioned(BREAK_GLASS, (USER, "u-erin"))], {}, OutpostAccess(grants=(given,))
        )
        assert access.permission_sets[0].assignees[0].outpost is not None
        assert access.by_outpost == 0

    def test_a_grant_being_given_with_no_assignment_yet_is_listed_apart(self) -> None:
        granting = grant(state=GrantState.GRANTING)
        waiting = grant(state=GrantState.PENDING)
        ended = grant(state=GrantState.ENDED)
        access = account_access([], {}, OutpostAccess(grants=(granting, waiting, ended)))
        assert [g.grant_id for g in access.unlisted_grants] == [granting.id]

    def test_outposts_own_come_first_then_groups_then_users_then_unknown_ids(self) -> None:
        access = account_access(
            [
                provisioned(
                    TEAM,
                    (USER, "u-gone"),
                    (USER, "u-b"),
                    (GROUP, "g-a"),
                    (USER, "u-a"),
                    (GROUP, "g-team"),
                )
            ],
            named((USER, "u-b", "Bea"), (GROUP, "g-a", "auditors"), (USER, "u-a", "al")),
            OutpostAccess(team_group_id="g-team", team_permission_set="TeamAdmin"),
        )
        order = [a.principal.id for a in access.permission_sets[0].assignees]
        assert order == ["g-team", "g-a", "u-a", "u-b", "u-gone"]


# The service, over hand-written readers


class Assignments:
    def __init__(self, sets: list[ProvisionedSet], names: dict[Any, Principal]) -> None:
        self.sets, self.names = sets, names
        self.failure: AwsCallError | IdentityCenterMissing | None = None
        self.asked: list[Any] = []

    async def instance(self) -> IdentityCenterInstance:
        if self.failure is not None:
            raise self.failure
        return INSTANCE

    async def provisioned(self, account_id: str, instance: Any) -> list[ProvisionedSet]:
        return self.sets

    async def principals(self, wanted: Any, instance: Any) -> dict[Any, Principal]:
        self.asked.append(list(wanted))
        return {key: self.names[key] for key in wanted if key in self.names}


class Baseline:
    def __init__(self) -> None:
        self.contacts_failure: AwsCallError | None = None
        self.management_flags: list[bool] = []
        self.budget_owner: str | None = None

    async def contacts(self, account_id: str, *, management: bool) -> AlternateContacts:
        self.management_flags.append(management)
        if self.contacts_failure is not None:
            raise self.contacts_failure
        return AlternateContacts(security=contact(ContactKind.SECURITY))

    async def budget(self, account_id: str, management_account_id: str) -> Budget | NoBudget:
        self.budget_owner = management_account_id
        return NoBudget(name=budget_name(account_id))


class Desk:
    def __init__(self, *grants: Grant) -> None:
        self.grants = list(grants)

    async def open_grants_on(self, account_id: str) -> list[Grant]:
        return [g for g in self.grants if g.request.account_id == account_id]


class Management:
    async def id(self) -> str:
        return MANAGEMENT


def contact(kind: ContactKind) -> AlternateContact:
    return AlternateContact(
        kind=kind, name="Sam", title="Lead", email="sam@example.com", phone="+1-555-0100"
    )


def details(account_id: str = ACCOUNT, **tags: str) -> AccountDetails:
    account = AccountSummary(
        id=account_id, name="billing-prod", email="aws+billing@example.com", status="ACTIVE"
    )
    return AccountDetails(account=account, ou_path="Root / Workloads", tags=tags)


def reviewing(assignments: Assignments, baseline: Baseline, desk: Desk) -> AccessReview:
    return AccessReview(assignments, baseline, desk, Management(), team_permission_set="TeamAdmin")


class TestReview:
    async def test_names_each_principal_once_and_marks_outposts_access(self) -> None:
        assignments = Assignments(
            [
                provisioned(TEAM, (GROUP, "g-team"), (USER, "u-erin")),
                provisioned(BREAK_GLASS, (USER, "u-erin")),
            ],
            named((GROUP, "g-team", "team-billing"), (USER, "u-erin", "erin")),
        )
        on_account = active_grant("u-erin", BREAK_GLASS)
        review = await reviewing(assignments, Baseline(), Desk(on_account)).review(
            details(**{TEAM_TAG: "billing", TEAM_GROUP_ID_TAG: "g-team"})
        )
        assert assignments.asked == [[(GROUP, "g-team"), (USER, "u-erin")]]
        assert isinstance(review.access, AccountAccess)
        assert review.access.by_outpost == 2

    async def test_without_identity_center_nobody_gets_in_through_it(self) -> None:
        assignments = Assignments([], {})
        assignments.failure = IdentityCenterMissing()
        review = await reviewing(assignments, Baseline(), Desk()).review(details())
        assert review.access == NoIdentityCenter()
        assert isinstance(review.contacts, AlternateContacts)

    async def test_a_refused_part_is_the_failure_and_the_others_are_still_read(self) -> None:
        assignments = Assignments([], {})
        assignments.failure = AwsCallError(aws_failure(service="sso-admin", code="AccessDenied"))
        baseline = Baseline()
        denied = aws_failure(service="account", operation="GetAlternateContact")
        baseline.contacts_failure = AwsCallError(denied)
        review = await reviewing(assignments, baseline, Desk()).review(details())
        assert review.access == aws_failure(service="sso-admin", code="AccessDenied")
        assert review.contacts == denied
        assert review.budget == NoBudget(name=f"outpost-{ACCOUNT}")

    async def test_the_management_account_is_read_as_itself_and_budgets_live_there(
        self,
    ) -> None:
        baseline = Baseline()
        service = reviewing(Assignments([], {}), baseline, Desk())
        await service.review(details())
        await service.review(details(MANAGEMENT))
        assert baseline.management_flags == [False, True]
        assert baseline.budget_owner == MANAGEMENT


# Rendering


def review(**changes: Any) -> AccountReview:
    fields: dict[str, Any] = {
        "access": AccountAccess(permission_sets=()),
        "contacts": AlternateContacts(),
        "budget": NoBudget(name=budget_name(ACCOUNT)),
    }
    fields.update(changes)
    return AccountReview(**fields)


def many(count: int, kind: PrincipalKind = USER) -> ProvisionedSet:
    return provisioned(TEAM, *((kind, f"id-{n:04d}") for n in range(count)))


class TestRendering:
    def test_the_account_show_carries_the_review_and_slack_accepts_it(self) -> None:
        access = account_access(
            [provisioned(TEAM, (GROUP, "g-team"), (USER, "u-gone"))],
            named((GROUP, "g-team", "team-billing")),
            OutpostAccess(team="billing", team_group_id="g-team", team_permission_set="TeamAdmin"),
        )
        blocks = account_blocks(details(), [], {}, [], review(access=access))
        assert_accepted(blocks)
        text = shown(blocks)
        assert "team-billing (group) · :white_check_mark: *the owning team's access*" in text
        assert "`u-gone` · *unknown user*" in text
        assert "IAM users and roles inside the account" in text

    def test_names_from_the_identity_store_are_escaped(self) -> None:
        access = account_access(
            [provisioned(TEAM, (USER, "u-1"))],
            named((USER, "u-1", "<!channel> *boss*")),
            OutpostAccess(),
        )
        text = shown(review_blocks(ACCOUNT, review(access=access)))
        assert "<!channel>" not in text
        assert "&lt;!channel&gt;" in text

    def test_a_break_glass_assignment_says_who_holds_it_and_until_when(self) -> None:
        given = active_grant("u-erin", BREAK_GLASS)
        access = account_access(
            [provisioned(BREAK_GLASS, (USER, "u-erin"))],
            named((USER, "u-erin", "erin")),
            OutpostAccess(grants=(given,)),
        )
        text = shown(review_blocks(ACCOUNT, review(access=access)))
        assert "*break-glass* for <@UENGINEER> until <!date^" in text
        assert f"(`{given.id}`)" in text

    def test_a_permission_set_with_many_assignees_shows_some_and_counts_the_rest(self) -> None:
        access = account_access([many(25)], {}, OutpostAccess())
        blocks = review_blocks(ACCOUNT, review(access=access))
        assert_accepted(blocks)
        text = shown(blocks)
        assert text.count("*unknown user*") == ASSIGNEES_SHOWN
        assert "…and 15 more: 15 users" in text

    def test_an_account_with_hundreds_of_assignments_is_summed_up_within_slacks_limits(
        self,
    ) -> None:
        sets = [
            provisioned(
                PermissionSet(arn=f"arn:ps-{n:03d}", name=f"Set{n:03d}-" + "x" * 60),
                *((GROUP, f"group-{n}-{m}-" + "y" * 60) for m in range(20)),
            )
            for n in range(60)
        ]
        access = account_access(sets, {}, OutpostAccess())
        blocks = account_blocks(details(), [], {}, [], review(access=access))
        assert_accepted(blocks)
        assert len(blocks) <= 50
        text = shown(blocks)
        assert "list-permission-sets-provisioned-to-account" in text
        assert "…not all shown: " in text
        for block in blocks:  # every line whole: none cut mid-text
            assert "[cut:" not in json.dumps(block)

    def test_long_names_that_grow_when_escaped_are_never_cut_mid_line(self) -> None:
        users = [(USER, f"u-{n}") for n in range(12)]
        names = {
            key: Principal(kind=USER, id=key[1], name="<&>" * 26, user_name="&" * 80)
            for key in users
        }
        sets = [provisioned(PermissionSet(arn=f"arn:{n}", name="&" * 80), *users) for n in range(9)]
        blocks = review_blocks(ACCOUNT, review(access=account_access(sets, names, OutpostAccess())))
        assert_accepted(blocks)
        assert "[cut:" not in shown(blocks)
        assert "…not all shown: " in shown(blocks)

    def test_a_refused_part_shows_aws_error_in_its_place(self) -> None:
        denied = aws_failure(
            service="account",
            operation="GetAlternateContact",
            code="AccessDeniedException",
            message="not authorized to perform: account:GetAlternateContact",
            reason=None,
        )
        blocks = account_blocks(details(), [], {}, [], review(contacts=denied))
        assert_accepted(blocks)
        text = shown(blocks)
        assert "*Alternate contacts*: Outpost could not read them." in text
        assert "`account:GetAlternateContact`" in text
        assert "enable-aws-service-access --service-principal account.amazonaws.com" in text
        assert "What it means:" in text
        assert "*Budget*" in text  # the rest still shown

    def test_contacts_and_budget(self) -> None:
        contacts = AlternateContacts(billing=contact(ContactKind.BILLING))
        budget = Budget(
            name=budget_name(ACCOUNT),
            time_unit="MONTHLY",
            limit=Spend(amount="500.0", unit="USD"),
            actual=Spend(amount="120.5", unit="USD"),
        )
        text = shown(review_blocks(ACCOUNT, review(contacts=contacts, budget=budget)))
        assert "• Security: not set" in text
        assert "• Billing: Sam, Lead · `sam@example.com` · `+1-555-0100`" in text
        assert (
            f"*Budget* `outpost-{ACCOUNT}`\\n`500.0 USD` a month · spent so far: `120.5 USD`"
            in text
        )

    def test_no_budget_and_no_identity_center_are_said_as_such(self) -> None:
        text = shown(review_blocks(ACCOUNT, review(access=NoIdentityCenter())))
        assert "IAM Identity Center is not enabled" in text
        assert f"no budget named `outpost-{ACCOUNT}`" in text

    def test_nothing_provisioned(self) -> None:
        text = shown(review_blocks(ACCOUNT, review()))
        assert "Nobody: no permission set is provisioned to this account." in text

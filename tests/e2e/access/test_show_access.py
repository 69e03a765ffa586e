"""`/account show` tells who can get in, end to end: the bot process, moto's Identity Center,
Account Management and Budgets, and the fake Slack API.

The team's group is assigned in moto as the creation would have done it, and the break-glass
access is given through the real flow (request, approval, assignment); the show must name both,
mark them as Outpost's, and name the access Outpost did not give without marking it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.emulator.aws_faults import ThreadedAwsFaultProxy, aws_error
from bot.emulator.slack import FakeSlack
from bot.ui.ids import ActionId
from tests.support.access_flows import (
    card_reading,
    click,
    permission_set_arn,
    requested,
    user_id,
)
from tests.support.identity_center import IdentityCenter, moto_client
from tests.support.organization import Organization
from tests.support.slack_requests import SlackRequests
from tests.support.waiting import eventually

TEAM_SET = "TeamAdmin"
MANAGEMENT = "123456789012"  # moto's own account, the organization's management account


def answers(slack: FakeSlack) -> list[Any]:
    return [m for m in slack.messages("CPLATFORM") if m.ephemeral_to == "UENGINEER"]


async def show(slack: FakeSlack, requests: SlackRequests, account: str) -> str:
    before = len(answers(slack))
    status, _ = await requests.command(f"show {account}")
    assert status == 200
    found = await eventually(lambda: answers(slack)[before:], what="the show's answer")
    return json.dumps(found[0].blocks, ensure_ascii=False)


def team_group(center: IdentityCenter, org: Organization, account: str) -> str:
    """team-billing, tagged on the account and given TEAM_SET there, as a creation does it."""
    group = str(
        center.store.create_group(IdentityStoreId=center.store_id, DisplayName="team-billing")[
            "GroupId"
        ]
    )
    org.client.tag_resource(
        ResourceId=account,
        Tags=[
            {"Key": "outpost:team", "Value": "billing"},
            {"Key": "outpost:team-group-id", "Value": group},
        ],
    )
    return group


def provision(center: IdentityCenter, account: str, *arns: str) -> None:
    for arn in arns:
        center.admin.provision_permission_set(
            InstanceArn=center.arn, PermissionSetArn=arn, TargetType="AWS_ACCOUNT", TargetId=account
        )


@pytest.mark.extra_env(TEAM_PERMISSION_SET=TEAM_SET)
async def test_show_names_the_teams_and_a_break_glass_users_access(
    slack: FakeSlack,
    requests: SlackRequests,
    center: IdentityCenter,
    org: Organization,
    moto_url: str,
) -> None:
    account = org.account_id("billing-prod")
    break_glass = permission_set_arn(center)
    team_set = center.permission_set(TEAM_SET)
    center.assign(team_set, team_group(center, org, account), kind="GROUP")
    center.assign(team_set, user_id(center, "olga"))  # given by hand, not by Outpost
    gone = center.user("gone", "gone@example.com")
    center.assign(break_glass, gone)
    center.store.delete_user(IdentityStoreId=center.store_id, UserId=gone)
    provision(center, account, team_set, break_glass)
    card = await requested(slack, requests, "billing-prod 1h investigating INC-123 in billing")
    await click(requests, card, ActionId.APPROVE_ACCESS, "UOPS")
    await card_reading(slack, "Active until")
    moto_client("account", moto_url).put_alternate_contact(
        AccountId=account,
        AlternateContactType="SECURITY",
        Name="Sam Sec",
        Title="Security lead",
        EmailAddress="security@example.com",
        PhoneNumber="+1-555-0100",
    )
    moto_client("budgets", moto_url).create_budget(
        AccountId=MANAGEMENT,
        Budget={
            "BudgetName": f"outpost-{account}",
            "BudgetLimit": {"Amount": "500", "Unit": "USD"},
            "TimeUnit": "MONTHLY",
            "BudgetType": "COST",
        },
    )

    shown = await show(slack, requests, "billing-prod")

    for expected in (
        "*Who can get in through IAM Identity Center* · 2 permission sets, 4 assignments, "
        "2 made by Outpost",
        "*BreakGlass*",
        f"*{TEAM_SET}*",
        "team-billing (group) · :white_check_mark: *the owning team's access* (billing), "
        "given by Outpost",
        ":bust_in_silhouette: erin · :rotating_light: *break-glass* for <@UENGINEER> until <!date^",
        f":grey_question: `{gone}` · *unknown user*",
        "• Security: Sam Sec, Security lead · `security@example.com` · `+1-555-0100`",
        "• Operations: not set",
        f"*Budget* `outpost-{account}`",
        "USD` a month",
        # What was there before still shows.
        "*Owning team*\\nbilling",
    ):
        assert expected in shown, expected
    olga = next(line for line in shown.split("\\n") if ":bust_in_silhouette: olga" in line)
    assert "Outpost" not in olga


async def test_what_aws_refuses_is_shown_in_its_place_and_the_rest_still_answers(
    slack: FakeSlack,
    requests: SlackRequests,
    center: IdentityCenter,
    org: Organization,
    aws: ThreadedAwsFaultProxy,
) -> None:
    account = org.account_id("billing-prod")
    center.assign(permission_set_arn(center), user_id(center, "olga"))
    provision(center, account, permission_set_arn(center))
    denied = (
        "User: arn:aws:iam::123456789012:user/outpost is not authorized to perform: "
        "account:GetAlternateContact (Trusted access is not enabled)"
    )
    aws.add(aws_error("GetAlternateContact", "AccessDeniedException", denied, times=None))

    shown = await show(slack, requests, "billing-prod")

    assert ":bust_in_silhouette: olga" in shown
    assert "*Alternate contacts*: Outpost could not read them." in shown
    assert "`account:GetAlternateContact`" in shown
    assert denied in shown
    assert "enable-aws-service-access --service-principal account.amazonaws.com" in shown
    assert f"the management account has no budget named `outpost-{account}`" in shown

"""Teams as Identity Center groups, for the tests of a creation that gives its team access:
the groups in moto, the bot set up for teams, and the form filled in with a team chosen."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.emulator.aws_faults import ThreadedAwsFaultProxy
from bot.emulator.slack import FakeSlack, SlackMessage
from tests.support.bot_fixtures import bot_in
from tests.support.bot_process import BotProcess
from tests.support.flows import card_reaching, open_new_account_form, option_label
from tests.support.identity_center import IdentityCenter
from tests.support.organization import Organization
from tests.support.slack_requests import SlackRequests, select_value, text_value

TEAM_PERMISSION_SET = "AdministratorAccess"
TEAM = "team-payments"
PORTAL = "https://example.awsapps.com/start"
# Groups in Identity Center: teams under the filter, and one that is not.
GROUPS = (TEAM, "team-search", "admins")


def teams_env() -> dict[str, str]:
    return {
        "TEAM_GROUP_FILTER": "team-*",
        "TEAM_PERMISSION_SET": TEAM_PERMISSION_SET,
        "SSO_START_URL": PORTAL,
    }


def team_bot(data: Path, aws: ThreadedAwsFaultProxy, slack: FakeSlack) -> BotProcess:
    """The bot with teams as groups and team access on, not started yet."""
    return bot_in(data, aws, slack.base_url, **teams_env())


@dataclass
class Teams:
    """moto's Identity Center with the team permission set and the groups."""

    center: IdentityCenter
    permission_set_arn: str
    groups: dict[str, str]  # name -> id

    @classmethod
    def in_moto(cls, moto_url: str) -> Teams:
        center = IdentityCenter.in_moto(moto_url)
        arn = center.permission_set(TEAM_PERMISSION_SET)
        groups = {
            name: str(
                center.store.create_group(IdentityStoreId=center.store_id, DisplayName=name)[
                    "GroupId"
                ]
            )
            for name in GROUPS
        }
        return cls(center, arn, groups)

    def assigned(self, account_id: str) -> list[tuple[str, str]]:
        """(principal type, principal id) of every TEAM_PERMISSION_SET assignment there."""
        pages = self.center.admin.get_paginator("list_account_assignments").paginate(
            InstanceArn=self.center.arn,
            AccountId=account_id,
            PermissionSetArn=self.permission_set_arn,
        )
        return [
            (raw["PrincipalType"], raw["PrincipalId"])
            for page in pages
            for raw in page["AccountAssignments"]
        ]


async def choose_team(
    requests: SlackRequests, view: dict[str, Any], team: str = TEAM
) -> dict[str, Any]:
    """Type the start of `team` in the team select, and take its option."""
    options = await requests.suggest(view, "team_group_select", "team", team[:8], user="UENGINEER")
    return next(o for o in options if o["text"]["text"] == team)


def team_form_values(
    view: dict[str, Any], org: Organization, chosen: dict[str, Any], *, name: str
) -> dict[str, dict[str, Any]]:
    """The form filled in for `name` in the Prod OU, with the team option `chosen`."""
    prod = org.ous["Prod"]
    return {
        "account_name": {"account_name_input": text_value(name)},
        "organizational_unit": {
            "organizational_unit_select": select_value(prod, option_label(view, prod))
        },
        "team": {"team_group_select": select_value(chosen["value"], chosen["text"]["text"])},
        "root_email": {"root_email_input": text_value(None)},
        "purpose": {"purpose_input": text_value("payments, in development")},
    }


async def request_with_team(
    slack: FakeSlack,
    requests: SlackRequests,
    org: Organization,
    *,
    name: str = "payments-dev",
    team: str = TEAM,
) -> tuple[int, str]:
    """`/account new <name>`, the team searched and chosen in the select, and the form sent."""
    view = await open_new_account_form(slack, requests, f"new {name}")
    chosen = await choose_team(requests, view, team)
    return await requests.submit_view(view, team_form_values(view, org, chosen, name=name))


async def team_card(
    slack: FakeSlack, requests: SlackRequests, org: Organization, *, reaching: str
) -> SlackMessage:
    status, body = await request_with_team(slack, requests, org)
    assert (status, body) == (200, ""), body
    return await card_reaching(slack, reaching)

"""A new account is its team's from the first minute: the owning team is an Identity Center
group chosen in the form, and the creation gives that group TEAM_PERMISSION_SET on the account.

The bot runs as a process with TEAM_GROUP_FILTER, TEAM_PERMISSION_SET and SSO_START_URL set,
against moto (groups and the permission set made there directly) and the fake Slack.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.emulator.aws_faults import (
    ThreadedAwsFaultProxy,
    aws_error,
    hold_response,
    rewrite_json,
)
from bot.emulator.slack import FakeSlack
from tests.support.bot_fixtures import Deployment, bot_in
from tests.support.bot_process import BotProcess
from tests.support.creation_story import drained, operation_state
from tests.support.flows import (
    block_text,
    card_reaching,
    cards,
    open_new_account_form,
    press,
    thread_texts,
)
from tests.support.organization import Organization
from tests.support.slack_requests import SlackRequests
from tests.support.teams import (
    PORTAL,
    TEAM,
    TEAM_PERMISSION_SET,
    Teams,
    choose_team,
    request_with_team,
    team_bot,
    team_card,
    team_form_values,
)
from tests.support.waiting import eventually


@pytest.fixture
def teams(org: Organization, moto_url: str) -> Teams:
    return Teams.in_moto(moto_url)


@pytest.fixture
async def bot(
    tmp_path: Path, aws: ThreadedAwsFaultProxy, slack: FakeSlack, teams: Teams
) -> AsyncIterator[BotProcess]:
    async with team_bot(tmp_path, aws, slack) as process:
        yield process


async def test_the_new_account_s_team_gets_its_access_and_is_told_how_to_sign_in(
    slack: FakeSlack, requests: SlackRequests, org: Organization, teams: Teams
) -> None:
    card = await team_card(slack, requests, org, reaching="Succeeded")

    account_id = org.account_id("payments-dev")
    assert teams.assigned(account_id) == [("GROUP", teams.groups[TEAM])]
    tags = org.tags_of(account_id)
    assert tags["outpost:team"] == TEAM
    assert tags["outpost:team-group-id"] == teams.groups[TEAM]
    last = block_text_of_last_block(card.blocks)
    assert PORTAL in last and TEAM_PERMISSION_SET in last and account_id in last
    thread = "\n".join(thread_texts(slack, card))
    assert "`CreateAccountAssignment` accepted" in thread
    assert f"*{TEAM}* can now sign in to the account with *{TEAM_PERMISSION_SET}*" in thread


def block_text_of_last_block(blocks: list[dict[str, object]]) -> str:
    last = blocks[-1]
    elements = last.get("elements", [])
    assert isinstance(elements, list)
    return " ".join(str(e.get("text", "")) for e in elements if isinstance(e, dict))


async def test_the_team_select_offers_only_teams_that_match_what_is_typed(
    slack: FakeSlack, requests: SlackRequests, org: Organization
) -> None:
    view = await open_new_account_form(slack, requests, "new payments-dev")
    everything = await requests.suggest(view, "team_group_select", "team", "", user="UENGINEER")
    assert [o["text"]["text"] for o in everything] == ["team-payments", "team-search"]
    found = await requests.suggest(view, "team_group_select", "team", "SEAR", user="UENGINEER")
    assert [o["text"]["text"] for o in found] == ["team-search"]


@pytest.mark.parametrize("change", ["deleted", "renamed out of the filter"])
async def test_a_team_that_changed_after_it_was_chosen_is_refused_on_the_field(
    change: str,
    slack: FakeSlack,
    requests: SlackRequests,
    org: Organization,
    aws: ThreadedAwsFaultProxy,
    teams: Teams,
) -> None:
    view = await open_new_account_form(slack, requests, "new payments-dev")
    chosen = await choose_team(requests, view)
    store, group_id = teams.center.store, teams.groups[TEAM]
    if change == "deleted":
        store.delete_group(IdentityStoreId=teams.center.store_id, GroupId=group_id)
        says = "no longer in IAM Identity Center"
    else:  # moto cannot rename a group: Identity Center answers with the new name instead
        aws.add(rewrite_json("DescribeGroup", lambda group: {**group, "DisplayName": "payments"}))
        says = "The group payments is not a team here"

    status, body = await requests.submit_view(
        view, team_form_values(view, org, chosen, name="payments-dev")
    )

    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == ["team"]
    assert says in answer["errors"]["team"]
    assert cards(slack) == []
    assert org.account_named("payments-dev") is None


async def test_a_refused_assignment_is_shown_and_retry_resumes_at_that_step(
    slack: FakeSlack,
    requests: SlackRequests,
    org: Organization,
    aws: ThreadedAwsFaultProxy,
    teams: Teams,
) -> None:
    aws.add(
        aws_error(
            "CreateAccountAssignment",
            "AccessDeniedException",
            "User is not authorized to perform sso:CreateAccountAssignment",
        )
    )
    card = await team_card(slack, requests, org, reaching="Failed")
    assert "Failed at step 4 of 5" in block_text(card)
    thread = "\n".join(thread_texts(slack, card))
    assert "Step 4 of 5 failed: Give the owning team access" in thread
    assert "AccessDeniedException" in thread
    assert "aws sso-admin create-account-assignment" in thread
    account_id = org.account_id("payments-dev")
    assert teams.assigned(account_id) == []

    await press(requests, card, "Retry", "UENGINEER")
    await eventually(
        lambda: "Succeeded" in block_text(slack.message(card.channel, card.ts)),
        what="the retried creation to succeed",
    )
    assert teams.assigned(account_id) == [("GROUP", teams.groups[TEAM])]
    assert len(aws.calls_to("CreateAccount")) == 1
    assert len(aws.calls_to("MoveAccount")) == 1
    retried = [t for t in thread_texts(slack, card) if "<@UENGINEER> retried" in t]
    assert len(retried) == 1 and "running step 4" in retried[0]


async def test_a_kill_after_the_assignment_reached_aws_leaves_exactly_one_after_restart(
    deployment: Deployment,
    slack: FakeSlack,
    org: Organization,
    aws: ThreadedAwsFaultProxy,
    teams: Teams,
) -> None:
    # The proxy records a held call once moto has acted on it; the bot never hears the answer.
    aws.add(hold_response("CreateAccountAssignment", 60))
    status, body = await request_with_team(slack, deployment.requests, org)
    assert (status, body) == (200, "")
    await eventually(
        lambda: aws.calls_to("CreateAccountAssignment"),
        what="CreateAccountAssignment to reach AWS",
    )
    await drained(deployment.bot)
    deployment.kill()
    await asyncio.sleep(0.5)

    async with deployment.restarted() as restarted:
        card = await card_reaching(slack, "Succeeded", timeout=90)
        await drained(restarted)

    assert await operation_state(restarted, "payments-dev") == "succeeded"
    account_id = org.account_id("payments-dev")
    assert teams.assigned(account_id) == [("GROUP", teams.groups[TEAM])]
    assert len(aws.calls_to("CreateAccountAssignment")) == 1
    assert len(cards(slack)) == 1
    thread = thread_texts(slack, card)
    assert any("Resumed after restart* at step 4" in t for t in thread), thread
    assert any("Found the earlier `CreateAccountAssignment`" in t for t in thread), thread


async def test_a_team_permission_set_that_is_not_there_is_named_at_start_up(
    tmp_path: Path, aws: ThreadedAwsFaultProxy, slack: FakeSlack, teams: Teams
) -> None:
    process = bot_in(tmp_path, aws, slack.base_url, TEAM_PERMISSION_SET="Administrator")
    await process.start()
    await process.stop()
    warnings = [line for line in process.log().splitlines() if " WARNING " in line]
    assert any(
        "TEAM_PERMISSION_SET (Administrator) could not be found: No permission set is named "
        "'Administrator'. Permission sets: AdministratorAccess." in line
        for line in warnings
    ), warnings

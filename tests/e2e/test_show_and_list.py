"""`/account show` and `/account list` end to end: signed requests in, ephemeral answers read
live from moto (and from the store, for accounts Outpost created) out."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable

import pytest

from bot.emulator.aws_faults import ThreadedAwsFaultProxy, aws_error, hold_response
from bot.emulator.slack import FakeSlack, SlackMessage
from tests.support.flows import card_reaching, request_account
from tests.support.organization import Organization
from tests.support.slack_requests import SlackRequests
from tests.support.waiting import eventually

USER = "UENGINEER"


def answers(slack: FakeSlack, channel: str = "CPLATFORM") -> list[SlackMessage]:
    return [m for m in slack.messages(channel) if m.ephemeral_to == USER]


async def next_answer(slack: FakeSlack, send: Awaitable[tuple[int, str]]) -> SlackMessage:
    """The ephemeral answer to `send`, a request to the bot not yet awaited."""
    before = len(answers(slack))
    status, body = await send
    assert status == 200, body
    found = await eventually(lambda: answers(slack)[before:], what="an ephemeral answer")
    assert len(found) == 1
    return found[0]


async def command(slack: FakeSlack, requests: SlackRequests, text: str) -> str:
    answer = await next_answer(slack, requests.command(text, user=USER))
    return json.dumps(answer.blocks, ensure_ascii=False)


def ids_listed(blocks_text: str) -> list[str]:
    return re.findall(r"• `(\d{12})`", blocks_text)


async def test_show_an_account_outpost_created_by_id_name_and_email(
    slack: FakeSlack, requests: SlackRequests, org: Organization
) -> None:
    await request_account(slack, requests, name="payments-staging", ou_id=org.ous["Prod"])
    card = await card_reaching(slack, "Succeeded")
    account = org.account_named("payments-staging")
    assert account is not None
    operation_id = re.search(r"op-[0-9a-f]{8}", json.dumps(card.blocks))
    assert operation_id is not None
    permalink = f"https://fake.slack.test/archives/CPLATFORM/p{card.ts.replace('.', '')}"

    for query in (account["Id"], "PAYMENTS-staging", "aws+payments-staging@example.com"):
        shown = await command(slack, requests, f"show {query}")
        for expected in (
            f"*payments-staging* · account `{account['Id']}`",
            "`aws+payments-staging@example.com`",
            "`ACTIVE`",
            "Root / Workloads / Prod",
            "*Owning team*\\npayments",
            f"<@{USER}> via Outpost (`{operation_id.group()}`)",
            "<!date^",
            f"<{permalink}|{operation_id.group()}>",
            "`outpost:purpose` = `staging for the payments API`",
            "Nobody asked for access to it through Outpost in the last 30 days.",
        ):
            assert expected in shown, (query, expected)


async def test_the_command_is_acknowledged_before_aws_answers(
    slack: FakeSlack, requests: SlackRequests, aws: ThreadedAwsFaultProxy
) -> None:
    aws.add(hold_response("ListAccounts", 2.0))
    before = len(answers(slack))
    status, body = await requests.command("show billing-prod", user=USER)
    assert (status, body) == (200, "")
    assert answers(slack)[before:] == []  # AWS has not answered yet
    found = await eventually(lambda: answers(slack)[before:], what="the answer")
    assert "*billing-prod*" in json.dumps(found[0].blocks)


async def test_show_an_account_outpost_did_not_create(
    slack: FakeSlack, requests: SlackRequests
) -> None:
    shown = await command(slack, requests, "show Billing-Prod")
    assert "*billing-prod*" in shown
    assert "*Organizational unit*\\nRoot" in shown
    assert "Not known: Outpost did not create it" in shown
    assert "— (no `outpost:team` tag)" in shown


async def test_an_unknown_account_says_what_was_searched_and_the_closest_names(
    slack: FakeSlack, requests: SlackRequests
) -> None:
    shown = await command(slack, requests, "show biling-prod")
    assert "No account matches `biling-prod`" in shown
    assert "names and root emails of the organization's 2 accounts (ListAccounts)" in shown
    assert "Closest names: `billing-prod`" in shown

    shown = await command(slack, requests, "show 999999999999")
    assert "No account matches `999999999999`" in shown
    assert "DescribeAccount" in shown

    shown = await command(slack, requests, "show <!channel>")
    assert "<!channel>" not in shown
    assert "`&lt;!channel&gt;`" in shown


@pytest.mark.parametrize(
    ("operation", "query"), [("DescribeAccount", "{id}"), ("ListAccounts", "billing-prod")]
)
async def test_an_aws_error_shows_the_error_block(
    slack: FakeSlack,
    requests: SlackRequests,
    org: Organization,
    aws: ThreadedAwsFaultProxy,
    operation: str,
    query: str,
) -> None:
    message = f"User is not authorized to perform: organizations:{operation}"
    aws.add(aws_error(operation, "AccessDeniedException", message, times=None))
    shown = await command(
        slack, requests, "show " + query.format(id=org.account_id("billing-prod"))
    )
    assert "Outpost could not look up" in shown
    assert f"`organizations:{operation}`" in shown
    assert "`AccessDeniedException`" in shown
    assert message in shown
    assert "What it means:" in shown


async def test_list_three_hundred_accounts_page_by_page(
    slack: FakeSlack, requests: SlackRequests, org: Organization
) -> None:
    for number in range(298):
        status = org.client.create_account(
            AccountName=f"team-{number:03d}", Email=f"aws+team-{number:03d}@example.com"
        )["CreateAccountStatus"]
        if number % 5 == 0:
            org.client.move_account(
                AccountId=status["AccountId"],
                SourceParentId=org.root_id,
                DestinationParentId=org.ous["Prod"],
            )
    every_id = sorted(a["Id"] for a in org.accounts())
    assert len(every_id) == 300

    page = await next_answer(slack, requests.command("list", user=USER))
    seen: list[str] = []
    pages: list[str] = []
    while True:
        shown = json.dumps(page.blocks, ensure_ascii=False)
        pages.append(shown)
        listed = ids_listed(shown)
        assert f"accounts {len(seen) + 1}–{len(seen) + len(listed)} of 300" in shown
        seen += listed
        buttons = [b for b in page.blocks if b["type"] == "actions"]
        if not buttons:
            break
        button = buttons[0]["elements"][0]
        page = await next_answer(
            slack, requests.click(button["action_id"], button["value"], message_ts=page.ts)
        )
    assert len(pages) >= 3
    assert sorted(seen) == every_id
    assert any("*Root / Workloads / Prod* · 60 accounts" in shown for shown in pages)


async def test_list_one_ou_and_those_below_it(
    slack: FakeSlack, requests: SlackRequests, org: Organization
) -> None:
    for name, ou in (("payments-prod", "Prod"), ("data-sandbox", "Sandbox")):
        account_id = org.client.create_account(AccountName=name, Email=f"aws+{name}@example.com")[
            "CreateAccountStatus"
        ]["AccountId"]
        org.client.move_account(
            AccountId=account_id, SourceParentId=org.root_id, DestinationParentId=org.ous[ou]
        )

    shown = await command(slack, requests, "list WORKLOADS")
    assert "under `WORKLOADS` (the OU and the OUs below it)* · accounts 1–1 of 1" in shown
    assert "*Root / Workloads / Prod* · 1 account" in shown
    assert "payments-prod" in shown
    assert "data-sandbox" not in shown and "billing-prod" not in shown
    assert "Accounts only in the OUs below: Root / Workloads." in shown

    shown = await command(slack, requests, "list Workload")
    assert "No organizational unit is called `Workload`" in shown
    assert "Closest: `Workloads`" in shown


async def test_a_listing_aws_refuses_shows_the_error_block(
    slack: FakeSlack, requests: SlackRequests, aws: ThreadedAwsFaultProxy
) -> None:
    aws.add(aws_error("ListAccountsForParent", "AccessDeniedException", "denied", times=None))
    shown = await command(slack, requests, "list")
    assert "Outpost could not list the accounts" in shown
    assert "`organizations:ListAccountsForParent`" in shown
    assert "`AccessDeniedException`" in shown

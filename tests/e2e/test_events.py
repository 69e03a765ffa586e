"""Events: the App Home tab and mentions are answered, never met with silence."""

from __future__ import annotations

import json

from bot.emulator.aws_faults import ThreadedAwsFaultProxy, create_account_status
from bot.emulator.slack_api import FakeSlack
from tests.support.flows import card_reaching, cards, request_account
from tests.support.organization import Organization
from tests.support.slack_requests import SlackRequests
from tests.support.waiting import eventually


async def test_opening_the_home_tab_publishes_what_outpost_can_do(
    slack: FakeSlack, requests: SlackRequests
) -> None:
    status, _ = await requests.event(
        {"type": "app_home_opened", "user": "UENGINEER", "channel": "DHOME", "tab": "home"}
    )
    assert status == 200
    home = await eventually(lambda: slack.published_home("UENGINEER"), what="the home tab")
    assert "/account new" in json.dumps(home["blocks"])


async def test_a_mention_outside_an_operations_thread_is_answered_privately(
    slack: FakeSlack, requests: SlackRequests
) -> None:
    mention = slack.add_message("CPLATFORM", user="UENGINEER", text="<@UOUTPOST> hello")
    status, _ = await requests.event(
        {
            "type": "app_mention",
            "user": "UENGINEER",
            "text": "<@UOUTPOST> hello",
            "ts": mention.ts,
            "channel": "CPLATFORM",
        }
    )
    assert status == 200
    replies = await eventually(
        lambda: [m for m in slack.messages("CPLATFORM") if m.ephemeral_to == "UENGINEER"],
        what="a private answer",
    )
    assert "/account help" in replies[0].text
    assert slack.thread("CPLATFORM", mention.ts) == []


async def open_home(slack: FakeSlack, requests: SlackRequests, user: str) -> str:
    before = len(slack.calls_to("views.publish"))
    await requests.event({"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"})
    await eventually(lambda: len(slack.calls_to("views.publish")) > before, what="the home tab")
    home = slack.published_home(user)
    assert home is not None
    return json.dumps(home["blocks"], ensure_ascii=False)


async def test_home_shows_my_accounts_and_ops_see_what_needs_them(
    slack: FakeSlack, requests: SlackRequests, org: Organization, aws: ThreadedAwsFaultProxy
) -> None:
    await request_account(slack, requests, name="payments-dev", ou_id=org.ous["Sandbox"])
    await card_reaching(slack, "Succeeded")
    aws.add(create_account_status("FAILED", failure_reason="EMAIL_ALREADY_EXISTS"))
    await request_account(slack, requests, name="payments-stg", ou_id=org.ous["Sandbox"])
    await eventually(
        lambda: [c for c in cards(slack) if "payments-stg" in c.text and "failed" in c.text],
        what="the second creation to fail",
    )

    mine = await open_home(slack, requests, "UENGINEER")
    account = org.account_named("payments-dev")
    assert account is not None and f"`{account['Id']}` `payments-dev`" in mine
    assert "Nothing in flight." in mine
    assert "Needs ops" not in mine

    theirs = await open_home(slack, requests, "UOTHER")
    assert "None created through Outpost yet." in theirs

    ops = await open_home(slack, requests, "UOPS")
    assert "Needs ops" in ops
    assert "`payments-stg` · *failed*" in ops and "last error `EMAIL_ALREADY_EXISTS`" in ops

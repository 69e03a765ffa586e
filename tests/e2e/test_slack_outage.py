"""Slack going down never blocks the AWS work, nothing said in the meantime is lost, and a
form Slack will not open is acknowledged and explained rather than timing out."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bot.emulator.aws_faults import ThreadedAwsFaultProxy, create_account_status
from bot.emulator.slack import FakeSlack
from tests.support.bot_fixtures import bot_in
from tests.support.bot_process import BotProcess
from tests.support.flows import (
    card_reaching,
    open_new_account_form,
    request_account,
    thread_texts,
)
from tests.support.organization import Organization
from tests.support.slack_requests import SlackRequests
from tests.support.waiting import eventually


async def test_account_is_created_while_slack_is_down_and_the_thread_catches_up_in_order(
    slack: FakeSlack, requests: SlackRequests, org: Organization, aws: ThreadedAwsFaultProxy
) -> None:
    aws.add(create_account_status("IN_PROGRESS", times=2))
    status, _ = await request_account(slack, requests, name="payments-dev", ou_id=org.ous["Prod"])
    assert status == 200
    slack.set_down(True)

    def moved() -> bool:
        account = org.account_named("payments-dev")
        return account is not None and org.parent_of(account["Id"]) == org.ous["Prod"]

    await eventually(moved, what="the account in its OU while Slack is down")
    refused = len([c for c in slack.calls if not c.ok])
    slack.set_down(False)

    card = await card_reaching(slack, "Succeeded")
    thread = thread_texts(slack, card)
    steps = ["`CreateAccount` accepted", "AWS created account", "Moved the account", "Done"]
    positions = [next(i for i, t in enumerate(thread) if s in t) for s in steps]
    assert positions == sorted(positions)
    assert len(thread) == len(steps)
    assert refused > 0, "the outage was not exercised: no call reached Slack while it was down"


def lines_about(log: str, word: str) -> list[str]:
    return [line for line in log.splitlines() if word in line]


async def test_a_form_slack_refuses_to_open_is_told_to_the_person_in_one_line(
    slack: FakeSlack, requests: SlackRequests, bot: BotProcess
) -> None:
    slack.fail_next(1)  # views.open, the first call, meets a Slack having a bad moment

    started = time.monotonic()
    answer = await requests.command("new payments-dev")
    assert answer == (200, "")
    assert time.monotonic() - started < 1.0

    told = await eventually(
        lambda: [m.text for m in slack.messages("CPLATFORM") if m.ephemeral_to == "UENGINEER"],
        what="a word to the person who typed the command",
    )
    assert len(told) == 1, told
    assert "could not open the form" in told[0]
    assert "HTTP 503" in told[0]
    assert "/account new" in told[0]
    await asyncio.sleep(0.3)
    log = bot.log()
    assert len(lines_about(log, "views.open")) == 1, log
    assert "Traceback" not in log
    assert "unexpected error" not in log


async def test_a_form_that_cannot_open_while_slack_is_down_is_acknowledged_and_logged_once(
    slack: FakeSlack, requests: SlackRequests, bot: BotProcess
) -> None:
    slack.set_down(True)

    started = time.monotonic()
    answer = await requests.command("new payments-dev")
    assert answer == (200, "")
    assert time.monotonic() - started < 1.0

    await eventually(lambda: lines_about(bot.log(), "views.open"), what="a log line")
    await asyncio.sleep(0.5)  # the word to the person is tried too, and cannot get through
    log = bot.log()
    assert len(lines_about(log, "views.open")) == 1, log
    assert "Traceback" not in log
    assert "unexpected error" not in log
    assert "didn't call ack()" not in log
    assert "Unhandled request" not in log


async def test_slack_down_since_start_up_the_first_form_is_explained_not_a_reinstall(
    tmp_path: Path, aws: ThreadedAwsFaultProxy, slack: FakeSlack, org: Organization
) -> None:
    slack.set_down(True)  # Outpost cannot check its token when it starts
    async with bot_in(tmp_path, aws, slack.base_url) as bot:
        requests = SlackRequests(f"{bot.url}/slack/events")
        slack.set_down(False)
        slack.fail_next(2)  # still failing: what Outpost asks Slack first is refused

        answer = await requests.command("new payments-dev")
        assert answer == (200, "")  # the person sees what follows, not advice to reinstall
        told = await eventually(
            lambda: [m.text for m in slack.messages("CPLATFORM") if m.ephemeral_to == "UENGINEER"],
            what="a word to the person who typed the command",
        )
        assert len(told) == 1, told
        assert "could not open the form" in told[0] and "HTTP 503" in told[0]

        # Slack is back: the next form opens, and Outpost has learned who it is meanwhile.
        await open_new_account_form(slack, requests, "new payments-dev")
        assert any(call.ok for call in slack.calls_to("auth.test"))
        everything = bot.log() + " ".join(m.text for m in slack.messages("CPLATFORM"))
        assert "reinstall" not in everything

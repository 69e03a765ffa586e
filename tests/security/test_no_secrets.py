"""No secret goes out: not in the bot's log, not in anything it sends Slack.

Every test of the suite is already checked this way once its bot and its fake Slack stop (see
tests/support/bot_process.py and the `slack` fixture). These tests run a flow that goes
through most of what the bot prints and sends, at the most talkative log level, and look
explicitly, so that the check is seen to have something to look at.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.emulator.aws_faults import ThreadedAwsFaultProxy, aws_error, throttle
from bot.emulator.slack import FakeSlack
from tests.support.bot_fixtures import bot_env, bot_in
from tests.support.bot_process import (
    AWS_SECRET_KEY,
    BOT_TOKEN,
    SECRETS,
    BotProcess,
    leaks,
    output_lines,
    run_until_exit,
    sent_to_slack,
)
from tests.support.flows import card_reaching, request_account, thread_texts
from tests.support.organization import Organization
from tests.support.slack_requests import SIGNING_SECRET, SlackRequests
from tests.support.waiting import eventually


@pytest.fixture
async def chatty_bot(
    tmp_path: Path, aws: ThreadedAwsFaultProxy, slack: FakeSlack, org: Organization
) -> AsyncIterator[BotProcess]:
    async with bot_in(tmp_path, aws, slack.base_url, LOG_LEVEL="DEBUG") as process:
        yield process


def test_the_bot_is_given_the_secrets_that_are_looked_for(tmp_path: Path) -> None:
    env = bot_env("http://127.0.0.1:1", "http://127.0.0.1:2/api/", tmp_path)
    assert env["SLACK_BOT_TOKEN"] == BOT_TOKEN
    assert env["SLACK_SIGNING_SECRET"] == SIGNING_SECRET
    assert env["AWS_SECRET_ACCESS_KEY"] == AWS_SECRET_KEY
    assert set(SECRETS.values()) >= {BOT_TOKEN, SIGNING_SECRET, AWS_SECRET_KEY}


async def test_commands_an_account_and_an_aws_error_leave_no_secret_in_the_log_or_slack(
    chatty_bot: BotProcess,
    slack: FakeSlack,
    org: Organization,
    aws: ThreadedAwsFaultProxy,
) -> None:
    requests = SlackRequests(f"{chatty_bot.url}/slack/events")
    answers = [
        await requests.command("help"),
        await requests.command("nwe"),
        await requests.command("explain ConstraintViolationException"),
    ]
    aws.add(throttle("CreateAccount", times=1))
    aws.add(
        aws_error(
            "MoveAccount",
            "ConstraintViolationException",
            "You cannot move this account right now.",
        )
    )
    answers.append(
        await request_account(slack, requests, name="payments-dev", ou_id=org.ous["Sandbox"])
    )
    card = await card_reaching(slack, "Failed")
    assert any("retrying in" in line for line in thread_texts(slack, card))
    assert any("organizations:MoveAccount" in line for line in thread_texts(slack, card))
    actions = next(b for b in card.blocks if b.get("block_id") == "card_actions")["elements"]
    shown = next(a for a in actions if a["action_id"] == "show_aws_calls")
    answers.append(await requests.click(shown["action_id"], shown["value"], message_ts=card.ts))
    await eventually(lambda: slack.calls_to("views.open")[1:], what="the AWS calls modal")
    await chatty_bot.stop()

    log = chatty_bot.log()
    assert " DEBUG " in log, "the flow ran at the most talkative log level"
    assert leaks(output_lines("bot.log", log), SECRETS) == []

    sent = list(sent_to_slack(slack))
    methods = {call.method for call in slack.calls}
    assert {"chat.postMessage", "chat.update", "views.open", "views.update"} <= methods
    assert leaks(sent, SECRETS) == []

    assert all(status == 200 for status, _ in answers), answers
    assert leaks([(f"answer {n}", body) for n, (_, body) in enumerate(answers)], SECRETS) == []


async def test_a_refused_token_is_named_but_not_shown(
    tmp_path: Path, aws: ThreadedAwsFaultProxy, slack: FakeSlack
) -> None:
    refused = "xoxb-refused-5e0b72c1-secret"
    env = bot_env(aws.url, slack.base_url, tmp_path) | {"SLACK_BOT_TOKEN": refused}
    result = await asyncio.to_thread(run_until_exit, env, tmp_path)
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN was refused by Slack" in result.stderr
    printed = output_lines("stdout", result.stdout) + output_lines("stderr", result.stderr)
    assert leaks(printed, SECRETS | {"SLACK_BOT_TOKEN": refused}) == []
    # Slack was asked about the token it refused, and the token went in the header only.
    assert slack.calls_to("auth.test")
    assert leaks(sent_to_slack(slack), {"SLACK_BOT_TOKEN": refused}) == []


async def test_a_leak_would_be_found_in_a_message_a_header_or_the_log(
    slack: FakeSlack, tmp_path: Path
) -> None:
    """The scan itself: it finds a secret wherever it would be, but not the Authorization
    header, where a token belongs."""
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.base_url)
    await client.chat_postMessage(channel="CPLATFORM", text="all quiet")
    assert leaks(sent_to_slack(slack), SECRETS) == []

    await client.chat_postMessage(channel="CPLATFORM", text=f"the key is {AWS_SECRET_KEY}")
    await client.api_call("auth.test", headers={"X-Debug": SIGNING_SECRET})
    found = leaks(sent_to_slack(slack), SECRETS)
    assert len(found) == 2
    assert found[0].startswith("AWS_SECRET_ACCESS_KEY in call 2 (chat.postMessage) arguments")
    assert found[1].startswith("SLACK_SIGNING_SECRET in call 3 (auth.test) headers")
    slack.calls.clear()  # the fixture's own check of this fake would find them too

    log = tmp_path / "bot.log"
    log.write_text(f"starting\ntoken {BOT_TOKEN}\n")
    process = BotProcess({"SLACK_BOT_TOKEN": BOT_TOKEN}, log)
    with pytest.raises(AssertionError, match=r"SLACK_BOT_TOKEN in line 2 of bot\.log"):
        process.check_log()

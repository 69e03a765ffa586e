"""Bolt's authorization from what Outpost learned at start-up, against the fake Slack: no
request waits on Slack, or is turned away, because Slack cannot say who Outpost is."""

from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.emulator.slack import FakeSlack
from bot.slack.authorization import KnownIdentity
from tests.support.bot_process import BOT_TOKEN
from tests.support.waiting import eventually


def client_of(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=BOT_TOKEN, base_url=slack.base_url, retry_handlers=[])


async def authorize(identity: KnownIdentity) -> AuthorizeResult:
    asked: dict[str, Any] = {"enterprise_id": None, "team_id": "T1", "user_id": "UENGINEER"}
    return await identity(context=AsyncBoltContext(), **asked)


async def test_what_start_up_learned_is_used_without_asking_slack_again(
    slack: FakeSlack,
) -> None:
    client = client_of(slack)
    identity = KnownIdentity(client, await client.auth_test())
    slack.set_down(True)
    result = await authorize(identity)
    assert (result.bot_user_id, result.bot_token) == (slack.bot_user_id, BOT_TOKEN)
    assert result.user_id == "UENGINEER"
    assert len(slack.calls_to("auth.test")) == 1


async def test_without_it_requests_are_served_and_slack_is_asked_until_it_answers(
    slack: FakeSlack,
) -> None:
    identity = KnownIdentity(client_of(slack), None)
    slack.set_down(True)
    first = await authorize(identity)
    assert first.bot_token == BOT_TOKEN and first.bot_user_id is None
    await eventually(lambda: slack.calls_to("auth.test"), what="a try of auth.test")

    slack.set_down(False)
    for _ in range(100):  # each request asks again, once the try before it is over
        if (await authorize(identity)).bot_user_id is not None:
            break
        await asyncio.sleep(0.02)
    assert (await authorize(identity)).bot_user_id == slack.bot_user_id
    assert len([c for c in slack.calls_to("auth.test") if c.ok]) == 1

"""Connections that promise a body and do not deliver it cost the server a line, not a slot.

A client can announce a Content-Length, send part of it and hang up, or send nothing more and
hold the connection. The first must leave one line in the log (within the log's budget), no
traceback; the second, however many of them, must not keep `/healthz` or Slack's own signed
requests out when the connection cap is reached.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.emulator.aws_faults import ThreadedAwsFaultProxy
from bot.emulator.slack import FakeSlack
from tests.support.bot_fixtures import bot_in
from tests.support.bot_process import BotProcess
from tests.support.organization import Organization
from tests.support.slack_requests import SlackRequests, sign
from tests.support.waiting import eventually

BODY = "command=%2Faccount&text=help&user_id=UENGINEER&channel_id=CPLATFORM&team_id=T0001"
CAP = 8


def signed_head(body: str, *, announced: int) -> bytes:
    """Headers Slack would send for `body`, announcing `announced` bytes of it."""
    now = int(time.time())
    return (
        "POST /slack/events HTTP/1.1\r\nHost: outpost\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"X-Slack-Request-Timestamp: {now}\r\nX-Slack-Signature: {sign(body, now)}\r\n"
        f"Content-Length: {announced}\r\n\r\n"
    ).encode()


async def hang_up_mid_body(port: int) -> None:
    """Announce a 1000-byte body, send 20 bytes of it, and close."""
    body = BODY.ljust(1000, "x")
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(signed_head(body, announced=len(body)) + body[:20].encode())
    await writer.drain()
    writer.close()
    await writer.wait_closed()


async def test_a_client_that_hangs_up_mid_body_costs_one_line_and_no_traceback(
    bot: BotProcess, requests: SlackRequests
) -> None:
    await asyncio.sleep(0.3)
    logged = len(bot.log())
    await hang_up_mid_body(bot.port)
    await eventually(lambda: bot.log()[logged:], what="a line about the lost body")
    await asyncio.sleep(0.3)
    lines = bot.log()[logged:].splitlines()
    assert len(lines) == 1, lines
    assert "127.0.0.1" in lines[0] and "before" in lines[0], lines[0]

    for _ in range(60):
        await hang_up_mid_body(bot.port)
    await asyncio.sleep(0.5)
    log = bot.log()[logged:]
    assert "Traceback" not in log and "unexpected error" not in log, log[:3000]
    assert "Error handling request" not in log, log[:3000]
    assert len(log.splitlines()) <= 20 + 1, log[:3000]  # the log budget of a minute, at most
    status, text = await requests.command("help")
    assert status == 200 and "/account new" in text


@pytest.fixture
async def capped_bot(
    tmp_path: Path, aws: ThreadedAwsFaultProxy, slack: FakeSlack, org: Organization
) -> AsyncIterator[BotProcess]:
    """The bot with room for CAP connections, and half a minute for a body to arrive."""
    async with bot_in(
        tmp_path, aws, slack.base_url, HTTP_MAX_CONNECTIONS=str(CAP), HTTP_BODY_TIMEOUT="30s"
    ) as process:
        yield process


async def hold_a_half_sent_body(port: int) -> asyncio.StreamWriter:
    """Headers that pass every check made before the body, then part of the body, held."""
    body = BODY.ljust(1000, "x")
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(signed_head(body, announced=len(body)) + body[:20].encode())
    await writer.drain()
    return writer


async def test_half_sent_bodies_at_the_connection_cap_leave_healthz_and_slack_answered(
    capped_bot: BotProcess,
) -> None:
    logged = len(capped_bot.log())
    held = [await hold_a_half_sent_body(capped_bot.port) for _ in range(CAP * 3)]
    await asyncio.sleep(0.3)  # each is now waiting for its body
    try:
        timeout = aiohttp.ClientTimeout(total=5)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(f"{capped_bot.url}/healthz") as response,
        ):
            assert response.status == 200
        requests = SlackRequests(f"{capped_bot.url}/slack/events")
        status, text = await asyncio.wait_for(requests.command("help"), 5)
        assert status == 200 and "/account new" in text
    finally:
        for writer in held:
            writer.close()
    await asyncio.sleep(0.3)
    log = capped_bot.log()[logged:]
    assert "Traceback" not in log and "Error handling request" not in log, log[:3000]
    assert len(log.splitlines()) <= 20 + 2, log[:3000]

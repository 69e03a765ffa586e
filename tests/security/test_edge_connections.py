"""Connections that promise a body and do not deliver it cost the server a line, nothing more.

A client can announce a Content-Length, send part of it and hang up: that must leave one line
in the log (within the log's budget), and no traceback.
"""

from __future__ import annotations

import asyncio
import time

from tests.support.bot_process import BotProcess
from tests.support.slack_requests import SlackRequests, sign
from tests.support.waiting import eventually

BODY = "command=%2Faccount&text=help&user_id=UENGINEER&channel_id=CPLATFORM&team_id=T0001"


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

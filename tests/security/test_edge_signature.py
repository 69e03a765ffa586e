"""The edge is the one judge of a request's signature: what it accepts, Bolt acts on.

The edge checks the timestamp when the headers arrive and the signature once the body has
come, within HTTP_BODY_TIMEOUT. A second check of the same signature further in, after the
body was read, would judge the timestamp against a later clock, and refuse with 401 a request
Slack signed near the end of its five minutes and the edge accepted.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlencode

from tests.support.bot_process import BotProcess
from tests.support.slack_requests import command_payload, sign

WINDOW = 300  # seconds: how old Slack's signature may be when the headers arrive
BODY_DELAY = 2.5  # seconds the body takes, well within the default HTTP_BODY_TIMEOUT of 5 s


async def test_a_request_signed_near_the_window_end_with_a_slow_body_is_answered(
    bot: BotProcess,
) -> None:
    body = urlencode(command_payload("help"))
    signed_at = int(time.time()) - (WINDOW - 2)  # the headers arrive within the window
    reader, writer = await asyncio.open_connection("127.0.0.1", bot.port)
    writer.write(
        (
            "POST /slack/events HTTP/1.1\r\nHost: outpost\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"X-Slack-Request-Timestamp: {signed_at}\r\n"
            f"X-Slack-Signature: {sign(body, signed_at)}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    await asyncio.sleep(BODY_DELAY)  # the body comes once the signature is past its window
    writer.write(body.encode())
    await writer.drain()
    try:
        answer = await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert b"/account new" in answer

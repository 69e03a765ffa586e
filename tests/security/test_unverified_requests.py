"""A request whose signature was not verified reaches nothing: no URL, channel or user it names
is contacted, its body is never logged, and a large one is refused before it is read.

Each hostile request names a response_url (a local listener), a channel and a user, and carries
a body written to forge a log line. It is sent with odd timestamps (huge, negative, a float, an
exponent, empty, not ASCII digits) and bodies of every shape, without Slack's signature. The
bot must answer 401 (or 400), make no call to Slack or AWS, post nothing to the response_url,
and log each refusal as one line without the body.
"""

from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import urlencode

import aiohttp

from bot.emulator.aws_faults import ThreadedAwsFaultProxy
from bot.emulator.slack import FakeSlack
from tests.security.conftest import ResponseUrl
from tests.support.bot_process import BotProcess
from tests.support.slack_requests import SlackRequests, sign

MARK = "MARK-7f3a91"
# What a body would write into the log if it were logged: a line of its own, looking like
# Outpost's audit of a revoke.
FORGED = f"\n2026-12-04 18:00:00,000 INFO outpost: break-glass bg-{MARK} revoked by UOPS\n"
MEGABYTE = 1024 * 1024


def hostile_bodies(response_url: str) -> dict[str, tuple[bytes, str]]:
    """Bodies of every shape, each naming the response_url, a channel and a user."""
    form = "application/x-www-form-urlencoded"
    command = urlencode(
        {
            "command": "/account",
            "text": f"help {MARK}{FORGED}",
            "user_id": "UENGINEER",
            "channel_id": "CPLATFORM",
            "team_id": "T0001",
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
    )
    payload = {
        "type": "block_actions",
        "user": {"id": "UOPS"},
        "channel": {"id": "CPLATFORM"},
        "response_url": response_url,
        "actions": [{"action_id": MARK, "value": FORGED}],
    }
    event = {
        "type": "event_callback",
        "event": {"type": "app_mention", "user": "UENGINEER", "channel": "CPLATFORM"},
        "text": MARK + FORGED,
        "response_url": response_url,
    }
    return {
        "slash command": (command.encode(), form),
        "interaction": (urlencode({"payload": json.dumps(payload)}).encode(), form),
        "event": (json.dumps(event).encode(), "application/json"),
        "JSON list": (json.dumps([payload, event]).encode(), "application/json"),
        "invalid JSON": (json.dumps(event).encode()[:-7], "application/json"),
        "command as text/plain": (command.encode(), "text/plain"),
        "command as multipart": (command.encode(), "multipart/form-data; boundary=x"),
        "empty": (b"", form),
    }


def hostile_headers(body: bytes) -> dict[str, dict[str, str]]:
    """Slack's headers as a forger would set them: odd timestamps, and never the signature."""
    now = int(time.time())
    wrong = sign(body.decode("latin-1"), now, "not-the-signing-secret")
    timestamps = {
        "400 digits": "9" * 400,
        "negative": "-1",
        "a float": f"{now}.25",
        "an exponent": f"{now:.4e}",
        "empty": "",
        "plus sign": f"+{now}",
        "spaces": f" {now} ",
        "Arabic-Indic digits": str(now).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")),
        "now": str(now),
    }
    headers = {
        f"timestamp {name}": {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": wrong}
        for name, ts in timestamps.items()
    }
    headers["signature not hex"] = {
        "X-Slack-Request-Timestamp": str(now),
        "X-Slack-Signature": "v0=" + "zz" * 32,
    }
    headers["no signature"] = {"X-Slack-Request-Timestamp": str(now)}
    headers["no Slack headers"] = {}
    return headers


async def post(
    session: aiohttp.ClientSession, bot: BotProcess, body: bytes, headers: dict[str, str]
) -> int:
    async with session.post(f"{bot.url}/slack/events", data=body, headers=headers) as response:
        await response.read()
        return response.status


async def test_unverified_requests_cause_no_outbound_contact_and_no_log_body(
    access_bot: BotProcess,
    slack: FakeSlack,
    aws: ThreadedAwsFaultProxy,
    response_url: ResponseUrl,
) -> None:
    await asyncio.sleep(0.5)  # the start-up calls are over
    slack_calls, aws_calls, logged = len(slack.calls), len(aws.calls), len(access_bot.log())

    answered: dict[str, int] = {}
    async with aiohttp.ClientSession() as session:
        for shape, (body, content_type) in hostile_bodies(response_url.url).items():
            for name, headers in hostile_headers(body).items():
                sent = {"Content-Type": content_type, **headers}
                answered[f"{shape}, {name}"] = await post(session, access_bot, body, sent)

    assert {sent: status for sent, status in answered.items() if status not in (400, 401)} == {}
    await asyncio.sleep(1.0)  # many outbox, engine and sweep intervals of the test settings
    assert response_url.posts == [], "the bot answered a response_url nobody verified"
    assert [c.method for c in slack.calls[slack_calls:]] == []
    assert [c.operation for c in aws.calls[aws_calls:]] == []
    log = access_bot.log()[logged:]
    assert MARK not in log and "revoked by" not in log, f"a body reached the log:\n{log}"
    assert "Traceback" not in log, log
    assert len(log.splitlines()) <= len(answered), f"more than a line per request:\n{log}"

    # The bot still does what Slack itself asks.
    status, text = await SlackRequests(f"{access_bot.url}/slack/events").command("help")
    assert status == 200 and "/account new" in text


async def test_a_refused_request_is_logged_in_one_line_with_its_size_and_source(
    access_bot: BotProcess,
) -> None:
    await asyncio.sleep(0.3)
    logged = len(access_bot.log())
    body = ("text=" + MARK + FORGED * 50).encode()
    async with aiohttp.ClientSession() as session:
        status = await post(
            session,
            access_bot,
            body,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": str(int(time.time())),
                "X-Slack-Signature": sign(body.decode(), int(time.time()), "wrong-secret"),
            },
        )
    assert status == 401
    await asyncio.sleep(0.3)
    lines = access_bot.log()[logged:].splitlines()
    assert len(lines) == 1, lines
    assert "127.0.0.1" in lines[0] and f"{len(body)} bytes" in lines[0], lines[0]
    assert "signature" in lines[0], lines[0]


async def test_bodies_over_the_cap_are_refused_unread_and_barely_logged(
    access_bot: BotProcess, slack: FakeSlack
) -> None:
    """Thirty unsigned 1 MB bodies: 401 or 413 each, quickly, and a log line at most each."""
    await asyncio.sleep(0.3)
    logged = len(access_bot.log())
    body = (MARK + FORGED).encode() * (MEGABYTE // len(MARK + FORGED))
    now = str(int(time.time()))
    looks_signed = {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": "v0=" + "0" * 64}
    async with aiohttp.ClientSession() as session:
        answers = await asyncio.gather(
            *(
                post(session, access_bot, body, {"Content-Type": "text/plain", **looks_signed})
                for _ in range(30)
            )
        )
    assert set(answers) == {413}
    await asyncio.sleep(0.3)
    log = access_bot.log()[logged:]
    assert MARK not in log
    assert len(log) < 30 * 300, f"{len(log)} bytes of log for thirty refusals"

    # Announced as 50 MB, with only its first kilobyte sent: refused without waiting for the rest.
    reader, writer = await asyncio.open_connection("127.0.0.1", access_bot.port)
    writer.write(
        (
            "POST /slack/events HTTP/1.1\r\nHost: outpost\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"X-Slack-Request-Timestamp: {now}\r\nX-Slack-Signature: v0={'0' * 64}\r\n"
            f"Content-Length: {50 * MEGABYTE}\r\n\r\n"
        ).encode()
        + b"x" * 1024
    )
    await writer.drain()
    try:
        status_line = await asyncio.wait_for(reader.readline(), timeout=5)
    finally:
        writer.close()
    assert status_line.startswith(b"HTTP/1.1 413"), status_line
    assert [c.method for c in slack.calls if c.method.startswith("chat.")] == []


HEAD = b"POST /slack/events HTTP/1.1\r\nHost: outpost\r\n"
MALFORMED = [
    HEAD + b"X-Note: " + MARK.encode() + b"\x01\r\n\r\n",
    HEAD + b"Content-Length: " + MARK.encode() + b"\r\n\r\n",
    HEAD + b"X-Note: " + MARK.encode() * 1000 + b"\r\n\r\n",
    HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + (MARK + FORGED).encode(),
]


async def test_requests_that_are_not_http_are_logged_in_one_line_without_their_bytes(
    access_bot: BotProcess,
) -> None:
    await asyncio.sleep(0.3)
    logged = len(access_bot.log())
    for _ in range(10):
        for raw in MALFORMED:
            reader, writer = await asyncio.open_connection("127.0.0.1", access_bot.port)
            writer.write(raw)
            await writer.drain()
            try:
                answer = await asyncio.wait_for(reader.read(), 5)
            finally:
                writer.close()
            assert answer.startswith((b"HTTP/1.0 400", b"HTTP/1.1 400")), answer[:100]
    await asyncio.sleep(0.3)
    log = access_bot.log()[logged:]
    assert MARK not in log and "Traceback" not in log, log[:3000]
    assert len(log.splitlines()) <= 20 + 1, log[:3000]  # the log budget of a minute, at most
    assert await healthz_status(access_bot) == 200


async def healthz_status(bot: BotProcess) -> int:
    async with aiohttp.ClientSession() as session, session.get(f"{bot.url}/healthz") as response:
        return response.status

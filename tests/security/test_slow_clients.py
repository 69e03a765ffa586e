"""Slow or idle clients cannot take the HTTP server down.

Connections that never finish their headers, opened by the hundred against a process with a
low open-file limit, must leave `/healthz` and a signed `/account help` answering, and the log
quiet. A client gets a bounded time to send its headers and its body, however it trickles them.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.emulator.aws_faults import ThreadedAwsFaultProxy
from bot.emulator.slack import FakeSlack
from tests.support.bot_fixtures import bot_env, bot_in
from tests.support.bot_process import BotProcess
from tests.support.organization import Organization
from tests.support.slack_requests import SlackRequests

OPEN_FILES = 256
HALF_OPEN = 1000  # far more connections than the process may even have files
HALF_HEADERS = b"POST /slack/events HTTP/1.1\r\nHost: outpost\r\nContent-Type: text/plain\r\n"


def lowered_open_files() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (OPEN_FILES, OPEN_FILES))


@pytest.fixture
async def starved_bot(
    tmp_path: Path, aws: ThreadedAwsFaultProxy, slack: FakeSlack, org: Organization
) -> AsyncIterator[BotProcess]:
    """The bot with 256 open files at most, and the default connection cap."""
    env = bot_env(aws.url, slack.base_url, tmp_path)
    async with BotProcess(env, tmp_path / "bot.log", preexec_fn=lowered_open_files) as process:
        yield process


@pytest.fixture
async def impatient_bot(
    tmp_path: Path, aws: ThreadedAwsFaultProxy, slack: FakeSlack, org: Organization
) -> AsyncIterator[BotProcess]:
    """The bot with a second for headers and a second for a body."""
    async with bot_in(
        tmp_path, aws, slack.base_url, HTTP_HEADER_TIMEOUT="1s", HTTP_BODY_TIMEOUT="1s"
    ) as process:
        yield process


async def half_open(port: int) -> asyncio.StreamWriter | None:
    """A connection that sends part of its headers and then nothing."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 3)
        writer.write(HALF_HEADERS)
        await writer.drain()
    except (OSError, TimeoutError):
        return None
    return writer


async def healthz(bot: BotProcess) -> int:
    timeout = aiohttp.ClientTimeout(total=5)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(f"{bot.url}/healthz") as response,
    ):
        return response.status


async def test_idle_half_open_connections_leave_healthz_and_commands_answering(
    starved_bot: BotProcess,
) -> None:
    logged = len(starved_bot.log())
    writers = await asyncio.gather(*(half_open(starved_bot.port) for _ in range(HALF_OPEN)))
    try:
        assert sum(w is not None for w in writers) > OPEN_FILES, "the flood did not happen"
        assert await healthz(starved_bot) == 200
        requests = SlackRequests(f"{starved_bot.url}/slack/events")
        status, text = await asyncio.wait_for(requests.command("help"), 5)
        assert status == 200 and "/account new" in text
    finally:
        for writer in writers:
            if writer is not None:
                writer.close()
    await asyncio.sleep(0.5)
    log = starved_bot.log()[logged:]
    assert "Too many open files" not in log, log[:2000]
    assert len(log.splitlines()) < 30, f"{len(log.splitlines())} lines of log:\n{log[:2000]}"


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> tuple[bytes, float]:
    """What the server sent before it closed the connection, and how long that took."""
    began = time.monotonic()
    got = await asyncio.wait_for(reader.read(), seconds)
    return got, time.monotonic() - began


async def test_headers_and_bodies_have_a_time_limit_however_they_trickle(
    impatient_bot: BotProcess,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", impatient_bot.port)

    async def trickle() -> None:
        for byte in HALF_HEADERS:
            writer.write(bytes([byte]))
            await asyncio.sleep(0.1)

    trickling = asyncio.create_task(trickle())
    try:
        got, after = await closed_within(reader, 5)
    finally:
        trickling.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await trickling
        writer.close()
    assert after < 3, f"headers trickled for {after:.1f}s"
    assert got == b"" or got.startswith(b"HTTP/1.1 4"), got

    reader, writer = await asyncio.open_connection("127.0.0.1", impatient_bot.port)
    now = int(time.time())
    writer.write(
        (
            "POST /slack/events HTTP/1.1\r\nHost: outpost\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"X-Slack-Request-Timestamp: {now}\r\nX-Slack-Signature: v0={'0' * 64}\r\n"
            "Content-Length: 1000\r\n\r\n"
        ).encode()
        + b"text=help"
    )
    try:
        got, after = await closed_within(reader, 5)
    finally:
        writer.close()
    assert got.startswith(b"HTTP/1.1 408"), got
    assert after < 3, f"the body was awaited for {after:.1f}s"
    assert await healthz(impatient_bot) == 200

"""SIGTERM stops the bot gracefully: what is under way is finished or handed over, nothing new
is taken, and the process exits 0 within a few seconds."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.emulator.aws_faults import ThreadedAwsFaultProxy, hold_response
from bot.emulator.slack import FakeSlack
from tests.support.bot_fixtures import bot_in
from tests.support.bot_process import BotProcess
from tests.support.creation_story import RESUMED, STORY, drained, operation_state, story
from tests.support.flows import block_text, card_reaching, cards, request_account, thread_texts
from tests.support.organization import Organization
from tests.support.slack_requests import SlackRequests
from tests.support.waiting import eventually

NAME = "payments-dev"
EXIT_WITHIN = 10.0
NOT_FORWARDED = frozenset({"host", "content-length", "transfer-encoding", "connection"})


class SlackDoor:
    """The fake Slack API behind a door. While it is shut, `chat.*` calls wait at it; one whose
    caller gave up meanwhile never reaches Slack, as a call Slack never received."""

    def __init__(self, slack: FakeSlack) -> None:
        self._upstream = slack.base_url.removesuffix("/api/")
        self._open = asyncio.Event()
        self._open.set()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.base_url = ""
        self.held = 0  # calls that reached the door while it was shut

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(auto_decompress=False)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}/api/"

    async def stop(self) -> None:
        self._open.set()
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    def shut(self) -> None:
        self._open.clear()

    def open(self) -> None:
        self._open.set()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if request.path.startswith("/api/chat.") and not self._open.is_set():
            self.held += 1
            await self._open.wait()
            if request.transport is None or request.transport.is_closing():
                return web.Response(status=499)
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in NOT_FORWARDED}
        async with self._session.request(
            request.method, self._upstream + request.path_qs, headers=headers, data=body
        ) as answer:
            kept = {k: v for k, v in answer.headers.items() if k.lower() not in NOT_FORWARDED}
            return web.Response(status=answer.status, headers=kept, body=await answer.read())


@pytest.fixture
async def door(slack: FakeSlack) -> AsyncIterator[SlackDoor]:
    door = SlackDoor(slack)
    await door.start()
    yield door
    await door.stop()


@pytest.fixture
async def bot_behind_door(
    tmp_path: Path, aws: ThreadedAwsFaultProxy, door: SlackDoor, org: Organization
) -> AsyncIterator[BotProcess]:
    async with bot_in(tmp_path, aws, door.base_url) as process:
        yield process


def terminate(bot: BotProcess) -> float:
    """Send SIGTERM; returns when it was sent."""
    assert bot.process is not None
    bot.process.send_signal(signal.SIGTERM)
    return time.monotonic()


async def exit_code(bot: BotProcess, sent_at: float) -> int:
    """The process's exit code, which it must give within EXIT_WITHIN of SIGTERM."""
    assert bot.process is not None
    try:
        code = await asyncio.to_thread(bot.process.wait, EXIT_WITHIN + 5)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the bot was still running {EXIT_WITHIN + 5:.0f}s after SIGTERM")
    took = time.monotonic() - sent_at
    assert took <= EXIT_WITHIN, f"the bot took {took:.1f}s to exit after SIGTERM"
    return code


async def stopping(bot: BotProcess) -> None:
    """Wait until the bot has taken in the SIGTERM."""
    await eventually(lambda: "Outpost is stopping" in bot.log(), what="the bot to start stopping")


async def answer_to(bot: BotProcess, send: str) -> int | None:
    """The HTTP status of a request to the bot, or None if the connection was refused."""
    try:
        if send == "healthz":
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"{bot.url}/healthz") as response,
            ):
                return response.status
        status, _ = await SlackRequests(f"{bot.url}/slack/events").command(send)
        return status
    except aiohttp.ClientConnectionError:
        return None


async def test_an_answer_under_way_at_sigterm_is_still_given(
    slack: FakeSlack,
    requests: SlackRequests,
    org: Organization,
    aws: ThreadedAwsFaultProxy,
    bot: BotProcess,
) -> None:
    aws.add(hold_response("DescribeAccount", 1.5))
    status, body = await requests.command(f"show {org.account_id('billing-prod')}")
    assert status == 200, body
    await eventually(lambda: aws.calls_to("DescribeAccount"), what="DescribeAccount under way")
    sent_at = terminate(bot)

    assert await exit_code(bot, sent_at) == 0
    answers = [block_text(m) for m in slack.messages("CPLATFORM") if m.ephemeral_to == "UENGINEER"]
    assert len(answers) == 1, answers
    assert "billing-prod" in answers[0]


async def test_no_new_request_is_taken_after_sigterm(
    slack: FakeSlack, org: Organization, door: SlackDoor, bot_behind_door: BotProcess
) -> None:
    bot = bot_behind_door
    requests = SlackRequests(f"{bot.url}/slack/events")
    door.shut()  # the card's delivery is under way when SIGTERM arrives, and takes a while
    status, body = await request_account(slack, requests, name=NAME, ou_id=org.ous["Prod"])
    assert status == 200, body
    await eventually(lambda: door.held, what="the card's delivery to Slack")
    sent_at = terminate(bot)
    await stopping(bot)

    try:
        refused = (None, 503)
        assert await answer_to(bot, "healthz") in refused
        assert await answer_to(bot, "help") in refused
    finally:
        door.open()
    assert await exit_code(bot, sent_at) == 0


async def test_sigterm_hands_a_running_step_and_undelivered_messages_to_the_next_process(
    slack: FakeSlack,
    org: Organization,
    aws: ThreadedAwsFaultProxy,
    door: SlackDoor,
    bot_behind_door: BotProcess,
    tmp_path: Path,
) -> None:
    bot = bot_behind_door
    requests = SlackRequests(f"{bot.url}/slack/events")
    aws.add(hold_response("MoveAccount", 2))
    door.shut()  # the card's delivery is under way when SIGTERM arrives, and never ends
    status, body = await request_account(slack, requests, name=NAME, ou_id=org.ous["Prod"])
    assert status == 200, body
    await eventually(lambda: aws.calls_to("MoveAccount"), what="MoveAccount under way")
    await eventually(lambda: door.held, what="the card's delivery to Slack")
    sent_at = terminate(bot)

    assert await exit_code(bot, sent_at) == 0
    assert await operation_state(bot, NAME) == "running"
    door.open()

    async with bot.restarted(tmp_path / "restarted.log") as restarted:
        started = time.monotonic()
        await eventually(lambda: cards(slack), timeout=30, what="the card")
        card_after = time.monotonic() - started
        card = await card_reaching(slack, "Succeeded", timeout=30)
        done_after = time.monotonic() - started
        await drained(restarted)

    # Well within the minute an outbox claim lasts, and within a few engine lease terms.
    assert card_after <= 10, f"the card came {card_after:.1f}s after the restart"
    assert done_after <= 15, f"the operation ended {done_after:.1f}s after the restart"
    assert len(cards(slack)) == 1
    assert len(aws.calls_to("CreateAccount")) == 1
    account = org.account_named(NAME)
    assert account is not None
    assert org.parent_of(account["Id"]) == org.ous["Prod"]
    thread = thread_texts(slack, card)
    assert [step for step in story(thread) if step != "resumed"] == list(STORY), thread
    resumed = [text for text in thread if RESUMED in text]
    assert len(resumed) == 1, resumed
    assert "at step 3:" in resumed[0]

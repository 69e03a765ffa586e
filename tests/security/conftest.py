"""The bot as the security tests drive it: break-glass set up, with moto's Identity Center.

`access_bot` (tests/support/access_fixtures.py) runs `python -m bot` with the settings of
tests/e2e/access: an audit channel, two ops members (UOPS, UOPS2) and the break-glass
permission set, so that requests, decisions and grants are all within reach of a forged,
unauthorized or hostile request; `center` gives it a user for each of them.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from aiohttp import web

from tests.support.access_flows import break_glass_center
from tests.support.bot_process import BotProcess
from tests.support.identity_center import IdentityCenter
from tests.support.organization import Organization
from tests.support.slack_requests import SlackRequests


def security_center(org: Organization, moto_url: str) -> IdentityCenter:
    """Break-glass in Identity Center, with a user for each person in the workspace."""
    people = {name: f"{name}@example.com" for name in ("erin", "omar", "olga", "otto")}
    return break_glass_center(org, moto_url, people)


@pytest.fixture
def center(org: Organization, moto_url: str) -> IdentityCenter:
    return security_center(org, moto_url)


@pytest.fixture
def access_requests(access_bot: BotProcess) -> SlackRequests:
    return SlackRequests(f"{access_bot.url}/slack/events")


class ResponseUrl:
    """A place for the response_url of the requests sent: it keeps whatever the bot sends.

    Outpost answers a person there only when it cannot post an ephemeral message, or when it
    hit an unexpected error; so, in these tests, anything it receives is a finding.
    """

    def __init__(self) -> None:
        self.posts: list[str] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> ResponseUrl:
        app = web.Application()
        app.router.add_post("/response", self._record)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/response"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    async def _record(self, request: web.Request) -> web.Response:
        self.posts.append(await request.text())
        return web.Response(text="ok")


@pytest.fixture
async def response_url() -> AsyncIterator[ResponseUrl]:
    async with ResponseUrl() as listener:
        yield listener


class AimedRequests(SlackRequests):
    """Signed requests whose response_url, a command's or an interaction's, is `response_url`.

    `deliver` sends each body once it is aimed; a subclass keeps or replaces what it does.
    """

    def __init__(self, events_url: str, response_url: str) -> None:
        super().__init__(events_url)
        self.response_url = response_url

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        sent = aimed(body, content_type, self.response_url)
        return await self.deliver(
            sent, content_type, timestamp=timestamp, signature=signature, headers=headers
        )

    async def deliver(self, body: str, content_type: str, **signing: Any) -> tuple[int, str]:
        return await super().post(body, content_type, **signing)


def aimed(body: str, content_type: str, response_url: str) -> str:
    """`body` with its response_url (a command's, or an interaction's) set to `response_url`."""
    if content_type != "application/x-www-form-urlencoded":
        return body

    def aim(key: str, value: str) -> str:
        if key == "response_url":
            return response_url
        if key == "payload":
            payload = json.loads(value)
            if "response_url" in payload:
                payload["response_url"] = response_url
            return json.dumps(payload)
        return value

    return urlencode([(key, aim(key, value)) for key, value in parse_qsl(body)])

"""Bolt's unexpected-error handler answers a response_url only for a request from Slack.

The HTTP server verifies a request's signature before Bolt sees it, and marks it verified;
a request that reaches Bolt without that mark (or the Socket Mode connection's) is told
nothing at its response_url when a listener fails, whatever the URL.
"""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any, cast
from urllib.parse import urlencode

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import build_app
from bot.config import Settings
from bot.services.container import Services
from bot.signature import VERIFIED
from tests.security.conftest import ResponseUrl
from tests.support.slack_requests import SIGNING_SECRET, sign


def failing_app() -> Any:
    settings = Settings(slack_bot_token="xoxb-unused", slack_signing_secret=SIGNING_SECRET)  # type: ignore[call-arg,arg-type]
    services = cast(Services, SimpleNamespace(settings=settings))
    app = build_app(services, AsyncWebClient(token="xoxb-unused"), None)

    @app.command("/fail")
    async def fail(**_: Any) -> None:
        raise RuntimeError("a listener failed")

    return app


def request(response_url: str, context: dict[str, Any]) -> AsyncBoltRequest:
    body = urlencode(
        {
            "command": "/fail",
            "text": "",
            "user_id": "UENGINEER",
            "channel_id": "CPLATFORM",
            "team_id": "T0001",
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
    )
    now = int(time.time())
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": str(now),
        "x-slack-signature": sign(body, now),
    }
    return AsyncBoltRequest(body=body, headers=headers, context=context)  # type: ignore[arg-type]


async def test_a_request_the_server_did_not_verify_is_told_nothing(
    response_url: ResponseUrl,
) -> None:
    app = failing_app()
    await app.async_dispatch(request(response_url.url, {}))
    assert response_url.posts == []

    await app.async_dispatch(request(response_url.url, {VERIFIED: True}))
    assert len(response_url.posts) == 1
    assert "unexpected error" in response_url.posts[0]

"""The HTTP side of the runtime contract: `POST /slack/events` and `GET /healthz`.

The endpoint is on the internet, so a request to it is verified here, before anything else
reads it: its Slack headers first, then the signature over its body. Only then does Bolt see
it, marked as verified. A refused request gets 401 and one log line with its size and source,
never its body.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web
from pydantic import SecretStr
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.signature import VERIFIED, SlackSignature

log = logging.getLogger("outpost.http")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER = "X-Slack-Signature"


class _Refused(Exception):
    def __init__(self, status: int, reason: str, size: int | None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.size = size


def web_app(
    bolt: AsyncApp | None,
    health: Callable[[], dict[str, Any]],
    *,
    ready: Callable[[], bool],
    signing_secret: SecretStr | None,
) -> web.Application:
    """Serve Slack's requests (unless `bolt` is None, in Socket Mode) and the health check."""

    async def slack_events(request: web.Request) -> web.Response:
        assert bolt is not None and signing_secret is not None
        signature = SlackSignature(signing_secret.get_secret_value())
        try:
            body = await _verified_body(request, signature)
        except _Refused as refused:
            size = "size unknown" if refused.size is None else f"{refused.size} bytes"
            log.warning("refused a request from %s: %s (%s)", request.remote, refused.reason, size)
            return _refused(refused.status)
        try:
            bolt_request = AsyncBoltRequest(
                body=body.decode(request.charset or "utf-8"),
                query=request.query_string,
                headers=dict(request.headers),
                context={VERIFIED: True},
            )
        except (ValueError, LookupError):  # not text, or not the JSON or form Slack sends
            return _refused(400)
        return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

    async def healthz(_: web.Request) -> web.Response:
        status = 200 if ready() else 503
        return web.json_response(health(), status=status)

    app = web.Application()
    app.router.add_get(HEALTH_PATH, healthz)
    if bolt is not None:
        app.router.add_post(EVENTS_PATH, slack_events)
    return app


async def _verified_body(request: web.Request, signature: SlackSignature) -> bytes:
    """The body of a request Slack signed; anything else raises _Refused."""
    timestamp = request.headers.get(TIMESTAMP_HEADER)
    given = request.headers.get(SIGNATURE_HEADER)
    reason = signature.refusal(timestamp, given, time.time())
    if reason is not None:
        raise _Refused(401, reason, request.content_length)
    assert timestamp is not None and given is not None
    body = await request.read()
    if not signature.signed(timestamp, body, given):
        raise _Refused(401, "wrong signature", len(body))
    return body


def _refused(status: int) -> web.Response:
    return web.json_response({"error": "invalid request"}, status=status)

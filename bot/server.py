"""The HTTP side of the runtime contract: `POST /slack/events` and `GET /healthz`.

The endpoint is on the internet, so a request to it is verified here, before anything else
reads it: its Slack headers first, then a body read only up to `max_body` bytes and for at
most `body_timeout`, then the signature over that body, then its shape (bot/slack_shape.py).
Only then does Bolt see it, marked as verified. A refused request gets 401 (or 400, 408, 413)
and one log line with its size and source, never its body. A signed event of a shape Slack
never sends gets 200, so that Slack does not deliver it again, and a line, and reaches nobody.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from pydantic import SecretStr
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.clock import Clock
from bot.config import Settings
from bot.domain.errors import InvalidInput
from bot.log_budget import LogBudget
from bot.signature import VERIFIED, SlackSignature
from bot.slack_shape import JSON, NotSlacksShape, slack_payload

log = logging.getLogger("outpost.http")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER = "X-Slack-Signature"

# Set on a request while its body, not yet verified, is being waited for: at the connection
# cap, its connection is among the first closed (bot/connections.py).
AWAITING_UNVERIFIED_BODY = web.RequestKey("awaiting_unverified_body", bool)


@dataclass(frozen=True)
class EdgeLimits:
    """What one client may hold or send (see the HTTP_* settings)."""

    max_body: int
    header_timeout: float
    body_timeout: float
    keepalive_timeout: float
    max_connections: int

    @classmethod
    def of(cls, settings: Settings) -> EdgeLimits:
        return cls(
            max_body=settings.http_max_body_bytes,
            header_timeout=settings.http_header_timeout.total_seconds(),
            body_timeout=settings.http_body_timeout.total_seconds(),
            keepalive_timeout=settings.http_keepalive_timeout.total_seconds(),
            max_connections=settings.http_max_connections,
        )


class _Ignored(InvalidInput):
    """A signed event of a shape Slack never sends: answered, so that Slack does not deliver it
    again, and acted on by nobody."""


class _Refused(InvalidInput):
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
    limits: EdgeLimits,
    clock: Clock,
) -> web.Application:
    """Serve Slack's requests (unless `bolt` is None, in Socket Mode) and the health check."""
    refusals = LogBudget(log, "refused requests")
    ignored_events = LogBudget(log, "ignored events")
    signature = (
        SlackSignature(signing_secret.get_secret_value()) if signing_secret is not None else None
    )

    async def slack_events(request: web.Request) -> web.Response:
        assert bolt is not None and signature is not None
        try:
            body = await _verified_body(request, signature, limits, clock)
            bolt_request = _bolt_request(request, body)
        except _Refused as refused:
            size = "size unknown" if refused.size is None else f"{refused.size} bytes"
            refusals.warning(
                "refused a request from %s: %s (%s)", request.remote, refused.reason, size
            )
            response = _refused(refused.status)
            response.force_close()  # what is left of its body is never read
            return response
        except _Ignored as ignored:
            ignored_events.warning(
                "ignored an event from %s: %s (%d bytes)", request.remote, ignored, len(body)
            )
            return web.Response(status=200)  # else Slack delivers it again
        return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

    async def healthz(_: web.Request) -> web.Response:
        status = 200 if ready() else 503
        return web.json_response(health(), status=status)

    app = web.Application()
    app.router.add_get(HEALTH_PATH, healthz)
    if bolt is not None:
        app.router.add_post(EVENTS_PATH, slack_events)
    return app


async def _verified_body(
    request: web.Request, signature: SlackSignature, limits: EdgeLimits, clock: Clock
) -> bytes:
    """The body of a request Slack signed; anything else raises _Refused."""
    timestamp = request.headers.get(TIMESTAMP_HEADER)
    given = request.headers.get(SIGNATURE_HEADER)
    announced = request.content_length
    reason = signature.refusal(timestamp, given, clock.now().timestamp())
    if reason is not None:
        raise _Refused(401, reason, announced)
    assert timestamp is not None and given is not None
    if announced is not None and announced > limits.max_body:
        raise _Refused(413, f"body over {limits.max_body} bytes", announced)
    request[AWAITING_UNVERIFIED_BODY] = True
    try:
        async with asyncio.timeout(limits.body_timeout):
            body = await _read_at_most(request, limits.max_body)
    except TimeoutError:
        raise _Refused(408, "body not sent in time", announced) from None
    except ConnectionError:  # the client hung up, or the connection cap closed it
        raise _Refused(400, "connection closed before the body was sent", announced) from None
    finally:
        request[AWAITING_UNVERIFIED_BODY] = False
    if not signature.signed(timestamp, body, given):
        raise _Refused(401, "wrong signature", len(body))
    return body


async def _read_at_most(request: web.Request, limit: int) -> bytes:
    body = bytearray()
    while chunk := await request.content.readany():
        body += chunk
        if len(body) > limit:
            raise _Refused(413, f"body over {limit} bytes", None)
    return bytes(body)


def _bolt_request(request: web.Request, body: bytes) -> AsyncBoltRequest:
    """A verified body for Bolt, if it has a shape Slack gives its payloads.

    Bolt gets the payload read here, as JSON, rather than the body, so that it reads the
    payload that was checked (its own reading of a form goes wrong on the word "payload")."""
    try:
        text = body.decode(request.charset or "utf-8")
    except (UnicodeDecodeError, LookupError):
        raise _Refused(400, "body is not text", len(body)) from None
    try:
        payload = slack_payload(text, request.content_type)
    except NotSlacksShape as odd:
        if odd.event:
            raise _Ignored(odd.reason) from None
        raise _Refused(400, odd.reason, len(body)) from None
    headers: dict[str, str | Sequence[str]] = {
        name: value for name, value in request.headers.items() if name.lower() != "content-type"
    }
    return AsyncBoltRequest(
        body=json.dumps(payload),
        query=request.query_string,
        headers=headers | {"content-type": JSON},
        context={VERIFIED: True},
    )


def _refused(status: int) -> web.Response:
    return web.json_response({"error": "invalid request"}, status=status)

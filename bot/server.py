"""The HTTP side of the runtime contract: `POST /slack/events` and `GET /healthz`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"


def web_app(
    bolt: AsyncApp | None, health: Callable[[], dict[str, Any]], *, ready: Callable[[], bool]
) -> web.Application:
    """Serve Slack's requests (unless `bolt` is None, in Socket Mode) and the health check."""

    async def slack_events(request: web.Request) -> web.Response:
        assert bolt is not None
        if not _whole_number(request.headers.get(TIMESTAMP_HEADER, "0")):
            # Bolt's check of the signature would raise on it, and its error handler would
            # then answer to the response_url of a request nobody signed.
            return _refused(401)
        try:
            bolt_request = await to_bolt_request(request)
        except ValueError:  # not text, or not the JSON or form Slack sends
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


def _whole_number(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def _refused(status: int) -> web.Response:
    return web.json_response({"error": "invalid request"}, status=status)

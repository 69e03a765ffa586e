"""`build_app`: the only place where Outpost's parts are wired together."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

import handlers
from bot.config import Settings
from bot.services.container import Services
from bot.signature import VERIFIED
from bot.slack.authorization import KnownIdentity

log = logging.getLogger(__name__)


_SAME_TOKEN_WARNINGS = ("`token` will be unused", "SLACK_BOT_TOKEN env variable) will be ignored")


class _SameTokenWarning(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns that the client's token, or the authorize
    function's, wins; it is the same token, so the warning would only alarm whoever reads the
    logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(warning in message for warning in _SAME_TOKEN_WARNINGS)


def build_app(
    services: Services, client: AsyncWebClient, identity: AsyncSlackResponse | None
) -> AsyncApp:
    """`identity`: Slack's answer to auth.test at start-up, if it gave one."""
    logging.getLogger("slack_bolt.AsyncApp").addFilter(_SameTokenWarning())
    app = AsyncApp(
        client=client,
        # Not Bolt's own, which asks Slack at the first request (see bot/slack/authorization.py).
        authorize=KnownIdentity(client, identity),
        # Not Bolt's check either: in HTTP mode the edge (bot/server.py) has verified each
        # request before Bolt sees it, and a second check, made after the body was read, would
        # refuse what the edge accepted near the end of the timestamp's window. In Socket
        # Mode, Slack's requests arrive over the authenticated socket, unsigned.
        signing_secret="",
        request_verification_enabled=False,
        raise_error_for_unhandled_request=False,
    )

    @app.middleware
    async def provide_services(
        context: AsyncBoltContext, next: Callable[[], Awaitable[None]]
    ) -> None:
        context["services"] = services
        await next()

    @app.error
    async def report_unexpected(
        error: Exception, body: dict[str, Any], respond: Any, request: AsyncBoltRequest
    ) -> None:
        error_id = secrets.token_hex(4)
        log.exception("unexpected error %s", error_id, exc_info=error)
        if body.get("response_url") and _from_slack(request):
            await _tell_quietly(respond, error_id)

    handlers.register(app)
    return app


def _from_slack(request: AsyncBoltRequest) -> bool:
    """Whether the request surely came from Slack, so that its response_url is Slack's: it came
    over the Socket Mode connection, or the HTTP server verified its signature."""
    return request.mode == "socket_mode" or request.context.get(VERIFIED) is True


async def _tell_quietly(respond: Any, error_id: str) -> None:
    """Tell the user, if Slack lets us; a failure to tell is only logged."""
    try:
        await respond(
            text=f"Outpost hit an unexpected error (error id `{error_id}`), so what you asked "
            "may be done only in part: check the operation's card and thread. Quote the id "
            "to whoever runs Outpost.",
            response_type="ephemeral",
            replace_original=False,
        )
    except Exception:
        log.warning("could not tell the user about error %s", error_id, exc_info=True)


def web_client(settings: Settings) -> AsyncWebClient:
    kwargs: dict[str, Any] = {"token": settings.slack_bot_token.get_secret_value()}
    if settings.slack_api_url:
        kwargs["base_url"] = settings.slack_api_url.rstrip("/") + "/"
    # The outbox is the one place Slack calls are retried; the SDK's own retries stay off.
    return AsyncWebClient(**kwargs, retry_handlers=[])

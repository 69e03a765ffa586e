"""Checks, at start-up, that Slack accepts Outpost's tokens and knows its channels.

A revoked or mistyped token, or a channel Outpost cannot see, is a configuration error:
better one clear line at start-up than a bot that starts, looks healthy, and fails at the
first message (a break-glass request whose card no ops member ever sees). A Slack that cannot
be reached, or that does not answer the check, is not: the bot starts, and the outbox and
Socket Mode client retry.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.config import ConfigError, Settings

log = logging.getLogger(__name__)

REFUSED = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "not_allowed_token_type",
        "invalid_token",
    }
)


async def verify_tokens(client: AsyncWebClient, settings: Settings) -> AsyncSlackResponse | None:
    """Raise ConfigError naming the variable whose token Slack refuses. Returns Slack's answer
    to auth.test (who Outpost is), or None if Slack could not be asked."""
    checked = await _verify("SLACK_BOT_TOKEN", client.auth_test)
    if settings.slack_app_token is not None:
        app_token = settings.slack_app_token.get_secret_value()
        await _verify("SLACK_APP_TOKEN", lambda: client.apps_connections_open(app_token=app_token))
    return checked


async def _verify(
    variable: str, call: Callable[[], Awaitable[AsyncSlackResponse]]
) -> AsyncSlackResponse | None:
    try:
        return await call()
    except SlackApiError as error:
        code = error.response.get("error") if isinstance(error.response.data, dict) else None
        if code in REFUSED:
            raise ConfigError(
                f"configuration error: {variable} was refused by Slack ({code})"
            ) from None
        log.warning("could not check %s with Slack (%s); starting anyway", variable, error)
    except (aiohttp.ClientError, TimeoutError, OSError) as error:
        log.warning("could not reach Slack to check %s (%s); starting anyway", variable, error)
    return None


async def verify_channels(client: AsyncWebClient, settings: Settings) -> None:
    """Raise ConfigError naming a channel setting Slack does not show Outpost."""
    configured = {
        "AUDIT_CHANNEL": settings.audit_channel,
        "APPROVALS_CHANNEL": settings.approvals_channel,
        "OPERATIONS_CHANNEL": settings.operations_channel,
    }
    for variable, channel in configured.items():
        if channel:
            await _verify_channel(client, variable, channel)


async def _verify_channel(client: AsyncWebClient, variable: str, channel: str) -> None:
    try:
        response = await client.conversations_info(channel=channel)
    except SlackApiError as error:
        code = error.response.get("error") if isinstance(error.response.data, dict) else None
        if code == "channel_not_found":
            raise ConfigError(
                f"configuration error: {variable} ({channel}) is not a channel Slack shows "
                "Outpost: use the channel's id (C…), and invite Outpost if it is private"
            ) from None
        log.warning("could not check %s with Slack (%s); starting anyway", variable, code)
        return
    except (aiohttp.ClientError, TimeoutError, OSError) as error:
        log.warning("could not reach Slack to check %s (%s); starting anyway", variable, error)
        return
    if (response.get("channel") or {}).get("is_archived"):
        raise ConfigError(f"configuration error: {variable} ({channel}) is archived")

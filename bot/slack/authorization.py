"""Who Outpost is in Slack, for Bolt's authorization of each request, without asking Slack then.

Bolt's own single-workspace authorization calls auth.test on the first request it serves, and
when Slack does not answer it tells the person that the app's installation is gone and to
reinstall it: wrong advice for a Slack that is only briefly unreachable, and the request is
dropped. Outpost checks its token when it starts (bot/slack/tokens.py); that answer is used
here. When Slack could not be reached at start-up, requests are served with what they carry, and
auth.test is tried again in the background, one try at a time, until Slack answers.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from slack_bolt.async_app import AsyncBoltContext
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.slack.tokens import REFUSED

log = logging.getLogger(__name__)


class KnownIdentity(AsyncAuthorize):
    """Bolt's `authorize`: Outpost's one token, and its ids once Slack has given them."""

    def __init__(self, client: AsyncWebClient, checked: AsyncSlackResponse | None) -> None:
        """`checked`: Slack's answer to auth.test at start-up, or None if it gave none."""
        self._client = client
        self._checked = checked
        self._checking: asyncio.Task[None] | None = None

    async def __call__(
        self,
        *,
        context: AsyncBoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult:
        token = self._client.token
        if self._checked is None:
            self._check_in_background()
            # Without Outpost's own ids, Bolt cannot set aside events Outpost caused itself;
            # those it subscribes to (a mention, its Home tab opened) are people's doing.
            return AuthorizeResult(
                enterprise_id=enterprise_id, team_id=team_id, user_id=user_id, bot_token=token
            )
        checked = self._checked
        return AuthorizeResult(
            enterprise_id=checked.get("enterprise_id"),
            team_id=checked.get("team_id"),
            team=checked.get("team"),
            url=checked.get("url"),
            bot_id=checked.get("bot_id"),
            bot_user_id=checked.get("user_id"),
            bot_token=token,
            user_id=user_id,
        )

    def _check_in_background(self) -> None:
        if self._checking is None or self._checking.done():
            self._checking = asyncio.create_task(self._check())

    async def _check(self) -> None:
        try:
            self._checked = await self._client.auth_test()
        except SlackApiError as error:
            code = error.response.get("error") if isinstance(error.response.data, dict) else None
            if code in REFUSED:
                log.error("Slack refuses SLACK_BOT_TOKEN (%s): Outpost cannot act in Slack", code)
            else:
                log.info("Slack did not answer auth.test (%s); trying again later", error)
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
            log.info("Slack could not be reached for auth.test (%s); trying again later", error)

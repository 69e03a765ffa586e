"""Answering the person who acted, privately, wherever they acted."""

from __future__ import annotations

import logging
from typing import Protocol

from slack_bolt.async_app import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.ui.blocks import Block

log = logging.getLogger(__name__)


class Tell(Protocol):
    """Answer the person who typed the command, privately."""

    async def __call__(self, text: str, blocks: list[Block] | None = None) -> None: ...


class Reply:
    """Whom to answer, and how: an ephemeral message in the channel, else the response_url."""

    def __init__(
        self, channel: str, user: str, client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        self.channel, self.user, self.client, self.respond = channel, user, client, respond

    async def post(self, text: str, blocks: list[Block]) -> None:
        try:
            await self.client.chat_postEphemeral(
                channel=self.channel, user=self.user, text=text, blocks=blocks
            )
            return
        except SlackApiError as error:
            # e.g. a DM or a private channel Outpost is not in: the response_url still works.
            log.info("chat.postEphemeral refused (%s); answering by response_url", error)
        await self.respond(
            text=text, blocks=blocks, response_type="ephemeral", replace_original=False
        )

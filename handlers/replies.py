"""Answering the person who acted, privately: the one place that chooses how.

First an ephemeral message where they acted, in the thread when they acted in one: only they
see it, beside what they did. Slack refuses one where Outpost cannot post (a direct message
between two people, a private channel Outpost is not in, an archived channel). Then the
response_url Slack sent with the command or click, which answers in that same place; a modal's
submission and an event come with none. Last, a direct message from Outpost, which always
reaches them.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from aiohttp import ClientError
from slack_bolt.async_app import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.ui.blocks import Block

log = logging.getLogger(__name__)


class Tell(Protocol):
    """Answer the person who typed the command, privately."""

    async def __call__(self, text: str, blocks: list[Block] | None = None) -> None: ...


class Private:
    """How to reach one person privately from where they acted; `tell` picks the way."""

    def __init__(
        self,
        client: AsyncWebClient,
        user: str,
        *,
        channel: str | None = None,
        thread_ts: str | None = None,
        respond: AsyncRespond | None = None,
    ) -> None:
        self.client, self.user, self.channel = client, user, channel
        self.thread_ts, self.respond = thread_ts, respond

    @classmethod
    def to_command(
        cls, command: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond | None
    ) -> Private:
        return cls(client, command["user_id"], channel=command["channel_id"], respond=respond)

    @classmethod
    def to_click(
        cls, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond | None = None
    ) -> Private:
        """A button's clicker, where the button is: in a channel, a thread or a DM."""
        user = body["user"]["id"]
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
            "channel_id"
        )
        message = body.get("message") or {}
        # A thread's parent carries its own ts as thread_ts: only a reply is in a thread.
        thread_ts = message.get("thread_ts")
        if thread_ts == message.get("ts"):
            thread_ts = None
        return cls(client, user, channel=channel, thread_ts=thread_ts, respond=respond)

    async def tell(self, text: str, blocks: list[Block] | None = None) -> None:
        if self.channel and await self._ephemeral(self.channel, text, blocks):
            return
        if self.respond is not None and await self._response_url(self.respond, text, blocks):
            return
        opened = await self.client.conversations_open(users=self.user)
        message: dict[str, Any] = {"channel": opened["channel"]["id"], "text": text}
        if blocks is not None:
            message["blocks"] = blocks
        await self.client.chat_postMessage(**message)

    async def __call__(self, text: str, blocks: list[Block] | None = None) -> None:
        await self.tell(text, blocks)

    async def _ephemeral(self, channel: str, text: str, blocks: list[Block] | None) -> bool:
        message: dict[str, Any] = {"channel": channel, "user": self.user, "text": text}
        if blocks is not None:
            message["blocks"] = blocks
        if self.thread_ts:
            message["thread_ts"] = self.thread_ts
        try:
            await self.client.chat_postEphemeral(**message)
        except SlackApiError as error:
            log.info("chat.postEphemeral refused (%s); answering another way", error)
            return False
        return True

    async def _response_url(
        self, respond: AsyncRespond, text: str, blocks: list[Block] | None
    ) -> bool:
        try:
            answer = await respond(
                text=text, blocks=blocks, response_type="ephemeral", replace_original=False
            )
        except (ClientError, OSError, TimeoutError) as error:
            log.info("the response_url did not take the answer (%s); sending a DM", error)
            return False
        if answer.status_code != 200:
            log.info("the response_url answered %s; sending a DM", answer.status_code)
            return False
        return True

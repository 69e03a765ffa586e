"""chat.* of the fake Slack, and the response URLs it hands out.

Where real Slack is lenient, the fake refuses, so that tests catch the bug: a ``thread_ts``
that is not the ts of an existing top-level message of that channel is ``thread_not_found``
(real Slack accepts an unknown ``thread_ts`` silently). ``chat.postMessage`` takes
``metadata`` (``event_type`` and ``event_payload``) and refuses a malformed one as Slack does.

For the sandbox's page (and tests that act as a person), ``response_url`` hands out a response
URL served by this same server: what is POSTed to it becomes an ephemeral message to that
person (or a message in the channel for ``"response_type": "in_channel"``).
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from aiohttp import web

from bot.emulator.slack.area import Area, web_api
from bot.emulator.slack.model import Responder, SlackMessage
from bot.emulator.slack.refusals import (
    Args,
    Refusal,
    message_content,
    str_arg,
    valid_metadata,
)
from bot.emulator.slack.workspace import WORKSPACE_URL

RESPONSE_URL_PATH = "/respond/{token}"


class Chat(Area):
    """Messages the app posts, updates and links to, directly or through a response URL."""

    # --- the Web API ------------------------------------------------------------------

    @web_api("chat.postMessage")
    async def post_message(self, args: Args) -> dict[str, Any]:
        ws = self._ws
        channel = ws.resolve_channel(args.get("channel"))
        text, blocks = message_content(args)
        metadata = valid_metadata(args.get("metadata"))
        thread_ts = ws.check_thread(channel, args.get("thread_ts"))
        message = self._post(channel, text, blocks, thread_ts, metadata=metadata)
        return {"channel": channel, "ts": message.ts, "message": ws.message_payload(message)}

    @web_api("chat.postEphemeral")
    async def post_ephemeral(self, args: Args) -> dict[str, Any]:
        ws = self._ws
        channel = ws.resolve_channel(args.get("channel"))
        user = ws.known_user(args.get("user"))
        text, blocks = message_content(args)
        thread_ts = ws.check_thread(channel, args.get("thread_ts"))
        message = self._post(channel, text, blocks, thread_ts, ephemeral_to=user.id)
        return {"message_ts": message.ts}

    def _post(
        self,
        channel: str,
        text: str | None,
        blocks: list[dict[str, Any]] | None,
        thread_ts: str | None,
        **extra: Any,
    ) -> SlackMessage:
        """A message from the app, checked already, stored with the next ts."""
        ws = self._ws
        message = SlackMessage(
            channel, ws.next_ts(), text or "", blocks or [], thread_ts, ws.bot_user_id, **extra
        )
        ws.store(message)
        return message

    @web_api("chat.update")
    async def update(self, args: Args) -> dict[str, Any]:
        ws = self._ws
        channel = ws.resolve_channel(args.get("channel"))
        message = ws.by_key.get((channel, str_arg(args, "ts") or ""))
        if message is None or message.ephemeral_to is not None:
            raise Refusal("message_not_found")
        if message.user != ws.bot_user_id:
            raise Refusal("cant_update_message")
        text, blocks = message_content(args)
        if text is not None:
            message.text = text
        if blocks is not None:
            message.blocks = blocks
        message.updates += 1
        ws.mark_changed()
        return {
            "channel": channel,
            "ts": message.ts,
            "text": message.text,
            "message": ws.message_payload(message),
        }

    @web_api("chat.getPermalink")
    async def get_permalink(self, args: Args) -> dict[str, Any]:
        channel = self._ws.resolve_channel(args.get("channel"))
        message = self._ws.by_key.get((channel, str_arg(args, "message_ts") or ""))
        if message is None or message.ephemeral_to is not None:
            raise Refusal("message_not_found")
        permalink = f"{WORKSPACE_URL}archives/{channel}/p{message.ts.replace('.', '')}"
        if message.thread_ts is not None:
            permalink += f"?thread_ts={message.thread_ts}&cid={channel}"
        return {"channel": channel, "permalink": permalink}

    # --- what Slack shows an app -----------------------------------------------------

    def message_payload(self, channel: str, ts: str) -> dict[str, Any]:
        """The message as Slack puts it in a `block_actions` payload."""
        message = self._ws.by_key[(channel, ts)]
        payload = self._ws.message_payload(message)
        if message.ephemeral_to is not None:
            payload["is_ephemeral"] = True
        return payload

    # --- response URLs ----------------------------------------------------------------

    def response_url(self, user_id: str, channel: str, *, message_ts: str | None = None) -> str:
        """A response URL for what `user_id` did in `channel` (on the message `message_ts`)."""
        if self._ws.root_url is None:
            raise RuntimeError("FakeSlack is not started")
        token = secrets.token_urlsafe(12)
        self._ws.responders[token] = Responder(user_id, channel, message_ts)
        return self._ws.root_url + RESPONSE_URL_PATH.format(token=token)

    async def serve_response_url(self, request: web.Request) -> web.Response:
        """A response URL: a message for the person who acted, or for the channel."""
        ws = self._ws
        responder = ws.responders.get(request.match_info["token"])
        if responder is None:
            return web.Response(status=404, text="expired_url")
        try:
            body = json.loads(await request.text())
        except ValueError:
            return web.Response(status=400, text="invalid_payload")
        if not isinstance(body, dict):
            return web.Response(status=400, text="invalid_payload")
        original = (
            ws.by_key.get((responder.channel, responder.message_ts))
            if responder.message_ts
            else None
        )
        if body.get("delete_original") and original is not None:
            ws.remove(original)
            return web.Response(text="ok")
        try:
            text, blocks = message_content(body)
        except Refusal as refusal:
            return web.Response(status=400, text=refusal.code)
        if body.get("replace_original") and original is not None:
            original.text = text or ""
            original.blocks = blocks or []
            original.updates += 1
            ws.mark_changed()
            return web.Response(text="ok")
        in_channel = body.get("response_type") == "in_channel"
        thread_ts = body.get("thread_ts") if isinstance(body.get("thread_ts"), str) else None
        if thread_ts is not None and (responder.channel, thread_ts) not in ws.by_key:
            thread_ts = None
        ws.store(
            SlackMessage(
                responder.channel,
                ws.next_ts(),
                text or "",
                blocks or [],
                thread_ts,
                ws.bot_user_id,
                ephemeral_to=None if in_channel else responder.user,
            )
        )
        return web.Response(text="ok")

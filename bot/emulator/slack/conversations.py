"""conversations.* of the fake Slack: opening a DM, a channel's details, and its history.

A ``D…`` channel id is valid only once ``conversations.open`` returned it (or once a message was
posted with the user's id as channel, which Slack maps to the bot's DM), and
``conversations.open`` supports 1:1 DMs only.

Reading history needs the scope for the kind of conversation (``channels:history``,
``groups:history``, ``im:history``), answered with ``missing_scope`` as Slack does, and the bot
in the channel (``not_in_channel``). ``conversations.history`` returns message metadata with
``include_all_metadata``.
"""

from __future__ import annotations

import copy
from typing import Any, Final

from bot.emulator.slack.area import Area, web_api
from bot.emulator.slack.refusals import Args, Refusal, positive_int, str_arg

_MAX_HISTORY_PAGE: Final = 999


class Conversations(Area):
    """Channels and DMs as the app sees them."""

    @web_api("conversations.open")
    async def open(self, args: Args) -> dict[str, Any]:
        ws = self._ws
        users = args.get("users")
        if isinstance(users, str):
            users = [u for u in users.split(",") if u]
        if not users:
            channel = str_arg(args, "channel")
            if channel in ws.dms:
                return {"no_op": True, "already_open": True, "channel": {"id": channel}}
            raise Refusal("channel_not_found" if channel else "users_list_not_supplied")
        if not isinstance(users, list) or len(users) != 1:
            raise Refusal("invalid_arguments", ["[ERROR] the fake supports 1:1 DMs only"])
        user = ws.known_user(users[0])
        channel_id = ws.dm_channel(user.id)
        already_open = channel_id in ws.dms
        ws.dms.add(channel_id)
        opened: dict[str, Any] = {"channel": {"id": channel_id}}
        if already_open:
            opened.update(no_op=True, already_open=True)
        return opened

    @web_api("conversations.info")
    async def info(self, args: Args) -> dict[str, Any]:
        channel = self._ws.channels.get(str_arg(args, "channel") or "")
        # Slack does not show a private channel to someone outside it.
        if channel is None or (channel.is_private and not channel.bot_is_member):
            raise Refusal("channel_not_found")
        return {
            "channel": {
                "id": channel.id,
                "name": channel.name,
                "is_private": channel.is_private,
                "is_member": channel.bot_is_member,
                "is_archived": channel.is_archived,
            }
        }

    @web_api("conversations.history")
    async def history(self, args: Args) -> dict[str, Any]:
        """Top-level messages of a conversation, newest first, one page of `limit` (default
        100) older than `cursor`; metadata only with `include_all_metadata`."""
        ws = self._ws
        channel_id = str_arg(args, "channel") or ""
        channel = ws.channels.get(channel_id)
        if channel_id in ws.dms:
            ws.need_scope("im:history")
        elif channel is None or (channel.is_private and not channel.bot_is_member):
            raise Refusal("channel_not_found")
        else:
            ws.need_scope("groups:history" if channel.is_private else "channels:history")
            if not channel.bot_is_member:
                raise Refusal("not_in_channel")
        limit = positive_int(args.get("limit", 100))
        if limit is None:
            raise Refusal("invalid_limit")
        limit = min(limit, _MAX_HISTORY_PAGE)
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        newest_first = [
            m
            for m in reversed(ws.messages)
            if m.channel == channel_id and m.thread_ts is None and m.ephemeral_to is None
        ]
        cursor = str_arg(args, "cursor")
        if cursor is not None:
            newest_first = [m for m in newest_first if float(m.ts) < float(cursor)]
        page = newest_first[:limit]
        messages = []
        for message in page:
            payload = ws.message_payload(message)
            if with_metadata and message.metadata is not None:
                payload["metadata"] = copy.deepcopy(message.metadata)
            messages.append(payload)
        more = len(newest_first) > limit
        return {
            "messages": messages,
            "has_more": more,
            "response_metadata": {"next_cursor": page[-1].ts if more else ""},
        }

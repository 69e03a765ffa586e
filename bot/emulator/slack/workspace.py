"""The one state every API area of the fake Slack reads and changes: a workspace.

Its channels, people, user groups, messages, views and files, who the app is (tokens, ids,
scopes), what the fake recorded (calls, uploads, Socket Mode acks), and the rules several areas
share: where a post lands, which thread it may go in, how a message is shown to an app, and the
version a page follows to see the workspace live. The areas (``chat``, ``conversations``,
``people``, ``files``, ``views``, ``auth``) are stateless beside it, so that a change made
through one is what the others see.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import time
from typing import Any, Final

from bot.emulator.slack.model import (
    Channel,
    RecordedCall,
    RecordedUpload,
    Responder,
    SlackMessage,
    Upload,
    UploadedFile,
    User,
)
from bot.emulator.slack.refusals import Refusal

WORKSPACE_URL: Final = "https://fake.slack.test/"
SLACKBOT_USER_ID: Final = "USLACKBOT"
_FIRST_TS_MICROS: Final = 1_700_000_000_000_100
_TS_STEP_MICROS: Final = 100
# The bot scopes of manifest.yml: what the fake grants unless it is told otherwise.
DEFAULT_SCOPES: Final = frozenset(
    {
        "commands",
        "chat:write",
        "chat:write.public",
        "channels:read",
        "channels:history",
        "groups:read",
        "groups:history",
        "im:history",
        "files:write",
        "im:write",
        "users:read",
        "users:read.email",
        "usergroups:read",
        "app_mentions:read",
    }
)


class Workspace:
    """A Slack workspace with one app installed in it, in memory."""

    def __init__(
        self,
        *,
        bot_token: str,
        bot_user_id: str,
        team_id: str,
        app_token: str,
        real_time: bool,
        scopes: frozenset[str],
    ) -> None:
        self.scopes = scopes
        self.bot_token = bot_token
        self.app_token = app_token
        self.bot_user_id = bot_user_id
        self.team_id = team_id
        self.bot_id = "B" + bot_user_id[1:]
        self.app_id = "A" + bot_user_id[1:]
        self.root_url: str | None = None  # where the server listens, once started
        # What the fake recorded.
        self.calls: list[RecordedCall] = []
        self.uploads: list[RecordedUpload] = []
        self.socket_acks: list[dict[str, Any]] = []
        # People and conversations.
        self.channels: dict[str, Channel] = {}
        self.users: dict[str, User] = {}
        self.usergroups: dict[str, tuple[str, list[str]]] = {}
        self.dms: set[str] = set()
        self.messages: list[SlackMessage] = []
        self.by_key: dict[tuple[str, str], SlackMessage] = {}
        self.responders: dict[str, Responder] = {}
        # Views.
        self.views: dict[str, dict[str, Any]] = {}
        self.external_ids: dict[str, str] = {}
        self.homes: dict[str, str] = {}
        self.used_triggers: set[str] = set()
        self.trigger_owners: dict[str, str] = {}
        self.modal_stacks: dict[str, list[str]] = {}  # user id -> view ids, the top last
        # Files.
        self.pending_uploads: dict[str, Upload] = {}
        self.shared_files: list[UploadedFile] = []
        self._file_seq = 0
        self._view_seq = 0
        self._hash_seq = 0
        self._ts_micros = _FIRST_TS_MICROS
        self._real_time = real_time
        self._version = 0
        self._changed = asyncio.Event()

    # --- members and channels ---------------------------------------------------------

    def add_channel(
        self, channel_id: str, *, name: str, bot_is_member: bool = True, is_private: bool = False
    ) -> None:
        self.channels[channel_id] = Channel(channel_id, name, bot_is_member, is_private)

    def add_user(self, user: User) -> None:
        self.users[user.id] = user

    def dm_channel(self, user_id: str) -> str:
        return "D" + user_id

    def known_user(self, user_id: Any, error: str = "user_not_found") -> User:
        """The member `user_id`, or refused with `error`."""
        user = self.users.get(user_id) if isinstance(user_id, str) else None
        if user is None:
            raise Refusal(error)
        return user

    def need_scope(self, scope: str) -> None:
        if scope not in self.scopes:
            raise Refusal(
                "missing_scope",
                details={"needed": scope, "provided": ",".join(sorted(self.scopes))},
            )

    # --- messages ---------------------------------------------------------------------

    def next_ts(self) -> str:
        micros = self._ts_micros
        if self._real_time:
            micros = max(micros, time.time_ns() // 1000)
        self._ts_micros = micros + _TS_STEP_MICROS
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def resolve_channel(self, channel: Any) -> str:
        """Return the id a post to `channel` lands in, or refuse as Slack would."""
        if not isinstance(channel, str) or not channel:
            raise Refusal("channel_not_found")
        if channel in self.dms:
            return channel
        if channel in self.users:
            return self.dm_channel(channel)
        found = self.channels.get(channel) or self._channel_named(channel.removeprefix("#"))
        if found is None:
            raise Refusal("channel_not_found")
        if found.is_private and not found.bot_is_member:
            raise Refusal("not_in_channel")
        if found.is_archived:
            raise Refusal("is_archived")
        return found.id

    def _channel_named(self, name: str) -> Channel | None:
        return next((c for c in self.channels.values() if c.name == name), None)

    def check_thread(self, channel: str, thread_ts: Any) -> str | None:
        """The ts of the thread a post in `channel` goes in, if any, or `thread_not_found`."""
        if thread_ts is None:
            return None
        parent = self.by_key.get((channel, thread_ts)) if isinstance(thread_ts, str) else None
        if parent is None or parent.thread_ts is not None or parent.ephemeral_to is not None:
            raise Refusal("thread_not_found")
        return parent.ts

    def store(self, message: SlackMessage) -> None:
        if message.channel.startswith("D"):
            self.dms.add(message.channel)
        self.messages.append(message)
        self.by_key[(message.channel, message.ts)] = message
        self.mark_changed()

    def remove(self, message: SlackMessage) -> None:
        self.messages.remove(message)
        del self.by_key[(message.channel, message.ts)]
        self.mark_changed()

    def message_payload(self, message: SlackMessage) -> dict[str, Any]:
        """`message` as the Web API and event payloads show it to an app."""
        payload: dict[str, Any] = {
            "type": "message",
            "user": message.user,
            "text": message.text,
            "ts": message.ts,
            "team": self.team_id,
        }
        if message.user == self.bot_user_id:
            payload.update(bot_id=self.bot_id, app_id=self.app_id)
        elif message.bot_id is not None:
            payload["bot_id"] = message.bot_id
        if message.blocks:
            payload["blocks"] = copy.deepcopy(message.blocks)
        if message.thread_ts is not None:
            payload["thread_ts"] = message.thread_ts
        if message.files:
            payload["files"] = [{"id": file_id} for file_id in message.files]
        return payload

    def visible_to(self, user_id: str) -> list[SlackMessage]:
        """What `user_id` sees, oldest first: the channels, their own DM, their ephemerals."""
        own_dm = self.dm_channel(user_id)
        return [
            m
            for m in self.messages
            if (m.channel in self.channels or m.channel == own_dm)
            and m.ephemeral_to in (None, user_id)
        ]

    # --- ids --------------------------------------------------------------------------

    def next_file_id(self) -> str:
        self._file_seq += 1
        return f"F{self._file_seq:010d}"

    def next_view_id(self) -> str:
        self._view_seq += 1
        return f"V{self._view_seq:08d}"

    def next_view_hash(self) -> str:
        self._hash_seq += 1
        return f"1700000000.{self._hash_seq:08d}"

    # --- following changes ------------------------------------------------------------

    @property
    def version(self) -> int:
        """Goes up with every change a person could see: a message, a view, an outage."""
        return self._version

    async def wait_changed(self, since: int, timeout: float) -> int:
        """Wait until `version` differs from `since` (at most `timeout` s); return it."""
        if self._version == since:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout)
        return self._version

    def mark_changed(self) -> None:
        """Something a person sees changed (also what a page keeps beside this fake)."""
        self._version += 1
        self._changed.set()
        self._changed = asyncio.Event()

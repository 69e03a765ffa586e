"""A local fake of the Slack Web API, for the test suite and the local sandbox.

Outpost talks to Slack through slack_sdk's ``AsyncWebClient``. Pointing that client at
this aiohttp server (``AsyncWebClient(token=..., base_url=fake.base_url)``) exercises the
real client code while the fake records every call and refuses what Slack refuses: bad
tokens, unknown channels and users, reused triggers, stale view hashes, and Block Kit
payloads over Slack's limits (see ``block_kit``). A payload Slack would reject therefore
fails in CI instead of in front of a user. Faults (5xx, 429, outages) can be injected to
exercise retry paths. A refused call never changes the fake's state.

Deliberate differences from real Slack, chosen so tests catch bugs:

- ``chat.postMessage``/``chat.postEphemeral`` with a ``thread_ts`` that is not the ts of an
  existing top-level message of that channel are refused with ``thread_not_found``; real
  Slack accepts an unknown ``thread_ts`` silently.
- A ``D…`` channel id is valid only once ``conversations.open`` returned it (or once a
  message was posted with the user's id as channel, which Slack maps to the bot's DM).
- Any unused ``trigger_id`` is accepted (the fake cannot know which ones Slack issued);
  a missing one is ``invalid_trigger_id`` and a reused one ``exchanged_trigger_id``.
- ``conversations.open`` supports 1:1 DMs only.
- Files (``files.getUploadURLExternal``, a POST of the bytes to the ``upload_url`` it gives,
  then ``files.completeUploadExternal``, as slack_sdk's ``files_upload_v2`` does): the upload
  URL points at this server. Bytes that are not exactly the ``length`` announced are refused
  with HTTP 400, and an empty file is ``invalid_arguments``; Slack's own handling of either is
  not documented. Sharing needs the bot in the channel, public or not (``not_in_channel``):
  unlike ``chat.postMessage``, Slack has no ``chat:write.public`` for files. The share is a
  message in the channel (in the thread, with ``thread_ts``) at once, where Slack shares
  asynchronously. A file is completed once; again, or never uploaded, is ``file_not_found``.

Message metadata: ``chat.postMessage`` takes ``metadata`` (``event_type`` and ``event_payload``)
and refuses a malformed one as Slack does; ``conversations.history`` returns it with
``include_all_metadata``. Reading history needs the scope for the kind of conversation
(``channels:history``, ``groups:history``, ``im:history``): the fake is given the app's scopes
(``DEFAULT_SCOPES``, those of manifest.yml, unless told otherwise) and answers ``missing_scope``
as Slack does. It also needs the bot in the channel (``not_in_channel``).

For the sandbox's page (and tests that act as a person), a trigger can be issued to a person
(``issue_trigger``): the modal it opens is that person's, on top of their stack of modals, which
``modal_of`` reads. ``response_url`` hands out a response URL served by this same server; what is
POSTed to it becomes an ephemeral message to that person (or a message in the channel for
``"response_type": "in_channel"``). ``version`` counts the changes, and ``wait_changed`` waits for
the next one, so a page can follow the workspace live.

Socket Mode (``socket_mode``): ``apps.connections.open`` takes the app-level token and hands
out a WebSocket URL on this same server; ``socket_send`` then delivers an envelope to the
connected app and returns its ack.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import mimetypes
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final, Literal, Self

from aiohttp import web

from bot.emulator.block_kit import block_kit_errors, view_errors
from bot.emulator.socket_mode import SocketModeServer

WORKSPACE_URL: Final = "https://fake.slack.test/"
SLACKBOT_USER_ID: Final = "USLACKBOT"
MAX_MESSAGE_TEXT: Final = 40_000
# Arguments Slack takes as JSON-encoded strings in form bodies.
_JSON_ARGS: Final = frozenset({"blocks", "view", "attachments", "metadata"})
_FIRST_TS_MICROS: Final = 1_700_000_000_000_100
_TS_STEP_MICROS: Final = 100
_MAX_MODAL_STACK: Final = 3  # Slack keeps at most three modals on a stack
_FORM_TYPES: Final = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
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
_EVENT_TYPE_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_.")
_MAX_HISTORY_PAGE: Final = 999
# Methods that take the app-level token (xapp-) instead of the bot token.
_APP_TOKEN_METHODS: Final = frozenset({"apps.connections.open"})

Args = dict[str, Any]
Handler = Callable[[Args], Awaitable[dict[str, Any]]]


@dataclass
class RecordedCall:
    """One API call as the fake saw it; neither `params` nor `headers` contains the token.

    `headers` are the request's headers but its Authorization header, where the token belongs.
    """

    method: str
    params: dict[str, Any]
    ok: bool
    error: str | None
    http_status: int
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class RecordedUpload:
    """The bytes POSTed to an upload URL, as received, with the headers but Authorization."""

    file_id: str
    content: bytes
    headers: dict[str, str]


@dataclass
class SlackMessage:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None
    user: str | None
    ephemeral_to: str | None = None
    updates: int = 0
    files: list[str] = field(default_factory=list)  # ids of the files this message shares
    metadata: dict[str, Any] | None = None  # {"event_type": ..., "event_payload": {...}}
    bot_id: str | None = None  # another app's bot, for a message that app posted


@dataclass
class UploadedFile:
    """A file shared by files.completeUploadExternal, once for each place it was shared.

    `channel` is None for a file completed without a channel (Slack keeps it private); `ts` is
    then None too, else the ts of the message that shares it.
    """

    id: str
    filename: str
    title: str
    content: bytes
    channel: str | None
    initial_comment: str | None
    thread_ts: str | None
    ts: str | None


@dataclass
class _Channel:
    id: str
    name: str
    bot_is_member: bool
    is_private: bool
    is_archived: bool = False


@dataclass
class _User:
    id: str
    name: str
    email: str
    tz: str
    tz_offset: int
    is_bot: bool


@dataclass
class _Upload:
    """A file between files.getUploadURLExternal and files.completeUploadExternal."""

    id: str
    filename: str
    length: int
    content: bytes | None = None
    completed: bool = False


@dataclass(frozen=True)
class _Responder:
    """Where a response URL answers: a person, in a channel, perhaps about one message."""

    user: str
    channel: str
    message_ts: str | None


@dataclass(frozen=True)
class _Fault:
    status: int
    retry_after: int = 1


@dataclass
class _Refusal(Exception):
    """Raised by handlers; becomes ``{"ok": false, "error": code}`` with HTTP 200."""

    code: str
    messages: list[str] = field(default_factory=list)
    details: dict[str, str] = field(default_factory=dict)  # beside "error", as Slack puts them

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error": self.code, **self.details}
        if self.messages:
            body["response_metadata"] = {"messages": self.messages}
        return body


class FakeSlack:
    """In-memory Slack workspace served over HTTP on 127.0.0.1."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-test-token",
        bot_user_id: str = "UOUTPOST",
        team_id: str = "T0001",
        app_token: str = "xapp-test-token",
        real_time: bool = False,
        scopes: frozenset[str] = DEFAULT_SCOPES,
    ) -> None:
        """`real_time` stamps messages with the clock (for a person reading them) instead of
        a fixed, repeatable sequence (for tests). `scopes` are the bot token's."""
        self.scopes = scopes
        self.bot_token = bot_token
        self.app_token = app_token
        self.bot_user_id = bot_user_id
        self.team_id = team_id
        self.bot_id = "B" + bot_user_id[1:]
        self.app_id = "A" + bot_user_id[1:]
        self.socket_mode = SocketModeServer(app_id=self.app_id)
        self.calls: list[RecordedCall] = []
        self.uploads: list[RecordedUpload] = []
        self.socket_acks: list[dict[str, Any]] = []
        self._channels: dict[str, _Channel] = {}
        self._users: dict[str, _User] = {}
        self._usergroups: dict[str, tuple[str, list[str]]] = {}
        self._dms: set[str] = set()
        self._messages: list[SlackMessage] = []
        self._by_key: dict[tuple[str, str], SlackMessage] = {}
        self._views: dict[str, dict[str, Any]] = {}
        self._external_ids: dict[str, str] = {}
        self._homes: dict[str, str] = {}
        self._used_triggers: set[str] = set()
        self._trigger_owners: dict[str, str] = {}
        self._modal_stacks: dict[str, list[str]] = {}  # user id -> view ids, the top last
        self._responders: dict[str, _Responder] = {}
        self._version = 0
        self._changed = asyncio.Event()
        self._uploads: dict[str, _Upload] = {}
        self._shared_files: list[UploadedFile] = []
        self._file_seq = 0
        self._ts_micros = _FIRST_TS_MICROS
        self._real_time = real_time
        self._view_seq = 0
        self._hash_seq = 0
        self._faults: deque[_Fault] = deque()
        self._down: _Fault | None = None
        self._held: dict[str, deque[float]] = {}
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._root_url: str | None = None
        self._handlers: dict[str, Handler] = {
            "apps.connections.open": self._apps_connections_open,
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.history": self._conversations_history,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "users.lookupByEmail": self._users_lookup_by_email,
            "usergroups.users.list": self._usergroups_users_list,
        }
        self.add_user(bot_user_id, name="outpost", email="outpost@fake.slack.test", is_bot=True)

    # --- lifecycle --------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._serve)
        app.router.add_post("/upload/v1/{file_id}", self._serve_upload)
        app.router.add_post("/respond/{token}", self._serve_response_url)
        self.socket_mode.install(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound_port = self._runner.addresses[0][1]
        self._root_url = f"http://{host}:{bound_port}"
        self._base_url = f"{self._root_url}/api/"
        self.socket_mode.bind(host, bound_port)
        return self._base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("FakeSlack is not started")
        return self._base_url

    # --- fixtures ---------------------------------------------------------------------

    def add_channel(
        self, channel_id: str, *, name: str, bot_is_member: bool = True, is_private: bool = False
    ) -> None:
        self._channels[channel_id] = _Channel(channel_id, name, bot_is_member, is_private)

    def archive_channel(self, channel_id: str) -> None:
        """Someone archives the channel: posts to it are refused with `is_archived` from now."""
        self._channels[channel_id].is_archived = True

    def add_user(
        self,
        user_id: str,
        *,
        name: str,
        email: str,
        tz: str = "Europe/Paris",
        tz_offset: int = 3600,
        is_bot: bool = False,
    ) -> None:
        self._users[user_id] = _User(user_id, name, email, tz, tz_offset, is_bot)

    def add_usergroup(self, group_id: str, *, handle: str, users: list[str]) -> None:
        self._usergroups[group_id] = (handle, list(users))

    def add_message(
        self,
        channel: str,
        *,
        user: str,
        text: str,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
        metadata: dict[str, Any] | None = None,
        bot_id: str | None = None,
    ) -> SlackMessage:
        """Store a message written by a person (not the bot), bypassing the API; with
        `bot_id`, one that another app posted as its bot user `user`. Either can carry
        `metadata`, as Slack lets any token post it."""
        if channel not in self._channels and not channel.startswith("D"):
            raise ValueError(f"unknown channel {channel}; add_channel() it first")
        message = SlackMessage(
            channel,
            self._next_ts(),
            text,
            blocks or [],
            thread_ts,
            user,
            metadata=_metadata(metadata),
            bot_id=bot_id,
        )
        self._store(message)
        return message

    def post_as_app(
        self,
        channel: str,
        *,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        ephemeral_to: str | None = None,
        from_slackbot: bool = False,
    ) -> SlackMessage:
        """A message Slack shows with no Web API call: an ack's text, or Slackbot's own note."""
        author = self.bot_user_id
        if from_slackbot:
            author = SLACKBOT_USER_ID
            if author not in self._users:
                self.add_user(
                    author, name="Slackbot", email="slackbot@fake.slack.test", is_bot=True
                )
        message = SlackMessage(
            channel, self._next_ts(), text, blocks or [], None, author, ephemeral_to=ephemeral_to
        )
        self._store(message)
        return message

    # --- inspection -------------------------------------------------------------------

    def calls_to(self, method: str) -> list[RecordedCall]:
        return [call for call in self.calls if call.method == method]

    def messages(self, channel: str) -> list[SlackMessage]:
        return [m for m in self._messages if m.channel == channel]

    def thread(self, channel: str, ts: str) -> list[SlackMessage]:
        return [m for m in self._messages if m.channel == channel and m.thread_ts == ts]

    def message(self, channel: str, ts: str) -> SlackMessage:
        return self._by_key[(channel, ts)]

    def views(self) -> dict[str, dict[str, Any]]:
        return copy.deepcopy(self._views)

    def close_view(self, view_id: str) -> None:
        """The user closes a modal: Slack forgets it, and updating it is `not_found`."""
        del self._views[view_id]
        for stack in self._modal_stacks.values():
            if view_id in stack:
                stack.remove(view_id)
        self.mark_changed()

    def published_home(self, user_id: str) -> dict[str, Any] | None:
        view_id = self._homes.get(user_id)
        return None if view_id is None else copy.deepcopy(self._views[view_id])

    def dm_channel(self, user_id: str) -> str:
        return "D" + user_id

    def files(self, channel: str) -> list[UploadedFile]:
        """The files shared in `channel`, oldest first."""
        return [copy.copy(f) for f in self._shared_files if f.channel == channel]

    def all_files(self) -> list[UploadedFile]:
        """Every completed file share, private ones (channel None) included, oldest first."""
        return [copy.copy(f) for f in self._shared_files]

    def users(self) -> list[tuple[str, str, bool]]:
        """(id, name, is_bot) of every member of the workspace."""
        return [(user.id, user.name, user.is_bot) for user in self._users.values()]

    def channels(self) -> list[tuple[str, str, bool]]:
        """(id, name, is_private) of every channel but DMs."""
        return [(c.id, c.name, c.is_private) for c in self._channels.values()]

    def visible_to(self, user_id: str) -> list[SlackMessage]:
        """What `user_id` sees, oldest first: the channels, their own DM, their ephemerals."""
        own_dm = self.dm_channel(user_id)
        return [
            m
            for m in self._messages
            if (m.channel in self._channels or m.channel == own_dm)
            and m.ephemeral_to in (None, user_id)
        ]

    def message_payload(self, channel: str, ts: str) -> dict[str, Any]:
        """The message as Slack puts it in a `block_actions` payload."""
        message = self._by_key[(channel, ts)]
        payload = self._message_payload(message)
        if message.ephemeral_to is not None:
            payload["is_ephemeral"] = True
        return payload

    def file(self, file_id: str) -> UploadedFile | None:
        return next((copy.copy(f) for f in self._shared_files if f.id == file_id), None)

    # --- acting as a person -----------------------------------------------------------

    def issue_trigger(self, user_id: str) -> str:
        """A trigger_id for something `user_id` just did: the modal it opens is theirs."""
        if user_id not in self._users:
            raise ValueError(f"unknown user {user_id}; add_user() them first")
        trigger = f"{self._next_ts()}.{secrets.token_hex(6)}"
        self._trigger_owners[trigger] = user_id
        return trigger

    def response_url(self, user_id: str, channel: str, *, message_ts: str | None = None) -> str:
        """A response URL for what `user_id` did in `channel` (on the message `message_ts`)."""
        if self._root_url is None:
            raise RuntimeError("FakeSlack is not started")
        token = secrets.token_urlsafe(12)
        self._responders[token] = _Responder(user_id, channel, message_ts)
        return f"{self._root_url}/respond/{token}"

    def modal_of(self, user_id: str) -> dict[str, Any] | None:
        """The modal `user_id` has in front of them (the top of their stack), if any."""
        stack = self._modal_stacks.get(user_id)
        return copy.deepcopy(self._views[stack[-1]]) if stack else None

    def close_modals(self, user_id: str) -> None:
        """Every modal of `user_id` closes, as after ``"response_action": "clear"``."""
        for view_id in list(self._modal_stacks.get(user_id, [])):
            self.close_view(view_id)

    def replace_view(self, view_id: str, view: dict[str, Any]) -> list[str]:
        """``"response_action": "update"``: the errors Slack would show, else [] once replaced."""
        if view_id not in self._views:
            return ["[ERROR] the view is closed"]
        errors = view_errors(view) if isinstance(view, dict) else ["[ERROR] must be a view"]
        if not errors:
            self._save_view(view, view_id=view_id)
        return errors

    def push_view(self, user_id: str, view: dict[str, Any]) -> list[str]:
        """``"response_action": "push"``: the errors Slack would show, else [] once pushed."""
        errors = view_errors(view) if isinstance(view, dict) else ["[ERROR] must be a view"]
        stack = self._modal_stacks.get(user_id, [])
        if not errors and len(stack) >= _MAX_MODAL_STACK:
            errors = ["[ERROR] push_limit_reached"]
        if not errors:
            saved = self._save_view(view, view_id=None)
            self._modal_stacks.setdefault(user_id, []).append(saved["id"])
        return errors

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

    # --- Socket Mode ------------------------------------------------------------------

    @property
    def socket_connected(self) -> bool:
        """Whether an app holds a Socket Mode connection right now."""
        return self.socket_mode.connected

    async def wait_socket_connected(self, timeout: float = 5.0) -> None:
        await self.socket_mode.wait_connected(timeout)

    async def socket_send(
        self,
        kind: Literal["slash_commands", "interactive", "events_api"],
        payload: dict[str, Any],
        *,
        timeout: float = 5.0,
    ) -> dict[str, Any]:
        """Deliver `payload` over the socket as Slack would and return the app's ack,
        ``{"envelope_id": ..., "payload": ...}`` (no ``payload`` for a bare ack).

        Every ack is also kept in ``socket_acks``."""
        ack = await self.socket_mode.send(kind, payload, timeout=timeout)
        self.socket_acks.append(ack)
        return ack

    # --- fault injection --------------------------------------------------------------

    def fail_next(self, count: int, *, status: int = 503) -> None:
        self._faults.extend(_Fault(status) for _ in range(count))

    def rate_limit_next(self, count: int, *, retry_after: int = 1) -> None:
        self._faults.extend(_Fault(429, retry_after) for _ in range(count))

    def hold_next_answer(self, method: str, seconds: float) -> None:
        """The next call of `method` that succeeds is acted on at once, but its answer is held
        `seconds`: the caller may be gone before it knows that Slack has done it."""
        self._held.setdefault(method, deque()).append(seconds)

    def set_down(self, down: bool, *, status: int = 503) -> None:
        self._down = _Fault(status) if down else None
        self.mark_changed()

    @property
    def is_down(self) -> bool:
        return self._down is not None

    # --- HTTP plumbing ----------------------------------------------------------------

    async def _serve(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        headers = _headers_but_auth(request)
        try:
            args = await _read_args(request)
        except _Refusal as refusal:
            return self._reply(method, {}, refusal.body(), headers)
        token = _bearer_token(request) or args.pop("token", None)
        args.pop("token", None)
        fault = self._down or (self._faults.popleft() if self._faults else None)
        if fault is not None:
            return self._fault_reply(method, args, fault, headers)
        try:
            handler = self._handlers.get(method)
            if handler is None:
                raise _Refusal("unknown_method")
            self._authenticate(token, app_level=method in _APP_TOKEN_METHODS)
            body = {"ok": True, **await handler(args)}
        except _Refusal as refusal:
            body = refusal.body()
        held = self._held.get(method)
        if held and body["ok"]:
            await asyncio.sleep(held.popleft())
        return self._reply(method, args, body, headers)

    def _reply(
        self, method: str, args: Args, body: dict[str, Any], headers: dict[str, str]
    ) -> web.Response:
        self.calls.append(RecordedCall(method, args, body["ok"], body.get("error"), 200, headers))
        return web.json_response(body)

    def _fault_reply(
        self, method: str, args: Args, fault: _Fault, headers: dict[str, str]
    ) -> web.Response:
        if fault.status == 429:
            self.calls.append(RecordedCall(method, args, False, "ratelimited", 429, headers))
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(fault.retry_after)},
            )
        # Slack's edge answers outages with an HTML page, not the API's JSON envelope.
        self.calls.append(
            RecordedCall(method, args, False, f"http_{fault.status}", fault.status, headers)
        )
        return web.Response(
            status=fault.status,
            text=f"<html><body><h1>{fault.status}</h1></body></html>",
            content_type="text/html",
        )

    async def _serve_upload(self, request: web.Request) -> web.Response:
        """The upload URL: takes the bytes raw or as a multipart form, as Slack's does."""
        if self._down is not None:
            return web.Response(status=self._down.status, text=f"{self._down.status}")
        upload = self._uploads.get(request.match_info["file_id"])
        if upload is None or upload.completed:
            return web.Response(status=404, text="upload not found")
        content = await _upload_content(request)
        self.uploads.append(RecordedUpload(upload.id, content or b"", _headers_but_auth(request)))
        if content is None or len(content) != upload.length:
            received = "no file" if content is None else f"{len(content)} bytes"
            return web.Response(
                status=400, text=f"expected {upload.length} bytes, received {received}"
            )
        upload.content = content
        return web.Response(text=f"OK - {len(content)}")

    async def _serve_response_url(self, request: web.Request) -> web.Response:
        """A response URL: a message for the person who acted, or for the channel."""
        if self._down is not None:
            return web.Response(status=self._down.status, text=f"{self._down.status}")
        responder = self._responders.get(request.match_info["token"])
        if responder is None:
            return web.Response(status=404, text="expired_url")
        try:
            body = json.loads(await request.text())
        except ValueError:
            return web.Response(status=400, text="invalid_payload")
        if not isinstance(body, dict):
            return web.Response(status=400, text="invalid_payload")
        original = (
            self._by_key.get((responder.channel, responder.message_ts))
            if responder.message_ts
            else None
        )
        if body.get("delete_original") and original is not None:
            self._messages.remove(original)
            del self._by_key[(original.channel, original.ts)]
            self.mark_changed()
            return web.Response(text="ok")
        try:
            text, blocks = _message_content(body)
        except _Refusal as refusal:
            return web.Response(status=400, text=refusal.code)
        if body.get("replace_original") and original is not None:
            original.text = text or ""
            original.blocks = blocks or []
            original.updates += 1
            self.mark_changed()
            return web.Response(text="ok")
        in_channel = body.get("response_type") == "in_channel"
        thread_ts = body.get("thread_ts") if isinstance(body.get("thread_ts"), str) else None
        if thread_ts is not None and (responder.channel, thread_ts) not in self._by_key:
            thread_ts = None
        self._store(
            SlackMessage(
                responder.channel,
                self._next_ts(),
                text or "",
                blocks or [],
                thread_ts,
                self.bot_user_id,
                ephemeral_to=None if in_channel else responder.user,
            )
        )
        return web.Response(text="ok")

    def _authenticate(self, token: Any, *, app_level: bool = False) -> None:
        if not token:
            raise _Refusal("not_authed")
        if token == (self.bot_token if app_level else self.app_token):
            raise _Refusal("not_allowed_token_type")
        if token != (self.app_token if app_level else self.bot_token):
            raise _Refusal("invalid_auth")

    # --- shared rules -----------------------------------------------------------------

    def _next_ts(self) -> str:
        micros = self._ts_micros
        if self._real_time:
            micros = max(micros, time.time_ns() // 1000)
        self._ts_micros = micros + _TS_STEP_MICROS
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _resolve_channel(self, channel: Any) -> str:
        """Return the id a post to `channel` lands in, or refuse as Slack would."""
        if not isinstance(channel, str) or not channel:
            raise _Refusal("channel_not_found")
        if channel in self._dms:
            return channel
        if channel in self._users:
            return self.dm_channel(channel)
        found = self._channels.get(channel) or self._channel_named(channel.removeprefix("#"))
        if found is None:
            raise _Refusal("channel_not_found")
        if found.is_private and not found.bot_is_member:
            raise _Refusal("not_in_channel")
        if found.is_archived:
            raise _Refusal("is_archived")
        return found.id

    def _channel_named(self, name: str) -> _Channel | None:
        return next((c for c in self._channels.values() if c.name == name), None)

    def _check_thread(self, channel: str, thread_ts: Any) -> str | None:
        if thread_ts is None:
            return None
        parent = self._by_key.get((channel, thread_ts)) if isinstance(thread_ts, str) else None
        if parent is None or parent.thread_ts is not None or parent.ephemeral_to is not None:
            raise _Refusal("thread_not_found")
        return parent.ts

    def _store(self, message: SlackMessage) -> None:
        if message.channel.startswith("D"):
            self._dms.add(message.channel)
        self._messages.append(message)
        self._by_key[(message.channel, message.ts)] = message
        self.mark_changed()

    def _user(self, user_id: Any, error: str = "user_not_found") -> _User:
        user = self._users.get(user_id) if isinstance(user_id, str) else None
        if user is None:
            raise _Refusal(error)
        return user

    def _message_payload(self, message: SlackMessage) -> dict[str, Any]:
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

    def _need_scope(self, scope: str) -> None:
        if scope not in self.scopes:
            raise _Refusal(
                "missing_scope",
                details={"needed": scope, "provided": ",".join(sorted(self.scopes))},
            )

    # --- auth / users -----------------------------------------------------------------

    async def _auth_test(self, args: Args) -> dict[str, Any]:
        return {
            "url": WORKSPACE_URL,
            "team": "Fake Workspace",
            "user": self._users[self.bot_user_id].name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    async def _apps_connections_open(self, args: Args) -> dict[str, Any]:
        return {"url": self.socket_mode.issue_url()}

    async def _users_info(self, args: Args) -> dict[str, Any]:
        return {"user": _user_payload(self._user(args.get("user")), self.team_id)}

    async def _users_lookup_by_email(self, args: Args) -> dict[str, Any]:
        email = args.get("email")
        wanted = email.casefold() if isinstance(email, str) else None
        for user in self._users.values():
            if user.email.casefold() == wanted:
                return {"user": _user_payload(user, self.team_id)}
        raise _Refusal("users_not_found")

    async def _usergroups_users_list(self, args: Args) -> dict[str, Any]:
        group = self._usergroups.get(_str_arg(args, "usergroup") or "")
        if group is None:
            raise _Refusal("no_such_subteam")
        return {"users": list(group[1])}

    async def _conversations_info(self, args: Args) -> dict[str, Any]:
        channel = self._channels.get(_str_arg(args, "channel") or "")
        # Slack does not show a private channel to someone outside it.
        if channel is None or (channel.is_private and not channel.bot_is_member):
            raise _Refusal("channel_not_found")
        return {
            "channel": {
                "id": channel.id,
                "name": channel.name,
                "is_private": channel.is_private,
                "is_member": channel.bot_is_member,
                "is_archived": channel.is_archived,
            }
        }

    async def _conversations_history(self, args: Args) -> dict[str, Any]:
        """Top-level messages of a conversation, newest first, one page of `limit` (default
        100) older than `cursor`; metadata only with `include_all_metadata`."""
        channel_id = _str_arg(args, "channel") or ""
        channel = self._channels.get(channel_id)
        if channel_id in self._dms:
            self._need_scope("im:history")
        elif channel is None or (channel.is_private and not channel.bot_is_member):
            raise _Refusal("channel_not_found")
        else:
            self._need_scope("groups:history" if channel.is_private else "channels:history")
            if not channel.bot_is_member:
                raise _Refusal("not_in_channel")
        limit = _positive_int(args.get("limit", 100))
        if limit is None:
            raise _Refusal("invalid_limit")
        limit = min(limit, _MAX_HISTORY_PAGE)
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        newest_first = [
            m
            for m in reversed(self._messages)
            if m.channel == channel_id and m.thread_ts is None and m.ephemeral_to is None
        ]
        cursor = _str_arg(args, "cursor")
        if cursor is not None:
            newest_first = [m for m in newest_first if float(m.ts) < float(cursor)]
        page = newest_first[:limit]
        messages = []
        for message in page:
            payload = self._message_payload(message)
            if with_metadata and message.metadata is not None:
                payload["metadata"] = copy.deepcopy(message.metadata)
            messages.append(payload)
        more = len(newest_first) > limit
        return {
            "messages": messages,
            "has_more": more,
            "response_metadata": {"next_cursor": page[-1].ts if more else ""},
        }

    async def _conversations_open(self, args: Args) -> dict[str, Any]:
        users = args.get("users")
        if isinstance(users, str):
            users = [u for u in users.split(",") if u]
        if not users:
            channel = _str_arg(args, "channel")
            if channel in self._dms:
                return {"no_op": True, "already_open": True, "channel": {"id": channel}}
            raise _Refusal("channel_not_found" if channel else "users_list_not_supplied")
        if not isinstance(users, list) or len(users) != 1:
            raise _Refusal("invalid_arguments", ["[ERROR] the fake supports 1:1 DMs only"])
        user = self._user(users[0])
        channel_id = self.dm_channel(user.id)
        already_open = channel_id in self._dms
        self._dms.add(channel_id)
        opened: dict[str, Any] = {"channel": {"id": channel_id}}
        if already_open:
            opened.update(no_op=True, already_open=True)
        return opened

    # --- chat -------------------------------------------------------------------------

    async def _chat_post_message(self, args: Args) -> dict[str, Any]:
        channel = self._resolve_channel(args.get("channel"))
        text, blocks = _message_content(args)
        metadata = _metadata(args.get("metadata"))
        thread_ts = self._check_thread(channel, args.get("thread_ts"))
        message = SlackMessage(
            channel,
            self._next_ts(),
            text or "",
            blocks or [],
            thread_ts,
            self.bot_user_id,
            metadata=metadata,
        )
        self._store(message)
        return {"channel": channel, "ts": message.ts, "message": self._message_payload(message)}

    async def _chat_post_ephemeral(self, args: Args) -> dict[str, Any]:
        channel = self._resolve_channel(args.get("channel"))
        user = self._user(args.get("user"))
        text, blocks = _message_content(args)
        thread_ts = self._check_thread(channel, args.get("thread_ts"))
        message = SlackMessage(
            channel,
            self._next_ts(),
            text or "",
            blocks or [],
            thread_ts,
            self.bot_user_id,
            ephemeral_to=user.id,
        )
        self._store(message)
        return {"message_ts": message.ts}

    async def _chat_update(self, args: Args) -> dict[str, Any]:
        channel = self._resolve_channel(args.get("channel"))
        message = self._by_key.get((channel, _str_arg(args, "ts") or ""))
        if message is None or message.ephemeral_to is not None:
            raise _Refusal("message_not_found")
        if message.user != self.bot_user_id:
            raise _Refusal("cant_update_message")
        text, blocks = _message_content(args)
        if text is not None:
            message.text = text
        if blocks is not None:
            message.blocks = blocks
        message.updates += 1
        self.mark_changed()
        return {
            "channel": channel,
            "ts": message.ts,
            "text": message.text,
            "message": self._message_payload(message),
        }

    async def _chat_get_permalink(self, args: Args) -> dict[str, Any]:
        channel = self._resolve_channel(args.get("channel"))
        message = self._by_key.get((channel, _str_arg(args, "message_ts") or ""))
        if message is None or message.ephemeral_to is not None:
            raise _Refusal("message_not_found")
        permalink = f"{WORKSPACE_URL}archives/{channel}/p{message.ts.replace('.', '')}"
        if message.thread_ts is not None:
            permalink += f"?thread_ts={message.thread_ts}&cid={channel}"
        return {"channel": channel, "permalink": permalink}

    # --- files ------------------------------------------------------------------------

    async def _files_get_upload_url_external(self, args: Args) -> dict[str, Any]:
        filename = _str_arg(args, "filename")
        if filename is None:
            raise _Refusal(
                "invalid_arguments",
                ["[ERROR] missing required field: filename [json-pointer:/filename]"],
            )
        length = _positive_int(args.get("length"))
        if length is None:
            raise _Refusal(
                "invalid_arguments",
                ["[ERROR] length must be a whole number of bytes above 0 [json-pointer:/length]"],
            )
        self._file_seq += 1
        file_id = f"F{self._file_seq:010d}"
        self._uploads[file_id] = _Upload(file_id, filename, length)
        assert self._root_url is not None, "a call is served only once started"
        return {"upload_url": f"{self._root_url}/upload/v1/{file_id}", "file_id": file_id}

    async def _files_complete_upload_external(self, args: Args) -> dict[str, Any]:
        wanted = _files_arg(args.get("files"))
        uploads: list[tuple[_Upload, str]] = []
        for item in wanted:
            upload = self._uploads.get(item["id"])
            if upload is None or upload.completed or upload.content is None:
                raise _Refusal("file_not_found")
            uploads.append((upload, item.get("title") or upload.filename))
        if len({upload.id for upload, _ in uploads}) != len(uploads):
            raise _Refusal("invalid_arguments", ["[ERROR] a file id is given twice"])
        channels = self._share_channels(args)
        thread_ts = args.get("thread_ts")
        if thread_ts is not None and len(channels) != 1:
            raise _Refusal("invalid_arguments", ["[ERROR] thread_ts needs exactly one channel"])
        threads = [self._check_thread(channel, thread_ts) for channel in channels]
        comment = args.get("initial_comment")
        if comment is not None and not isinstance(comment, str):
            raise _Refusal(
                "invalid_arguments", ["[ERROR] must be a string [json-pointer:/initial_comment]"]
            )
        if comment is not None and len(comment) > MAX_MESSAGE_TEXT:
            raise _Refusal("msg_too_long")
        blocks = args.get("blocks")
        if comment or blocks is None:
            blocks = None
        else:
            _, blocks = _message_content({"blocks": blocks})

        # Where each file lands: (channel, thread_ts, ts of the sharing message).
        places: list[tuple[str | None, str | None, str | None]] = []
        for channel, thread in zip(channels, threads, strict=True):
            message = SlackMessage(
                channel,
                self._next_ts(),
                comment or "",
                blocks or [],
                thread,
                self.bot_user_id,
                files=[upload.id for upload, _ in uploads],
            )
            self._store(message)
            places.append((channel, thread, message.ts))
        if not places:
            places.append((None, None, None))
        payloads: list[dict[str, Any]] = []
        for upload, title in uploads:
            upload.completed = True
            content = upload.content or b""
            shared = [
                UploadedFile(
                    upload.id, upload.filename, title, content, channel, comment, thread, ts
                )
                for channel, thread, ts in places
            ]
            self._shared_files.extend(shared)
            payloads.append(self._file_payload(shared))
        return {"files": payloads}

    def _share_channels(self, args: Args) -> list[str]:
        """Where a completed upload is shared: `channel_id`, or the `channels` list."""
        named: list[Any] = []
        if args.get("channel_id") is not None:
            named.append(args["channel_id"])
        channels = args.get("channels")
        if isinstance(channels, str):
            named.extend(c for c in channels.split(",") if c)
        elif channels is not None:
            raise _Refusal(
                "invalid_arguments", ["[ERROR] must be a string [json-pointer:/channels]"]
            )
        resolved: list[str] = []
        for channel in named:
            found = self._resolve_channel(channel)
            member = self._channels.get(found)
            if member is not None and not member.bot_is_member:
                raise _Refusal("not_in_channel")
            if found not in resolved:
                resolved.append(found)
        return resolved

    def _file_payload(self, shares: list[UploadedFile]) -> dict[str, Any]:
        first = shares[0]
        mimetype = mimetypes.guess_type(first.filename)[0] or "application/octet-stream"
        extension = first.filename.rpartition(".")[2].lower() if "." in first.filename else ""
        public: dict[str, list[dict[str, Any]]] = {}
        private: dict[str, list[dict[str, Any]]] = {}
        for share in shares:
            if share.channel is None or share.ts is None:
                continue
            channel = self._channels.get(share.channel)
            where = private if channel is None or channel.is_private else public
            entry: dict[str, Any] = {"ts": share.ts, "reply_count": 0, "reply_users": []}
            if share.thread_ts is not None:
                entry["thread_ts"] = share.thread_ts
            if channel is not None:
                entry["channel_name"] = channel.name
            entry["team_id"] = self.team_id
            where.setdefault(share.channel, []).append(entry)
        payload: dict[str, Any] = {
            "id": first.id,
            "name": first.filename,
            "title": first.title,
            "mimetype": mimetype,
            "filetype": extension or "binary",
            "user": self.bot_user_id,
            "user_team": self.team_id,
            "size": len(first.content),
            "is_public": bool(public),
            "channels": sorted(public),
            "groups": sorted(c for c in private if not c.startswith("D")),
            "ims": sorted(c for c in private if c.startswith("D")),
            "shares": {},
            "permalink": f"{WORKSPACE_URL}files/{self.bot_user_id}/{first.id}/{first.filename}",
        }
        if public:
            payload["shares"]["public"] = public
        if private:
            payload["shares"]["private"] = private
        return payload

    # --- views ------------------------------------------------------------------------

    async def _views_open(self, args: Args) -> dict[str, Any]:
        return await self._open_modal(args, push=False)

    async def _views_push(self, args: Args) -> dict[str, Any]:
        return await self._open_modal(args, push=True)

    async def _open_modal(self, args: Args, *, push: bool) -> dict[str, Any]:
        """views.open and views.push: both exchange a fresh trigger for a modal.

        Opened, the modal is its person's only one; pushed, it goes on top of their stack.
        """
        trigger_id = args.get("trigger_id")
        if not isinstance(trigger_id, str) or not trigger_id:
            raise _Refusal("invalid_trigger_id")
        if trigger_id in self._used_triggers:
            raise _Refusal("exchanged_trigger_id")
        view = _valid_view(args, kind="modal")
        self._check_external_id(view, view_id=None)
        owner = self._trigger_owners.get(trigger_id)
        stack = self._modal_stacks.get(owner, []) if owner is not None else []
        if push and len(stack) >= _MAX_MODAL_STACK:
            raise _Refusal("push_limit_reached")
        self._used_triggers.add(trigger_id)
        self._trigger_owners.pop(trigger_id, None)
        saved = self._save_view(view, view_id=None)
        if owner is not None:
            if not push:
                for view_id in stack:
                    self._views.pop(view_id, None)
                stack = []
            self._modal_stacks[owner] = [*stack, saved["id"]]
        return {"view": saved}

    async def _views_update(self, args: Args) -> dict[str, Any]:
        current = self._view_to_update(args)
        self._check_hash(args, current)
        view = _valid_view(args, kind=current["type"])
        self._check_external_id(view, view_id=current["id"])
        return {"view": self._save_view(view, view_id=current["id"])}

    async def _views_publish(self, args: Args) -> dict[str, Any]:
        user = self._user(args.get("user_id"), error="invalid_arguments")
        view = _valid_view(args, kind="home")
        current_id = self._homes.get(user.id)
        if current_id is not None:
            self._check_hash(args, self._views[current_id])
        self._check_external_id(view, view_id=current_id)
        saved = self._save_view(view, view_id=current_id)
        self._homes[user.id] = saved["id"]
        return {"view": saved}

    def _view_to_update(self, args: Args) -> dict[str, Any]:
        view_id, external_id = _str_arg(args, "view_id"), _str_arg(args, "external_id")
        if view_id is None and external_id is None:
            raise _Refusal(
                "invalid_arguments",
                ["[ERROR] either view_id or external_id is required [json-pointer:/view_id]"],
            )
        if view_id is None:
            view_id = self._external_ids.get(external_id or "")
        current = self._views.get(view_id or "")
        if current is None:
            raise _Refusal("not_found")
        return current

    def _check_hash(self, args: Args, current: dict[str, Any]) -> None:
        expected = args.get("hash")
        if expected is not None and expected != current["hash"]:
            raise _Refusal("hash_conflict")

    def _check_external_id(self, view: dict[str, Any], *, view_id: str | None) -> None:
        external_id = view.get("external_id")
        owner = self._external_ids.get(external_id) if external_id else None
        if owner is not None and owner != view_id:
            raise _Refusal("duplicate_external_id")

    def _save_view(self, view: dict[str, Any], *, view_id: str | None) -> dict[str, Any]:
        if view_id is None:
            self._view_seq += 1
            view_id = f"V{self._view_seq:08d}"
        previous = self._views.get(view_id, {})
        self._hash_seq += 1
        stored = copy.deepcopy(view)
        stored.setdefault("external_id", "")
        stored.setdefault("callback_id", "")
        stored.setdefault("private_metadata", "")
        stored.update(
            id=view_id,
            team_id=self.team_id,
            hash=f"1700000000.{self._hash_seq:08d}",
            state={"values": {}},
            root_view_id=previous.get("root_view_id", view_id),
            previous_view_id=previous.get("previous_view_id"),
            app_id=self.app_id,
            bot_id=self.bot_id,
        )
        if previous.get("external_id"):
            self._external_ids.pop(previous["external_id"], None)
        if stored["external_id"]:
            self._external_ids[stored["external_id"]] = view_id
        self._views[view_id] = stored
        self.mark_changed()
        return copy.deepcopy(stored)


# --- request parsing and payload helpers (no state) -----------------------------------


async def _read_args(request: web.Request) -> Args:
    """Merge query-string and body arguments the way Slack accepts them."""
    args: Args = {key: request.query[key] for key in request.query}
    if request.method == "POST" and request.can_read_body:
        args.update(await _read_body(request))
    for name in _JSON_ARGS & args.keys():
        # Undecodable values stay strings; the handler then refuses them as Slack would.
        if isinstance(args[name], str):
            with contextlib.suppress(ValueError):
                args[name] = json.loads(args[name])
    return args


async def _read_body(request: web.Request) -> Args:
    if request.content_type == "application/json":
        try:
            body = json.loads(await request.text())
        except ValueError:
            raise _Refusal("invalid_json") from None
        if not isinstance(body, dict):
            raise _Refusal("invalid_json")
        return body
    if request.content_type in _FORM_TYPES:
        form = await request.post()
        return {key: value for key, value in form.items() if isinstance(value, str)}
    raise _Refusal("invalid_post_type")


async def _upload_content(request: web.Request) -> bytes | None:
    """The bytes POSTed to an upload URL: the raw body, or the first file of a form."""
    if request.content_type != "multipart/form-data":
        return await request.read()
    form = await request.post()
    for value in form.values():
        if isinstance(value, web.FileField):
            return value.file.read()
    return None


def _positive_int(value: Any) -> int | None:
    """A whole number above 0, given as a number or as its decimal string; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    return value if isinstance(value, int) and value > 0 else None


def _files_arg(value: Any) -> list[dict[str, str]]:
    """files.completeUploadExternal's `files`: a JSON list of {"id", "title"?} objects."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise _Refusal("invalid_arguments", ["[ERROR] files must be a JSON array"]) from None
    if not isinstance(value, list) or not value:
        raise _Refusal("invalid_arguments", ["[ERROR] missing required field: files"])
    files: list[dict[str, str]] = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise _Refusal(
                "invalid_arguments", ["[ERROR] each file needs an id [json-pointer:/files]"]
            )
        title = item.get("title")
        if title is not None and not isinstance(title, str):
            raise _Refusal(
                "invalid_arguments", ["[ERROR] title must be a string [json-pointer:/files]"]
            )
        files.append({k: v for k, v in item.items() if k in ("id", "title") and isinstance(v, str)})
    return files


def _headers_but_auth(request: web.Request) -> dict[str, str]:
    return {k: v for k, v in request.headers.items() if k.lower() != "authorization"}


def _bearer_token(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _str_arg(args: Args, name: str) -> str | None:
    """A non-empty string argument, or None (Slack treats other JSON types as absent)."""
    value = args.get(name)
    return value if isinstance(value, str) and value else None


def _message_content(args: Args) -> tuple[str | None, list[dict[str, Any]] | None]:
    """Validate text/blocks of a chat.* call; None means the argument was not given."""
    text, blocks = args.get("text"), args.get("blocks")
    if text is not None and not isinstance(text, str):
        raise _Refusal("invalid_arguments", ["[ERROR] must be a string [json-pointer:/text]"])
    if blocks is not None and not isinstance(blocks, list):
        raise _Refusal("invalid_blocks_format")
    if not text and not blocks and not args.get("attachments"):
        raise _Refusal("no_text")
    if text is not None and len(text) > MAX_MESSAGE_TEXT:
        raise _Refusal("msg_too_long")
    if blocks:
        errors = block_kit_errors(blocks, surface="message")
        if errors:
            raise _Refusal("invalid_blocks", errors)
    return text, copy.deepcopy(blocks)


def _metadata(value: Any) -> dict[str, Any] | None:
    """A message's `metadata`, checked as Slack checks it: an `event_type` of lower-case
    letters, digits, dots and underscores, and an `event_payload` object."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _Refusal("invalid_metadata_format")
    event_type, payload = value.get("event_type"), value.get("event_payload")
    if (
        not isinstance(event_type, str)
        or not event_type
        or not set(event_type) <= _EVENT_TYPE_CHARS
        or not isinstance(payload, dict)
    ):
        raise _Refusal("invalid_metadata_schema")
    return {"event_type": event_type, "event_payload": copy.deepcopy(payload)}


def _valid_view(args: Args, *, kind: str) -> dict[str, Any]:
    view = args.get("view")
    if not isinstance(view, dict):
        raise _Refusal("invalid_arguments", ["[ERROR] missing required field: view"])
    errors = view_errors(view)
    if not errors and view["type"] != kind:
        errors = [f"[ERROR] must be {kind} for this method [json-pointer:/view/type]"]
    if errors:
        raise _Refusal("invalid_arguments", errors)
    return view


def _user_payload(user: _User, team_id: str) -> dict[str, Any]:
    return {
        "id": user.id,
        "team_id": team_id,
        "name": user.name,
        "real_name": user.name,
        "tz": user.tz,
        "tz_offset": user.tz_offset,
        "is_bot": user.is_bot,
        "deleted": False,
        "profile": {
            "email": user.email,
            "display_name": user.name,
            "real_name": user.name,
        },
    }

"""``FakeSlack``: the one object tests and the sandbox hold, a whole fake Slack in one place.

It puts the workspace, the API areas and the server together, and is what a test talks to:
set the workspace up (channels, people, groups), act as a person or as Slack itself (a message,
a trigger, a response URL, a Socket Mode envelope), read what happened (messages, views, files,
recorded calls), and inject faults. Each of these it hands to the module that owns it.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Literal, Self

from bot.emulator.slack.auth import Auth
from bot.emulator.slack.chat import RESPONSE_URL_PATH, Chat
from bot.emulator.slack.conversations import Conversations
from bot.emulator.slack.files import UPLOAD_PATH, Files
from bot.emulator.slack.model import (
    RecordedCall,
    RecordedUpload,
    SlackMessage,
    UploadedFile,
    User,
)
from bot.emulator.slack.people import People
from bot.emulator.slack.refusals import valid_metadata
from bot.emulator.slack.server import SlackServer
from bot.emulator.slack.socket_mode import SocketModeServer
from bot.emulator.slack.views import Views
from bot.emulator.slack.workspace import DEFAULT_SCOPES, SLACKBOT_USER_ID, Workspace


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
        self.workspace = Workspace(
            bot_token=bot_token,
            bot_user_id=bot_user_id,
            team_id=team_id,
            app_token=app_token,
            real_time=real_time,
            scopes=scopes,
        )
        self.socket_mode = SocketModeServer(app_id=self.workspace.app_id)
        self._chat = Chat(self.workspace)
        self._people = People(self.workspace)
        self._files = Files(self.workspace)
        self._views = Views(self.workspace)
        auth = Auth(self.workspace)
        conversations = Conversations(self.workspace)
        self._server = SlackServer(
            self.workspace,
            auth=auth,
            areas=[auth, self._chat, conversations, self._people, self._files, self._views],
            endpoints={
                UPLOAD_PATH: self._files.serve_upload,
                RESPONSE_URL_PATH: self._chat.serve_response_url,
            },
            socket_mode=self.socket_mode,
        )
        self.add_user(bot_user_id, name="outpost", email="outpost@fake.slack.test", is_bot=True)

    # --- who the app is, and what was recorded ----------------------------------------

    @property
    def bot_token(self) -> str:
        return self.workspace.bot_token

    @property
    def app_token(self) -> str:
        return self.workspace.app_token

    @property
    def bot_user_id(self) -> str:
        return self.workspace.bot_user_id

    @property
    def team_id(self) -> str:
        return self.workspace.team_id

    @property
    def bot_id(self) -> str:
        return self.workspace.bot_id

    @property
    def app_id(self) -> str:
        return self.workspace.app_id

    @property
    def scopes(self) -> frozenset[str]:
        """The bot token's scopes; a test may take some away."""
        return self.workspace.scopes

    @scopes.setter
    def scopes(self, scopes: frozenset[str]) -> None:
        self.workspace.scopes = scopes

    @property
    def calls(self) -> list[RecordedCall]:
        """Every Web API call, in order; a test may put a list of its own in its place."""
        return self.workspace.calls

    @calls.setter
    def calls(self, calls: list[RecordedCall]) -> None:
        self.workspace.calls = calls

    @property
    def uploads(self) -> list[RecordedUpload]:
        return self.workspace.uploads

    @property
    def socket_acks(self) -> list[dict[str, Any]]:
        """Every ack ``socket_send`` received, in order."""
        return self.workspace.socket_acks

    # --- lifecycle --------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        return await self._server.start(host, port)

    async def stop(self) -> None:
        await self._server.stop()

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
        return self._server.base_url

    # --- fixtures ---------------------------------------------------------------------

    def add_channel(
        self, channel_id: str, *, name: str, bot_is_member: bool = True, is_private: bool = False
    ) -> None:
        self.workspace.add_channel(
            channel_id, name=name, bot_is_member=bot_is_member, is_private=is_private
        )

    def archive_channel(self, channel_id: str) -> None:
        """Someone archives the channel: posts to it are refused with `is_archived` from now."""
        self.workspace.channels[channel_id].is_archived = True

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
        self.workspace.add_user(User(user_id, name, email, tz, tz_offset, is_bot))

    def add_usergroup(self, group_id: str, *, handle: str, users: list[str]) -> None:
        self._people.add_usergroup(group_id, handle=handle, users=users)

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
        ws = self.workspace
        if channel not in ws.channels and not channel.startswith("D"):
            raise ValueError(f"unknown channel {channel}; add_channel() it first")
        message = SlackMessage(
            channel,
            ws.next_ts(),
            text,
            blocks or [],
            thread_ts,
            user,
            metadata=valid_metadata(metadata),
            bot_id=bot_id,
        )
        ws.store(message)
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
        ws = self.workspace
        author = ws.bot_user_id
        if from_slackbot:
            author = SLACKBOT_USER_ID
            if author not in ws.users:
                self.add_user(
                    author, name="Slackbot", email="slackbot@fake.slack.test", is_bot=True
                )
        message = SlackMessage(
            channel, ws.next_ts(), text, blocks or [], None, author, ephemeral_to=ephemeral_to
        )
        ws.store(message)
        return message

    # --- inspection -------------------------------------------------------------------

    def calls_to(self, method: str) -> list[RecordedCall]:
        return [call for call in self.calls if call.method == method]

    def messages(self, channel: str) -> list[SlackMessage]:
        return [m for m in self.workspace.messages if m.channel == channel]

    def thread(self, channel: str, ts: str) -> list[SlackMessage]:
        return [m for m in self.workspace.messages if m.channel == channel and m.thread_ts == ts]

    def message(self, channel: str, ts: str) -> SlackMessage:
        return self.workspace.by_key[(channel, ts)]

    def message_payload(self, channel: str, ts: str) -> dict[str, Any]:
        """The message as Slack puts it in a `block_actions` payload."""
        return self._chat.message_payload(channel, ts)

    def visible_to(self, user_id: str) -> list[SlackMessage]:
        """What `user_id` sees, oldest first: the channels, their own DM, their ephemerals."""
        return self.workspace.visible_to(user_id)

    def dm_channel(self, user_id: str) -> str:
        return self.workspace.dm_channel(user_id)

    def users(self) -> list[tuple[str, str, bool]]:
        """(id, name, is_bot) of every member of the workspace."""
        return [(user.id, user.name, user.is_bot) for user in self.workspace.users.values()]

    def channels(self) -> list[tuple[str, str, bool]]:
        """(id, name, is_private) of every channel but DMs."""
        return [(c.id, c.name, c.is_private) for c in self.workspace.channels.values()]

    def views(self) -> dict[str, dict[str, Any]]:
        return self._views.all_views()

    def published_home(self, user_id: str) -> dict[str, Any] | None:
        return self._views.published_home(user_id)

    def files(self, channel: str) -> list[UploadedFile]:
        """The files shared in `channel`, oldest first."""
        return self._files.shared_in(channel)

    def all_files(self) -> list[UploadedFile]:
        """Every completed file share, private ones (channel None) included, oldest first."""
        return self._files.shared()

    def file(self, file_id: str) -> UploadedFile | None:
        return self._files.shared_file(file_id)

    # --- acting as a person -----------------------------------------------------------

    def issue_trigger(self, user_id: str) -> str:
        """A trigger_id for something `user_id` just did: the modal it opens is theirs."""
        return self._views.issue_trigger(user_id)

    def response_url(self, user_id: str, channel: str, *, message_ts: str | None = None) -> str:
        """A response URL for what `user_id` did in `channel` (on the message `message_ts`)."""
        return self._chat.response_url(user_id, channel, message_ts=message_ts)

    def modal_of(self, user_id: str) -> dict[str, Any] | None:
        """The modal `user_id` has in front of them (the top of their stack), if any."""
        return self._views.modal_of(user_id)

    def close_view(self, view_id: str) -> None:
        """The user closes a modal: Slack forgets it, and updating it is `not_found`."""
        self._views.close_view(view_id)

    def close_modals(self, user_id: str) -> None:
        """Every modal of `user_id` closes, as after ``"response_action": "clear"``."""
        self._views.close_modals(user_id)

    def replace_view(self, view_id: str, view: dict[str, Any]) -> list[str]:
        """``"response_action": "update"``: the errors Slack would show, else [] once replaced."""
        return self._views.replace_view(view_id, view)

    def push_view(self, user_id: str, view: dict[str, Any]) -> list[str]:
        """``"response_action": "push"``: the errors Slack would show, else [] once pushed."""
        return self._views.push_view(user_id, view)

    # --- following changes ------------------------------------------------------------

    @property
    def version(self) -> int:
        """Goes up with every change a person could see: a message, a view, an outage."""
        return self.workspace.version

    async def wait_changed(self, since: int, timeout: float) -> int:
        """Wait until `version` differs from `since` (at most `timeout` s); return it."""
        return await self.workspace.wait_changed(since, timeout)

    def mark_changed(self) -> None:
        """Something a person sees changed (also what a page keeps beside this fake)."""
        self.workspace.mark_changed()

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
        self._server.fail_next(count, status=status)

    def rate_limit_next(self, count: int, *, retry_after: int = 1) -> None:
        self._server.rate_limit_next(count, retry_after=retry_after)

    def hold_next_answer(self, method: str, seconds: float) -> None:
        """The next call of `method` that succeeds is acted on at once, but its answer is held
        `seconds`: the caller may be gone before it knows that Slack has done it."""
        self._server.hold_next_answer(method, seconds)

    def set_down(self, down: bool, *, status: int = 503) -> None:
        self._server.set_down(down, status=status)

    @property
    def is_down(self) -> bool:
        return self._server.is_down

"""Slack's side of Socket Mode, for the fake Slack (``FakeSlack`` owns one of these).

Outpost runs in Socket Mode when ``SLACK_APP_TOKEN`` is set: slack_bolt's
``AsyncSocketModeHandler`` (slack_sdk's aiohttp ``SocketModeClient``) calls
``apps.connections.open`` with the app-level token, connects to the WebSocket URL it gets
back, and from then on receives slash commands, interactions and events as envelopes that it
must acknowledge over the same socket. This module plays Slack's part of that exchange so
that tests can drive the real client and the real ``python -m bot`` without a workspace.

The protocol, as slack_sdk relies on it:

- Every URL carries a ticket that is good for one connection (``issue_url``). A used or
  unknown ticket is refused at the handshake with HTTP 401.
- Once connected the server sends ``{"type": "hello", "num_connections", "debug_info",
  "connection_info": {"app_id"}}``. The client's pings (``sdk-ping-pong:<time>``) are
  answered with pongs carrying the same data.
- Slack sends ``{"envelope_id", "type", "payload", "accepts_response_payload"}`` where type is
  ``slash_commands``, ``interactive`` or ``events_api`` (the latter also has ``retry_attempt``
  and ``retry_reason``). The app answers ``{"envelope_id", "payload"?}``; the payload, when
  there is one, is what an HTTP app would have put in its response body.
- ``{"type": "disconnect", "reason"}`` asks the client to move to a new connection.

Deliberate simplifications: envelopes go to the newest open connection (Slack picks any),
an ack is accepted on any connection, and an envelope nobody acks is not delivered again;
``send`` raises ``TimeoutError`` instead. Any message from the client that is not the first
ack of a pending envelope is kept in ``unexpected_messages`` so that tests can check that the
client sent nothing Slack would not understand.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import uuid
from typing import Any, Final, Literal, get_args

from aiohttp import WSCloseCode, WSMsgType, web

from bot.emulator.slack.area import served_methods, web_api
from bot.emulator.slack.refusals import Args, Handler

EnvelopeKind = Literal["slash_commands", "interactive", "events_api"]
ENVELOPE_KINDS: Final = frozenset(get_args(EnvelopeKind))
SOCKET_PATH: Final = "/socket/{ticket}"
# Interactive payloads whose HTTP response body Slack reads (the rest are acked with 200 only).
_RESPONSE_PAYLOAD_INTERACTIONS: Final = frozenset({"view_submission", "block_suggestion"})


class SocketModeServer:
    """The WebSocket endpoint of the fake Slack and the envelopes that go through it."""

    def __init__(self, *, app_id: str) -> None:
        self.app_id = app_id
        self.unexpected_messages: list[str] = []
        self._ws_base: str | None = None
        self._tickets: set[str] = set()
        self._connections: list[web.WebSocketResponse] = []
        self._connected = asyncio.Event()
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}

    # --- wiring into the fake's aiohttp app ---------------------------------------------

    def install(self, app: web.Application) -> None:
        app.router.add_get(SOCKET_PATH, self._serve)
        app.on_shutdown.append(self._close_all)

    def bind(self, host: str, port: int) -> None:
        """Where the fake listens; the URLs handed out point there."""
        self._ws_base = f"ws://{host}:{port}"

    def methods(self) -> dict[str, Handler]:
        return served_methods(self)

    @web_api("apps.connections.open")
    async def _connections_open(self, args: Args) -> dict[str, Any]:
        return {"url": self.issue_url()}

    def issue_url(self) -> str:
        """A fresh one-connection URL, as ``apps.connections.open`` returns it."""
        if self._ws_base is None:
            raise RuntimeError("FakeSlack is not started")
        ticket = secrets.token_hex(16)
        self._tickets.add(ticket)
        return self._ws_base + SOCKET_PATH.format(ticket=ticket)

    # --- what tests use -----------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return bool(self._connections)

    @property
    def connection_count(self) -> int:
        return len(self._connections)

    async def wait_connected(self, timeout: float = 5.0) -> None:
        try:
            async with asyncio.timeout(timeout):
                await self._connected.wait()
        except TimeoutError:
            raise TimeoutError(f"no Socket Mode connection within {timeout}s") from None

    async def send(
        self,
        kind: EnvelopeKind,
        payload: dict[str, Any],
        *,
        timeout: float = 5.0,
        accepts_response_payload: bool | None = None,
    ) -> dict[str, Any]:
        """Deliver one envelope and return the client's ack message.

        Waits (within ``timeout``) for a connection if there is none yet.
        ``accepts_response_payload`` defaults to what Slack sets for ``kind`` and the payload.
        """
        if kind not in ENVELOPE_KINDS:
            raise ValueError(f"unknown envelope type {kind!r}")
        envelope_id = str(uuid.uuid4())
        if accepts_response_payload is None:
            accepts_response_payload = kind == "slash_commands" or (
                kind == "interactive" and payload.get("type") in _RESPONSE_PAYLOAD_INTERACTIONS
            )
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if kind == "events_api":
            envelope.update(retry_attempt=0, retry_reason="")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            async with asyncio.timeout_at(deadline):
                await self._connected.wait()
        except TimeoutError:
            raise TimeoutError(
                f"no Socket Mode connection to deliver a {kind} envelope to within {timeout}s"
            ) from None
        acked: asyncio.Future[dict[str, Any]] = loop.create_future()
        self._pending[envelope_id] = acked
        try:
            await self._connections[-1].send_str(json.dumps(envelope))
            async with asyncio.timeout_at(deadline):
                return await acked
        except TimeoutError:
            raise TimeoutError(
                f"no ack for {kind} envelope {envelope_id} within {timeout}s"
            ) from None
        finally:
            self._pending.pop(envelope_id, None)

    async def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask every connected client to move to a new connection, as Slack does regularly."""
        message = json.dumps(
            {"type": "disconnect", "reason": reason, "debug_info": {"host": "fake-slack"}}
        )
        for socket in list(self._connections):
            with contextlib.suppress(ConnectionError):
                await socket.send_str(message)

    # --- the WebSocket endpoint ---------------------------------------------------------

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        ticket = request.match_info["ticket"]
        if ticket not in self._tickets:
            raise web.HTTPUnauthorized(text="invalid or used Socket Mode ticket")
        self._tickets.discard(ticket)
        # autoping answers the client's pings with pongs that echo their data.
        socket = web.WebSocketResponse(autoping=True, timeout=1.0)
        await socket.prepare(request)
        await socket.send_str(json.dumps(self._hello(len(self._connections) + 1)))
        self._connections.append(socket)
        self._connected.set()
        try:
            async for message in socket:
                if message.type == WSMsgType.TEXT:
                    self._receive(message.data)
                elif message.type == WSMsgType.BINARY:
                    self.unexpected_messages.append(repr(message.data))
        finally:
            self._connections.remove(socket)
            if not self._connections:
                self._connected.clear()
        return socket

    def _hello(self, num_connections: int) -> dict[str, Any]:
        return {
            "type": "hello",
            "num_connections": num_connections,
            "debug_info": {
                "host": "fake-slack",
                "build_number": 1,
                "approximate_connection_time": 3600,
            },
            "connection_info": {"app_id": self.app_id},
        }

    def _receive(self, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            message = None
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        acked = self._pending.get(envelope_id) if isinstance(envelope_id, str) else None
        if message is None or acked is None or acked.done():
            self.unexpected_messages.append(text)
            return
        acked.set_result(message)

    async def _close_all(self, _: web.Application) -> None:
        self._tickets.clear()
        for acked in self._pending.values():
            if not acked.done():
                acked.set_exception(ConnectionError("FakeSlack stopped"))
        for socket in list(self._connections):
            with contextlib.suppress(ConnectionError):
                await socket.close(code=WSCloseCode.GOING_AWAY)

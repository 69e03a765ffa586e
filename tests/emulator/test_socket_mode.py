"""The fake Slack must serve Socket Mode the way slack_sdk's aiohttp client expects it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.emulator.slack import FakeSlack
from tests.support.waiting import eventually

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


class App:
    """A Socket Mode app built on the real client: it records what arrives and acks it."""

    def __init__(
        self,
        slack: FakeSlack,
        *,
        app_token: str = APP_TOKEN,
        ack_payload: dict[str, Any] | None = None,
    ) -> None:
        self.ack_payload = ack_payload
        self.acking = True
        self.messages: list[dict[str, Any]] = []
        self.requests: list[SocketModeRequest] = []
        self.client = SocketModeClient(
            app_token=app_token,
            web_client=AsyncWebClient(token=BOT_TOKEN, base_url=slack.base_url),
            ping_interval=1,
        )
        self.client.message_listeners.append(self._message)
        self.client.socket_mode_request_listeners.append(self._request)

    async def connect(self) -> None:
        await self.client.connect()  # type: ignore[no-untyped-call]

    async def close(self) -> None:
        await self.client.close()  # type: ignore[no-untyped-call]

    async def _message(
        self, client: AsyncBaseSocketModeClient, message: dict[str, Any], raw: str | None
    ) -> None:
        self.messages.append(message)

    async def _request(self, client: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
        self.requests.append(request)
        if self.acking:
            response = SocketModeResponse(request.envelope_id, payload=self.ack_payload)
            await client.send_socket_mode_response(response)


@pytest.fixture
async def app(slack: FakeSlack) -> AsyncIterator[App]:
    app = App(slack)
    await app.connect()
    await slack.wait_socket_connected(timeout=5)
    yield app
    await app.close()


async def test_the_client_connects_with_the_app_token_and_gets_hello(
    slack: FakeSlack, app: App
) -> None:
    hello = await eventually(lambda: app.messages, timeout=5, what="the hello message")

    assert hello[0]["type"] == "hello"
    assert hello[0]["connection_info"] == {"app_id": slack.app_id}
    assert hello[0]["num_connections"] == 1
    assert slack.socket_connected
    opened = slack.calls_to("apps.connections.open")
    assert [(call.ok, call.params) for call in opened] == [(True, {})]


async def test_the_clients_ping_is_answered_with_its_pong(app: App) -> None:
    # The SDK pings right after connecting and only trusts a pong that echoes its data.
    await eventually(lambda: app.client.last_ping_pong_time, timeout=5, what="a pong")

    assert await app.client.is_connected()


async def test_a_slash_command_envelope_is_delivered_and_its_ack_returned(
    slack: FakeSlack, app: App
) -> None:
    app.ack_payload = {"response_type": "ephemeral", "text": "hi"}
    command = {"command": "/account", "text": "help", "user_id": "U1", "trigger_id": "t-1"}

    ack = await slack.socket_send("slash_commands", command, timeout=5)

    [request] = app.requests
    assert request.type == "slash_commands"
    assert request.payload == command
    assert request.accepts_response_payload is True
    assert ack == {"envelope_id": request.envelope_id, "payload": app.ack_payload}
    assert slack.socket_mode.unexpected_messages == []


@pytest.mark.parametrize(
    ("kind", "payload", "accepts"),
    [
        ("interactive", {"type": "view_submission", "view": {"id": "V1"}}, True),
        ("interactive", {"type": "block_actions", "actions": []}, False),
        ("events_api", {"type": "event_callback", "event": {"type": "app_mention"}}, False),
    ],
)
async def test_envelopes_say_whether_slack_reads_the_ack_payload(
    slack: FakeSlack, app: App, kind: Any, payload: dict[str, Any], accepts: bool
) -> None:
    ack = await slack.socket_send(kind, payload, timeout=5)

    [request] = app.requests
    assert (request.type, request.payload) == (kind, payload)
    assert request.accepts_response_payload is accepts
    assert ack == {"envelope_id": request.envelope_id}
    if kind == "events_api":
        assert request.retry_attempt == 0


async def test_an_envelope_nobody_acks_times_out(slack: FakeSlack, app: App) -> None:
    app.acking = False

    with pytest.raises(TimeoutError, match="no ack for slash_commands envelope"):
        await slack.socket_send("slash_commands", {"text": "help"}, timeout=0.3)
    assert len(app.requests) == 1


async def test_a_disconnect_moves_the_client_to_a_new_connection(
    slack: FakeSlack, app: App
) -> None:
    await slack.socket_mode.disconnect("refresh_requested")

    await eventually(
        lambda: len(slack.calls_to("apps.connections.open")) == 2 and slack.socket_connected,
        timeout=5,
        what="the client to reconnect",
    )
    ack = await slack.socket_send("slash_commands", {"text": "help"}, timeout=5)
    assert ack["envelope_id"] == app.requests[-1].envelope_id
    assert slack.socket_mode.connection_count == 1


async def test_closing_the_client_drops_the_connection(slack: FakeSlack, app: App) -> None:
    await app.close()

    await eventually(lambda: not slack.socket_connected, timeout=5, what="the connection to go")


async def test_stopping_the_fake_closes_connected_sockets(slack: FakeSlack) -> None:
    app = App(slack)
    app.client.auto_reconnect_enabled = app.client.default_auto_reconnect_enabled = False
    await app.connect()
    await slack.wait_socket_connected(timeout=5)

    await asyncio.wait_for(slack.stop(), timeout=5)

    assert not slack.socket_connected
    await app.close()


# --- tokens and tickets ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "error"),
    [
        ("xapp-wrong", "invalid_auth"),
        (BOT_TOKEN, "not_allowed_token_type"),
    ],
)
async def test_connections_open_refuses_other_tokens(
    slack: FakeSlack, token: str, error: str
) -> None:
    app = App(slack, app_token=token)
    try:
        with pytest.raises(SlackApiError) as raised:
            await app.client.issue_new_wss_url()
    finally:
        await app.close()

    assert raised.value.response["error"] == error
    assert not slack.socket_connected


async def test_connections_open_without_a_token_is_not_authed(slack: FakeSlack) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(slack.base_url + "apps.connections.open") as response,
    ):
        assert await response.json() == {"ok": False, "error": "not_authed"}


async def test_the_app_token_cannot_call_bot_methods(slack: FakeSlack) -> None:
    client = AsyncWebClient(token=APP_TOKEN, base_url=slack.base_url)

    with pytest.raises(SlackApiError) as raised:
        await client.auth_test()

    assert raised.value.response["error"] == "not_allowed_token_type"


async def test_a_socket_url_is_good_for_one_connection(slack: FakeSlack) -> None:
    opened = await AsyncWebClient(base_url=slack.base_url).apps_connections_open(
        app_token=APP_TOKEN
    )
    url = opened["url"]
    assert url.startswith("ws://127.0.0.1:")

    async with aiohttp.ClientSession() as http, http.ws_connect(url) as socket:
        hello = json.loads(await socket.receive_str(timeout=5))
        assert hello["type"] == "hello"
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(url)
    assert refused.value.status == 401


async def test_a_ticket_nobody_issued_is_refused(slack: FakeSlack) -> None:
    url = slack.base_url.replace("http://", "ws://").replace("/api/", "/socket/made-up")

    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(url)

    assert refused.value.status == 401

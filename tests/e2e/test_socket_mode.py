"""`python -m bot` in Socket Mode: commands and form submissions arrive over the fake's socket.

With `SLACK_APP_TOKEN` set, Outpost takes no HTTP requests from Slack; it opens a Socket Mode
connection with the app-level token and acks every envelope over it. These tests start the
real process against the fake Slack and read those acks, as Slack would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.emulator.aws_faults import ThreadedAwsFaultProxy
from bot.emulator.slack import FakeSlack
from tests.support.bot_fixtures import bot_env, bot_in
from tests.support.bot_process import BotProcess, run_until_exit
from tests.support.flows import card_reaching, form_values, option_label
from tests.support.organization import Organization
from tests.support.slack_requests import command_payload, view_submission_payload
from tests.support.waiting import eventually

SUBCOMMANDS = ("help", "new", "show", "list", "ops", "breakglass", "grant", "revoke", "explain")


@pytest.fixture
async def socket_bot(
    tmp_path: Path, aws: ThreadedAwsFaultProxy, slack: FakeSlack, org: Organization
) -> AsyncIterator[BotProcess]:
    async with bot_in(tmp_path, aws, slack.base_url, SLACK_APP_TOKEN=slack.app_token) as process:
        yield process


async def test_ready_in_socket_mode_without_http_for_slack_and_stops_cleanly(
    socket_bot: BotProcess, slack: FakeSlack
) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{socket_bot.url}/healthz") as response:
            assert response.status == 200
            assert await response.json() == {"status": "ready", "mode": "socket"}
        async with http.post(f"{socket_bot.url}/slack/events", data=b"{}") as response:
            assert response.status in (404, 405)
    assert slack.socket_connected
    opened = slack.calls_to("apps.connections.open")
    # One to check the app token at start-up, one to connect.
    assert [call.ok for call in opened] == [True, True]

    assert socket_bot.process is not None
    socket_bot.process.terminate()
    code = await asyncio.to_thread(socket_bot.process.wait, 5)

    assert code == 0, socket_bot.log()
    assert not slack.socket_connected
    assert "Outpost is stopping" in socket_bot.log()


async def test_help_is_acked_over_the_socket_as_an_ephemeral_answer(
    socket_bot: BotProcess, slack: FakeSlack
) -> None:
    ack = await slack.socket_send("slash_commands", command_payload("help"))

    answer = ack["payload"]
    assert answer["response_type"] == "ephemeral"
    shown = json.dumps(answer["blocks"])
    for sub in SUBCOMMANDS:
        assert f"/account {sub}" in shown
    assert slack.socket_mode.unexpected_messages == []


async def test_new_account_over_the_socket_from_command_to_account(
    socket_bot: BotProcess, slack: FakeSlack, org: Organization
) -> None:
    ack = await slack.socket_send("slash_commands", command_payload("new payments-dev"))
    assert "payload" not in ack  # a bare ack: the modal answers, not the channel

    await eventually(lambda: slack.calls_to("views.update"), what="the modal to be filled in")
    views_calls = [call for call in slack.calls if call.method.startswith("views.")]
    assert [(call.method, call.ok) for call in views_calls] == [
        ("views.open", True),
        ("views.update", True),
    ]
    update = views_calls[1]
    view = slack.views()[update.params["view_id"]]
    prod = org.ous["Prod"]
    label = option_label(view, prod)

    taken = await slack.socket_send(
        "interactive",
        view_submission_payload(view, form_values(name="billing-prod", ou_id=prod, ou_label=label)),
    )
    assert taken["payload"]["response_action"] == "errors"
    assert "already named billing-prod" in taken["payload"]["errors"]["account_name"]

    accepted = await slack.socket_send(
        "interactive",
        view_submission_payload(view, form_values(name="payments-dev", ou_id=prod, ou_label=label)),
    )
    assert "payload" not in accepted  # a bare ack closes the modal

    await card_reaching(slack, "Succeeded")
    account = org.account_named("payments-dev")
    assert account is not None
    assert org.parent_of(account["Id"]) == prod
    assert slack.socket_mode.unexpected_messages == []


async def test_a_refreshed_connection_is_replaced_and_keeps_serving(
    socket_bot: BotProcess, slack: FakeSlack
) -> None:
    # Slack refreshes Socket Mode connections regularly, announcing it with `disconnect`.
    await slack.socket_mode.disconnect("refresh_requested")

    await eventually(
        lambda: len(slack.calls_to("apps.connections.open")) == 2 and slack.socket_connected,
        timeout=5,
        what="the bot to open a new connection",
    )
    ack = await slack.socket_send("slash_commands", command_payload("help"))
    assert ack["payload"]["response_type"] == "ephemeral"


async def test_a_refused_app_token_stops_start_up_with_one_line(
    tmp_path: Path, aws: ThreadedAwsFaultProxy, slack: FakeSlack
) -> None:
    env = {**bot_env(aws.url, slack.base_url, tmp_path), "SLACK_APP_TOKEN": "xapp-revoked"}
    result = await asyncio.to_thread(run_until_exit, env, tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "outpost: configuration error: SLACK_APP_TOKEN was refused by Slack (invalid_auth)"
    )


async def test_stopping_while_slack_cannot_be_reached_at_start(
    tmp_path: Path, aws: ThreadedAwsFaultProxy, slack: FakeSlack
) -> None:
    slack.set_down(True)
    process = bot_in(tmp_path, aws, slack.base_url, SLACK_APP_TOKEN=slack.app_token)
    starting = asyncio.create_task(process.start(timeout=10))
    try:
        # The token checks could not reach Slack, so the bot goes on trying to connect.
        await eventually(
            lambda: len(slack.calls_to("apps.connections.open")) >= 2,
            timeout=10,
            what="the Socket Mode client to try to connect",
        )
        assert process.process is not None
        process.process.terminate()
        assert await asyncio.to_thread(process.process.wait, 5.0) == 0
    finally:
        starting.cancel()
        with contextlib.suppress(BaseException):
            await starting
        process.kill()

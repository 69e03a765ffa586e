"""`/account` routing, health and request authenticity, through the real process."""

from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import urlencode

import aiohttp
import pytest

from bot.emulator.slack import FakeSlack
from tests.support.bot_fixtures import bot_env
from tests.support.bot_process import BotProcess, run_until_exit
from tests.support.design import SUBCOMMAND_NAMES
from tests.support.slack_requests import SlackRequests, sign
from tests.support.waiting import eventually


async def test_healthz_answers_json_once_ready(bot: BotProcess) -> None:
    async with aiohttp.ClientSession() as session, session.get(f"{bot.url}/healthz") as resp:
        assert resp.status == 200
        assert await resp.json() == {"status": "ready", "mode": "http"}


async def test_help_lists_every_subcommand_with_an_example(requests: SlackRequests) -> None:
    status, body = await requests.command("help")
    assert status == 200
    answer = json.loads(body)
    assert answer["response_type"] == "ephemeral"
    shown = json.dumps(answer["blocks"])
    for sub in SUBCOMMAND_NAMES:
        assert f"/account {sub}" in shown
    assert "e.g." in shown


async def test_unknown_subcommand_gets_help_with_did_you_mean(requests: SlackRequests) -> None:
    status, body = await requests.command("nwe payments")
    answer = json.loads(body)
    assert status == 200
    assert "Did you mean `/account new`?" in json.dumps(answer["blocks"])
    assert "/account breakglass" in json.dumps(answer["blocks"])


async def test_breakglass_without_a_permission_set_says_what_to_set(
    requests: SlackRequests, slack: FakeSlack
) -> None:
    status, _ = await requests.command("breakglass payments-prod 1h investigating INC-1")
    assert status == 200
    told = await eventually(
        lambda: [m.text for m in slack.messages("CPLATFORM") if m.ephemeral_to == "UENGINEER"]
    )
    assert "BREAKGLASS_PERMISSION_SET is not set" in told[0]


async def test_hostile_subcommand_is_escaped(requests: SlackRequests) -> None:
    _, body = await requests.command("<!channel> hi")
    shown = json.dumps(json.loads(body)["blocks"])
    assert "<!channel>" not in shown
    assert "&lt;!channel&gt;" in shown


@pytest.mark.parametrize(
    ("headers_of", "why"),
    [
        (
            lambda body, ts: {
                "X-Slack-Request-Timestamp": str(ts),
                "X-Slack-Signature": sign(body, ts, "wrong-secret"),
            },
            "forged",
        ),
        (
            lambda body, ts: {
                "X-Slack-Request-Timestamp": str(ts - 600),
                "X-Slack-Signature": sign(body, ts - 600),
            },
            "stale",
        ),
        (lambda body, ts: {}, "unsigned"),
    ],
)
async def test_unauthentic_requests_are_refused_and_do_nothing(
    bot: BotProcess, slack: FakeSlack, headers_of, why
) -> None:
    body = urlencode(
        {
            "command": "/account",
            "text": "new x",
            "user_id": "UENGINEER",
            "channel_id": "CPLATFORM",
            "trigger_id": "t-1",
            "team_id": "T0001",
        }
    )
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        **headers_of(body, int(time.time())),
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{bot.url}/slack/events", data=body, headers=headers) as response,
    ):
        assert response.status == 401, why
    assert slack.calls_to("views.open") == []


def test_a_missing_setting_stops_start_up_with_one_line_naming_it(tmp_path) -> None:
    result = run_until_exit({"SLACK_SIGNING_SECRET": "s"}, tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "outpost: configuration error: SLACK_BOT_TOKEN is not set"


def test_a_malformed_setting_is_named(tmp_path) -> None:
    result = run_until_exit(
        {
            "SLACK_BOT_TOKEN": "xoxb-1",
            "SLACK_SIGNING_SECRET": "s",
            "CREATE_POLL_INTERVAL": "soon",
        },
        tmp_path,
    )
    assert result.returncode == 2
    assert "CREATE_POLL_INTERVAL" in result.stderr
    assert "1h30m" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_example_placeholder_is_not_taken_for_a_token(tmp_path) -> None:
    result = run_until_exit({"SLACK_BOT_TOKEN": "xoxb-...", "SLACK_SIGNING_SECRET": "s"}, tmp_path)
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN still holds the placeholder from .env.example" in result.stderr


async def test_a_bot_token_slack_refuses_stops_start_up(tmp_path, aws, slack: FakeSlack) -> None:
    env = {**bot_env(aws.url, slack.base_url, tmp_path), "SLACK_BOT_TOKEN": "xoxb-revoked"}
    result = await asyncio.to_thread(run_until_exit, env, tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "outpost: configuration error: SLACK_BOT_TOKEN was refused by Slack (invalid_auth)"
    )


def test_http_mode_needs_the_signing_secret(tmp_path) -> None:
    result = run_until_exit({"SLACK_BOT_TOKEN": "xoxb-1"}, tmp_path)
    assert result.returncode == 2
    assert "SLACK_SIGNING_SECRET is not set: HTTP mode needs it" in result.stderr


@pytest.mark.parametrize(
    ("variable", "channel"),
    [("AUDIT_CHANNEL", "CNOWHERE"), ("APPROVALS_CHANNEL", "CPRIVATE")],
)
async def test_a_channel_slack_does_not_show_outpost_stops_start_up(
    tmp_path, aws, slack: FakeSlack, variable: str, channel: str
) -> None:
    env = {**bot_env(aws.url, slack.base_url, tmp_path), variable: channel}
    result = await asyncio.to_thread(run_until_exit, env, tmp_path)
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"outpost: configuration error: {variable} ({channel}) is not")
    assert "invite Outpost if it is private" in last

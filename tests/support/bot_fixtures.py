"""The bot as a subprocess, configured by environment as in production, with short intervals.

Shared by the end-to-end, reliability and security suites (registered in tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.emulator.aws_faults import ThreadedAwsFaultProxy
from bot.emulator.slack import FakeSlack
from tests.support.bot_process import AWS_SECRET_KEY, BOT_TOKEN, BotProcess
from tests.support.flows import request_account
from tests.support.organization import Organization
from tests.support.slack_requests import SIGNING_SECRET, SlackRequests


def bot_env(aws_url: str, slack_url: str, data: Path) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_url,
        "DATABASE_URL": f"sqlite:///{data / 'outpost.db'}",
        "AWS_ENDPOINT_URL": aws_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": AWS_SECRET_KEY,
        "AWS_REGION": "us-east-1",
        "ACCOUNT_EMAIL_TEMPLATE": "aws+{name}@example.com",
        "OPS_USERS": "UOPS",
        "CREATE_POLL_INTERVAL": "0.1",
        "CREATE_POLL_MAX_INTERVAL": "0.3",
        "AWS_RETRY_BASE": "0.05",
        "AWS_RETRY_MAX": "0.2",
        "ENGINE_POLL_INTERVAL": "0.1",
        "ENGINE_LEASE": "1",
        "OUTBOX_RETRY_MAX": "0.5",
    }


def bot_in(data: Path, aws: ThreadedAwsFaultProxy, slack_url: str, **settings: str) -> BotProcess:
    """The bot with its store and log in `data`, talking to `aws` and to the Slack API at
    `slack_url`, with `settings` on top of the usual test environment."""
    return BotProcess(bot_env(aws.url, slack_url, data) | settings, data / "bot.log")


@pytest.fixture
async def bot(
    tmp_path: Path, aws: ThreadedAwsFaultProxy, slack: FakeSlack, org: Organization
) -> AsyncIterator[BotProcess]:
    async with bot_in(tmp_path, aws, slack.base_url) as process:
        yield process


@pytest.fixture
def requests(bot: BotProcess) -> SlackRequests:
    return SlackRequests(f"{bot.url}/slack/events")


@dataclass
class Deployment:
    """The bot running on its own store, and what it talks to: what a test that kills the
    process and starts it again on the same store drives."""

    slack: FakeSlack
    requests: SlackRequests
    org: Organization
    aws: ThreadedAwsFaultProxy
    bot: BotProcess
    data: Path

    async def request_account(self, name: str) -> tuple[int, str]:
        """`/account new` for `name` in the Prod OU, through the form; Slack's answer."""
        return await request_account(
            self.slack, self.requests, name=name, ou_id=self.org.ous["Prod"]
        )

    def kill(self) -> None:
        """SIGKILL the bot; AWS stops holding or failing calls, so the next process goes on."""
        self.bot.kill()
        self.aws.clear()

    def restarted(self) -> BotProcess:
        """Another process on the same store, started by `async with`: a restart."""
        return self.bot.restarted(self.data / "restarted.log")


@pytest.fixture
def deployment(
    slack: FakeSlack,
    requests: SlackRequests,
    org: Organization,
    aws: ThreadedAwsFaultProxy,
    bot: BotProcess,
    tmp_path: Path,
) -> Deployment:
    return Deployment(slack, requests, org, aws, bot, tmp_path)

"""A bot with break-glass set up: moto's Identity Center, an audit channel, two ops members."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.emulator.aws_faults import ThreadedAwsFaultProxy
from bot.emulator.slack import FakeSlack
from tests.support.access_flows import break_glass_bot, break_glass_center
from tests.support.bot_process import BotProcess
from tests.support.identity_center import IdentityCenter
from tests.support.organization import Organization


@pytest.fixture
def center(org: Organization, moto_url: str) -> IdentityCenter:
    """A user for each person; omar's email differs in case from the one Slack has."""
    people = {"erin": "erin@example.com", "omar": "Omar@Example.com", "olga": "olga@example.com"}
    return break_glass_center(org, moto_url, people)


@pytest.fixture
def extra_env() -> dict[str, str]:
    """Settings a test module or class adds to the bot's environment."""
    return {}


@pytest.fixture
async def bot(
    tmp_path: Path,
    aws: ThreadedAwsFaultProxy,
    slack: FakeSlack,
    org: Organization,
    center: IdentityCenter,
    extra_env: dict[str, str],
) -> AsyncIterator[BotProcess]:
    async with break_glass_bot(aws, slack, tmp_path, extra_env) as process:
        yield process

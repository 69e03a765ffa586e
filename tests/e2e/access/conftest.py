"""A bot with break-glass set up: moto's Identity Center, an audit channel, two ops members."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.emulator.aws_faults import ThreadedAwsFaultProxy
from bot.emulator.slack import FakeSlack
from tests.support.access_flows import AUDIT, PERMISSION_SET, access_env
from tests.support.bot_process import BotProcess
from tests.support.identity_center import IdentityCenter
from tests.support.organization import Organization


@pytest.fixture
def center(org: Organization, moto_url: str) -> IdentityCenter:
    """Identity Center with the break-glass permission set and a user for each person."""
    account = org.account_named("billing-prod")
    assert account is not None
    center = IdentityCenter.in_moto(moto_url, account=account["Id"])
    center.permission_set(PERMISSION_SET)
    center.user("erin", "erin@example.com")
    center.user("omar", "Omar@Example.com")
    center.user("olga", "olga@example.com")
    return center


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
    slack.add_channel(AUDIT, name="access-audit")
    slack.add_user("UOPS2", name="otto", email="otto@example.com")
    async with BotProcess(
        access_env(aws, slack, tmp_path) | extra_env, tmp_path / "bot.log"
    ) as process:
        yield process

"""The bot with break-glass set up, for every suite that drives it (the fixtures are registered
in tests/conftest.py). Each suite brings its own `center` fixture, with the people it needs in
Identity Center, and a test may add settings with `@pytest.mark.extra_env(NAME="value")`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.emulator.aws_faults import ThreadedAwsFaultProxy
from bot.emulator.slack import FakeSlack
from tests.support.access_flows import break_glass_bot
from tests.support.bot_process import BotProcess
from tests.support.identity_center import IdentityCenter
from tests.support.organization import Organization
from tests.support.slack_requests import SlackRequests


@dataclass
class AccessDeployment:
    """The running bot with break-glass set up, and everything it may touch."""

    bot: BotProcess
    slack: FakeSlack
    aws: ThreadedAwsFaultProxy
    org: Organization
    center: IdentityCenter
    requests: SlackRequests


@pytest.fixture
def extra_env(request: pytest.FixtureRequest) -> dict[str, str]:
    """Settings the test's `extra_env` mark adds to the break-glass bot's environment."""
    mark = request.node.get_closest_marker("extra_env")
    return dict(mark.kwargs) if mark else {}


@pytest.fixture
async def access_bot(
    tmp_path: Path,
    aws: ThreadedAwsFaultProxy,
    slack: FakeSlack,
    org: Organization,
    center: IdentityCenter,
    extra_env: dict[str, str],
) -> AsyncIterator[BotProcess]:
    """`python -m bot` with break-glass set up, on the suite's Identity Center."""
    async with break_glass_bot(aws, slack, tmp_path, extra_env) as process:
        yield process

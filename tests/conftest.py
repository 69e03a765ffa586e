"""Shared fixtures: a real moto server, a fault proxy in front of it, and the fake Slack API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from moto.server import ThreadedMotoServer

from bot.emulator.aws_faults import ThreadedAwsFaultProxy
from bot.emulator.slack import FakeSlack
from tests.support.aws_clients import fault_proxy
from tests.support.bot_process import (
    APP_TOKEN,
    BOT_TOKEN,
    SECRETS,
    assert_no_leaks,
    sent_to_slack,
)
from tests.support.organization import Organization, make_organization

# The bot process and signed requests to it, for every suite that drives `python -m bot`;
# and the bot with break-glass set up, for those that need it.
pytest_plugins = ["tests.support.bot_fixtures", "tests.support.access_fixtures"]


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws(moto_url: str) -> Iterator[ThreadedAwsFaultProxy]:
    """The endpoint the bot talks to: moto behind a proxy that can inject faults."""
    with fault_proxy(moto_url) as proxy:
        yield proxy


@pytest.fixture
def org(moto_url: str) -> Organization:
    return make_organization(moto_url)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    """The fake Slack; once the test is over, no secret may be in what it was sent."""
    fake = FakeSlack(bot_token=BOT_TOKEN, app_token=APP_TOKEN)
    fake.add_channel("CPLATFORM", name="platform")
    fake.add_channel("CPRIVATE", name="secret", bot_is_member=False, is_private=True)
    fake.add_user("UENGINEER", name="erin", email="erin@example.com")
    fake.add_user("UOTHER", name="omar", email="omar@example.com")
    fake.add_user("UOPS", name="olga", email="olga@example.com")
    async with fake:
        yield fake
    assert_no_leaks(sent_to_slack(fake), SECRETS)

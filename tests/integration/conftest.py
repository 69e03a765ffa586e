"""Fixtures for tests that use real parts: a SQLite file, moto behind the fault proxy.

`aws` here is the fault proxy of tests/conftest.py (a ThreadedAwsFaultProxy in front of the
session's moto server), started once for the session and handed to each test with no rules
and an empty call log. Sharing it lets one boto3 client, built by the bot's own
`organizations_client()` from the standard AWS environment, serve every test: a client costs
~28,000 objects of cyclic garbage, and building one per test made the suite twice as slow.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from bot.aws.caller import AwsCaller
from bot.aws.clients import organizations_client
from bot.aws.organizations import OrganizationsGateway
from bot.aws.retry import RetryPolicy
from bot.clock import Clock, FakeClock, SystemClock
from bot.emulator.aws_faults import ThreadedAwsFaultProxy
from bot.store import open_store
from tests.support.aws_clients import built_as_the_bot_builds_them, fault_proxy
from tests.support.stores import InspectableStore

T = TypeVar("T")

FAST_RETRIES = RetryPolicy(
    attempts=4, base=timedelta(milliseconds=2), maximum=timedelta(milliseconds=10)
)


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "outpost.db")


# Runs a test, or every test of a class, on a FakeClock (the store, the workers and their AWS
# calls alike) instead of real time.
ON_A_FAKE_CLOCK = pytest.mark.parametrize("clock", ["fake"], indirect=True)


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> Clock:
    """The time the parts under test go by: real time, unless the test is ON_A_FAKE_CLOCK."""
    if getattr(request, "param", None) == "fake":
        return FakeClock(datetime.now(UTC))
    return SystemClock()


@pytest.fixture
async def store(db_path: str, clock: Clock) -> AsyncIterator[InspectableStore]:
    opened = await open_store(f"sqlite:///{db_path}", clock=clock)
    yield opened
    await opened.close()


@pytest.fixture(scope="session")
def session_proxy(moto_url: str) -> Iterator[ThreadedAwsFaultProxy]:
    with fault_proxy(moto_url) as proxy:
        yield proxy


@pytest.fixture
def aws(session_proxy: ThreadedAwsFaultProxy) -> Iterator[ThreadedAwsFaultProxy]:
    """The endpoint the bot talks to: moto behind a proxy that can inject faults."""
    session_proxy.clear()
    session_proxy.calls.clear()
    yield session_proxy
    session_proxy.clear()


@pytest.fixture(scope="session")
def organizations_api(session_proxy: ThreadedAwsFaultProxy) -> Any:
    with built_as_the_bot_builds_them(session_proxy.url, organizations_client) as (client,):
        yield client


@pytest.fixture
def gateway(
    organizations_api: Any, aws: ThreadedAwsFaultProxy, clock: Clock
) -> OrganizationsGateway:
    return OrganizationsGateway(organizations_api, AwsCaller(FAST_RETRIES, clock))


async def wait_for(
    probe: Callable[[], T | None], *, timeout: float = 5.0, what: str = "a condition"
) -> T:
    """Poll a synchronous probe every 10 ms until it returns something truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = probe()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.01)

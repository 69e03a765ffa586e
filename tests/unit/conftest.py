"""What unit tests of the services and the engine run on: a fake clock, and the in-memory
store going by it (the contract suite holds it to what the SQLite store does)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.clock import FakeClock
from bot.store import open_store
from bot.store.base import Store


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def store(clock: FakeClock) -> AsyncIterator[Store]:
    opened = await open_store("memory://", clock=clock)
    yield opened
    await opened.close()

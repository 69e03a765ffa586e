"""The store under test, once per backend: every test in this folder is a clause of the
contract that each backend keeps, and the only place that names a backend is here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.store.base import Store
from bot.store.memory import MemoryStore
from bot.store.sqlite import SqliteStore


@pytest.fixture
def clock() -> FakeClock:
    """The store's clock, which judges leases: a test moves it to let one run out."""
    return FakeClock()


@pytest.fixture(params=["sqlite", "memory"])
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[Store]:
    opened: Store
    if request.param == "sqlite":
        opened = await SqliteStore.open(str(tmp_path / "outpost.db"), clock=clock)
    else:
        opened = MemoryStore(clock=clock)
    yield opened
    await opened.close()

"""The store under test, once per backend: every test in this folder is a clause of the
contract that each backend keeps, and the only place that names the backends is here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.store import open_store
from tests.support.stores import InspectableStore


@pytest.fixture
def clock() -> FakeClock:
    """The store's clock, which judges leases: a test moves it to let one run out."""
    return FakeClock()


@pytest.fixture(params=["sqlite", "memory"])
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[InspectableStore]:
    url = f"sqlite:///{tmp_path / 'outpost.db'}" if request.param == "sqlite" else "memory://"
    opened = await open_store(url, clock=clock)
    yield opened
    await opened.close()

"""The stuck detector on a fake clock: on-call hears of an operation that has not moved for
STUCK_AFTER, again at most once per STUCK_AFTER while it stays stuck, and not once it moves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any, cast

import pytest

from bot.clock import FakeClock
from bot.domain.events import Event, Stuck
from bot.domain.operations import Operation
from bot.engine.ports import Narrator
from bot.engine.stuck import StuckDetector
from bot.store.base import Store
from tests.unit.factories import operation

STUCK_AFTER = timedelta(minutes=15)
CHECK_EVERY = timedelta(minutes=1)


class Alerts:
    """Keeps the stuck alerts the detector tells."""

    def __init__(self) -> None:
        self.told: list[Stuck] = []

    async def tell(self, operation: Operation, event: Event) -> None:
        assert isinstance(event, Stuck)
        self.told.append(event)

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the stuck detector only tells; it called {name}")


@pytest.fixture
async def alerts(store: Store, clock: FakeClock) -> AsyncIterator[Alerts]:
    told = Alerts()
    detector = StuckDetector(
        store,
        cast(Narrator, told),
        lambda: "<!subteam^SOPS>",
        stuck_after=STUCK_AFTER,
        check_every=CHECK_EVERY,
        clock=clock,
    )
    await detector.start()
    yield told
    await detector.stop()


async def one_check_after(clock: FakeClock, by: timedelta) -> None:
    """Move time on by `by`, and let the check that falls due then run."""
    await clock.until_waiting()
    clock.advance(by)
    await clock.until_waiting()
    await asyncio.sleep(0)


async def test_on_call_hears_once_it_has_not_moved_for_stuck_after(store, clock, alerts):
    stalled = await store.insert_operation(operation(at=clock.now()))
    await one_check_after(clock, STUCK_AFTER - CHECK_EVERY)
    assert alerts.told == []

    await one_check_after(clock, CHECK_EVERY)
    (alert,) = alerts.told
    assert alert.operation_id == stalled.id
    assert alert.since == stalled.progress_at
    assert alert.mention == "<!subteam^SOPS>"


async def test_again_at_most_once_per_stuck_after_while_it_stays_stuck(store, clock, alerts):
    await store.insert_operation(operation(at=clock.now()))
    await one_check_after(clock, STUCK_AFTER)
    for _ in range(14):
        await one_check_after(clock, CHECK_EVERY)
    assert len(alerts.told) == 1
    await one_check_after(clock, CHECK_EVERY)
    assert len(alerts.told) == 2


async def test_none_once_it_moves(store, clock, alerts):
    stalled = await store.insert_operation(operation(at=clock.now()))
    await one_check_after(clock, STUCK_AFTER - CHECK_EVERY)
    await store.save_operation(stalled.record(clock.now(), polls=1))
    await one_check_after(clock, CHECK_EVERY)
    assert alerts.told == []

"""The clock: the system one keeps real time, the fake one moves only when told to."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock, SystemClock

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class TestSystemClock:
    def test_now_is_aware_utc(self) -> None:
        now = SystemClock().now()
        assert now.tzinfo is UTC
        assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)

    async def test_a_wait_ends_when_its_event_is_set(self) -> None:
        event = asyncio.Event()
        asyncio.get_running_loop().call_soon(event.set)
        assert await SystemClock().wait(event, timedelta(seconds=10)) is True

    async def test_a_wait_ends_at_its_timeout(self) -> None:
        assert await SystemClock().wait(asyncio.Event(), timedelta(milliseconds=10)) is False


class TestFakeClock:
    def test_time_stands_still_until_moved(self) -> None:
        clock = FakeClock(T0)
        assert clock.now() == T0
        clock.advance(timedelta(hours=2))
        assert clock.now() == T0 + timedelta(hours=2)
        clock.set(T0 + timedelta(days=1))
        assert clock.now() == T0 + timedelta(days=1)

    def test_time_does_not_go_back(self) -> None:
        clock = FakeClock(T0)
        with pytest.raises(ValueError):
            clock.set(T0 - timedelta(seconds=1))
        with pytest.raises(ValueError):
            clock.advance(timedelta(seconds=-1))

    async def test_a_sleep_ends_when_time_reaches_it_and_not_before(self) -> None:
        clock = FakeClock(T0)
        sleeping = asyncio.create_task(clock.sleep(timedelta(hours=1)))
        await clock.until_waiting()
        clock.advance(timedelta(minutes=59))
        await asyncio.sleep(0)
        assert not sleeping.done()
        clock.advance(timedelta(minutes=1))
        await asyncio.wait_for(sleeping, 1)
        assert clock.waiting == 0

    async def test_sleepers_wake_in_the_order_of_their_deadlines(self) -> None:
        clock = FakeClock(T0)
        woke: list[str] = []

        async def sleeper(name: str, minutes: int) -> None:
            await clock.sleep(timedelta(minutes=minutes))
            woke.append(name)

        tasks = [
            asyncio.create_task(sleeper("late", 30)),
            asyncio.create_task(sleeper("early", 10)),
            asyncio.create_task(sleeper("middle", 20)),
            asyncio.create_task(sleeper("never", 90)),
        ]
        await clock.until_waiting(4)
        clock.advance(timedelta(hours=1))
        await asyncio.wait_for(asyncio.gather(*tasks[:3]), 1)
        assert woke == ["early", "middle", "late"]
        assert clock.waiting == 1
        tasks[3].cancel()

    async def test_a_wait_ends_when_its_event_is_set_without_moving_time(self) -> None:
        clock = FakeClock(T0)
        event = asyncio.Event()
        waiting = asyncio.create_task(clock.wait(event, timedelta(hours=1)))
        await clock.until_waiting()
        event.set()
        assert await asyncio.wait_for(waiting, 1) is True
        assert clock.now() == T0
        assert clock.waiting == 0

    async def test_a_wait_ends_at_its_timeout_in_clock_time(self) -> None:
        clock = FakeClock(T0)
        waiting = asyncio.create_task(clock.wait(asyncio.Event(), timedelta(seconds=30)))
        await clock.until_waiting()
        clock.advance(timedelta(seconds=30))
        assert await asyncio.wait_for(waiting, 1) is False

    async def test_a_cancelled_wait_leaves_nothing_behind(self) -> None:
        clock = FakeClock(T0)
        waiting = asyncio.create_task(clock.wait(asyncio.Event(), timedelta(seconds=30)))
        await clock.until_waiting()
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert clock.waiting == 0

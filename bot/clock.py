"""The one place Outpost reads the time and waits for it to pass.

Expiry, reminders, lapsed requests, stuck alerts, leases and retries all hang on the time, so
every part that needs it is handed a `Clock` rather than calling `datetime.now` or sleeping on
its own. The process runs on `SystemClock`; tests run the same code on `FakeClock`, which moves
only when told to, so that an hour-long grant expires in a test at once and deterministically.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...

    async def sleep(self, duration: timedelta) -> None:
        """Return once `duration` has passed."""
        ...

    async def wait(self, event: asyncio.Event, timeout: timedelta) -> bool:
        """Return once `event` is set or `timeout` has passed; whether it was set."""
        ...


class SystemClock:
    """The wall clock, and asyncio's waits."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, duration: timedelta) -> None:
        await asyncio.sleep(max(duration.total_seconds(), 0.0))

    async def wait(self, event: asyncio.Event, timeout: timedelta) -> bool:
        # asyncio.timeout, not wait_for: on Python 3.11, wait_for can swallow a cancellation that
        # arrives as the event is set, and a loop waiting this way would then never stop.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(timeout.total_seconds(), 0.0)):
                await event.wait()
        return event.is_set()


START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class FakeClock:
    """A clock that stands still until `advance` (or `set`) moves it.

    Moving it wakes every sleep and wait whose deadline has come, earliest first; nothing
    sleeps in real time. Work that a wake-up starts still runs on the event loop, so a test
    moves the clock, then waits for what it expects to see.
    """

    def __init__(self, start: datetime = START) -> None:
        if start.tzinfo is None:
            raise ValueError("a clock's time is timezone-aware")
        self._now = start.astimezone(UTC)
        self._timers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._added: asyncio.Event | None = None

    def now(self) -> datetime:
        return self._now

    def advance(self, by: timedelta) -> None:
        """Move time forward by `by` and wake what is then due."""
        if by < timedelta(0):
            raise ValueError("time does not go back")
        self.set(self._now + by)

    def set(self, to: datetime) -> None:
        """Move time forward to `to` and wake what is then due."""
        if to < self._now:
            raise ValueError("time does not go back")
        self._now = to.astimezone(UTC)
        due = sorted(timer for timer in self._timers if timer[0] <= self._now)
        for timer in due:
            self._timers.remove(timer)
            if not timer[2].done():
                timer[2].set_result(None)

    @property
    def waiting(self) -> int:
        """How many sleeps and waits have not come due yet."""
        return len(self._timers)

    async def until_waiting(self, count: int = 1, *, within: float = 5.0) -> None:
        """Return once at least `count` sleeps or waits are pending: a worker has reached its
        wait, so an advance now wakes it. Fails after `within` real seconds."""
        async with asyncio.timeout(within):
            while len(self._timers) < count:
                if self._added is None:
                    self._added = asyncio.Event()
                self._added.clear()
                await self._added.wait()

    async def sleep(self, duration: timedelta) -> None:
        if duration <= timedelta(0):
            await asyncio.sleep(0)
            return
        timer = self._timer(duration)
        try:
            await timer
        finally:
            self._forget(timer)

    async def wait(self, event: asyncio.Event, timeout: timedelta) -> bool:
        if event.is_set():
            return True
        if timeout <= timedelta(0):
            await asyncio.sleep(0)
            return event.is_set()
        timer = self._timer(timeout)
        setter = asyncio.ensure_future(event.wait())
        either: set[asyncio.Future[Any]] = {timer, setter}
        try:
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        finally:
            setter.cancel()
            self._forget(timer)
        return event.is_set()

    def _timer(self, duration: timedelta) -> asyncio.Future[None]:
        timer: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._timers.append((self._now + duration, next(self._order), timer))
        if self._added is not None:
            self._added.set()
        return timer

    def _forget(self, timer: asyncio.Future[None]) -> None:
        timer.cancel()
        self._timers = [entry for entry in self._timers if entry[2] is not timer]

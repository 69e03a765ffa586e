"""The stuck detector: calls on-call to an operation that has made no progress for a while.

An operation that waits on AWS is fine; one that has not moved for STUCK_AFTER needs a person.
It gets one alert in its thread, again at most once per STUCK_AFTER while it stays stuck, and
none once it moves. Which process alerts is settled by a conditional write in the store.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Protocol

from bot.clock import Clock
from bot.domain.events import Stuck
from bot.engine.ports import Narrator
from bot.store.base import Calls, Operations, StuckAlerts
from bot.tasks import cancel_all

log = logging.getLogger(__name__)


class StuckWatch(Operations, Calls, StuckAlerts, Protocol):
    """What the detector reads and writes: running operations, their calls, their alerts."""


class StuckDetector:
    def __init__(
        self,
        store: StuckWatch,
        narrator: Narrator,
        mention: Callable[[], str],
        *,
        stuck_after: timedelta,
        check_every: timedelta,
        clock: Clock,
    ) -> None:
        self._clock = clock
        self._store = store
        self._narrator = narrator
        self._mention = mention
        self._stuck_after = stuck_after
        self._check_every = check_every
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="stuck-detector")

    async def stop(self) -> None:
        await cancel_all([self._task])

    async def _loop(self) -> None:
        while True:
            try:
                await self.check()
            except Exception:
                log.exception("stuck detector: check failed; trying again")
            await self._clock.sleep(self._check_every)

    async def check(self) -> None:
        now = self._clock.now()
        for operation in await self._store.running_operations():
            since = operation.stuck_since(now, self._stuck_after)
            if since is None:
                continue
            if not await self._store.claim_stuck_alert(operation.id, since, now, self._stuck_after):
                continue
            calls = await self._store.calls_for(operation.id)
            event = Stuck(
                operation_id=operation.id,
                mention=self._mention(),
                step=operation.step,
                since=since,
                polls=operation.status_checks,
                last_call=calls[-1] if calls else None,
            )
            await self._narrator.tell(operation, event)

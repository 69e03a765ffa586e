"""Helpers for Outpost's background loops (the engine, the outbox, the stuck detector)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from datetime import timedelta


async def cancel_all(tasks: Iterable[asyncio.Task[None] | None]) -> None:
    """Cancel the tasks and wait until each has finished its clean-up."""
    running = [task for task in tasks if task is not None]
    for task in running:
        task.cancel()
    for task in running:
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def woken_or_timed_out(wake: asyncio.Event, timeout: timedelta) -> None:
    """Wait until `wake` is set or `timeout` passes, then clear it for the next round."""
    # asyncio.timeout, not wait_for: on Python 3.11, wait_for can swallow a cancellation that
    # arrives as the event is set, and a loop waiting this way would then never stop.
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout.total_seconds()):
            await wake.wait()

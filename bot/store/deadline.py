"""A write someone waits for only until a deadline, and that then must not happen at all.

A modal submission has to be answered within Slack's 3 s. When the store is slow (another
process holds SQLite's write lock), the person is told their request was not saved; a write
that still went through a moment later would then create an account they were told about as
failed. So the caller and the store agree, both on the event loop and so without a race:
the store writes only if it begins before the deadline, and a caller whose deadline passes
while the write is already under way waits for it to end (which takes milliseconds once the
lock is held) rather than giving up.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Awaitable
from typing import TypeVar

from bot.domain.errors import Unavailable
from bot.store.base import StoreUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")


class _Phase(enum.Enum):
    WAITING = "waiting"
    WRITING = "writing"
    ABANDONED = "abandoned"


class WriteDeadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._until = time.monotonic() + seconds
        self._phase = _Phase.WAITING

    @property
    def passed(self) -> bool:
        return self._phase is _Phase.ABANDONED or time.monotonic() >= self._until

    def begin(self) -> bool:
        """Called by the store once it holds the write lock: whether to write. From a True
        answer on, the caller waits for the write, whatever the time."""
        if self._phase is _Phase.WAITING and not self.passed:
            self._phase = _Phase.WRITING
            return True
        self._phase = _Phase.ABANDONED
        return False

    async def run(self, write: Awaitable[T]) -> T:
        """`write`'s result; StoreUnavailable if it has not begun by the deadline, in which
        case it never will."""
        task = asyncio.ensure_future(write)
        remaining = self._until - time.monotonic()
        done, _ = await asyncio.wait({task}, timeout=max(remaining, 0))
        if not done and self._phase is _Phase.WRITING:
            done, _ = await asyncio.wait({task})  # under way, with the lock: it ends soon
        if done:
            try:
                return task.result()
            except WriteAbandoned:
                pass  # it saw the deadline pass just before this did
        else:
            self._phase = _Phase.ABANDONED
            task.add_done_callback(_log_outcome)
        raise StoreUnavailable(f"the store did not answer within {self.seconds:.1f} s")


class WriteAbandoned(Unavailable):
    """The deadline passed before the write began: nothing was written."""


def _log_outcome(task: asyncio.Task[object]) -> None:
    if task.cancelled():
        return
    error = task.exception()
    if error is not None and not isinstance(error, WriteAbandoned):
        log.info("a write given up at its deadline failed later: %s", error)

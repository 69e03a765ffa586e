"""Listener work that goes on after Slack has its acknowledgement, kept track of for a stop.

Bolt acknowledges a request, then runs the rest of the listener (opening a modal, posting the
answer) as a task of its own that nothing else waits for. A stop waits for those tasks, for a
bounded time, so that an answer under way is still given.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.listener.async_listener_completion_handler import (
    AsyncListenerCompletionHandler,
)
from slack_bolt.listener.async_listener_start_handler import AsyncListenerStartHandler
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

log = logging.getLogger(__name__)


class InFlight:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def watch(self, app: AsyncApp) -> None:
        runner = app.listener_runner
        runner.listener_start_handler = _Started(self._tasks.add)
        runner.listener_completion_handler = _Finished(self._tasks.discard)

    async def finish(self, within: timedelta) -> None:
        """Wait for the listeners still running, for at most `within`."""
        pending = {task for task in self._tasks if not task.done()}
        if not pending:
            return
        log.info("waiting for %d answer(s) under way", len(pending))
        _, unfinished = await asyncio.wait(pending, timeout=within.total_seconds())
        if unfinished:
            log.warning("%d answer(s) still under way are cut short", len(unfinished))


class _TaskHook:
    """Hands the task a listener runs in to `on_task`, as Bolt starts or finishes it."""

    def __init__(self, on_task: Callable[[asyncio.Task[Any]], None]) -> None:
        self._on_task = on_task

    async def handle(self, request: AsyncBoltRequest, response: BoltResponse | None) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._on_task(task)


class _Started(_TaskHook, AsyncListenerStartHandler):
    pass


class _Finished(_TaskHook, AsyncListenerCompletionHandler):
    pass

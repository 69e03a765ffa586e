"""Listener work that goes on after Slack has its acknowledgement, kept track of for a stop.

Bolt acknowledges a request, then runs the rest of the listener (opening a modal, posting the
answer) as a task of its own that nothing else waits for. A stop waits for those tasks, for a
bounded time, so that an answer under way is still given.
"""

from __future__ import annotations

import asyncio
import logging
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
        runner.listener_start_handler = _Started(self._tasks)
        runner.listener_completion_handler = _Finished(self._tasks)

    async def finish(self, within: timedelta) -> None:
        """Wait for the listeners still running, for at most `within`."""
        pending = {task for task in self._tasks if not task.done()}
        if not pending:
            return
        log.info("waiting for %d answer(s) under way", len(pending))
        _, unfinished = await asyncio.wait(pending, timeout=within.total_seconds())
        if unfinished:
            log.warning("%d answer(s) still under way are cut short", len(unfinished))


class _Started(AsyncListenerStartHandler):
    def __init__(self, tasks: set[asyncio.Task[Any]]) -> None:
        self._tasks = tasks

    async def handle(self, request: AsyncBoltRequest, response: BoltResponse | None) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)


class _Finished(AsyncListenerCompletionHandler):
    def __init__(self, tasks: set[asyncio.Task[Any]]) -> None:
        self._tasks = tasks

    async def handle(self, request: AsyncBoltRequest, response: BoltResponse | None) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.discard(task)

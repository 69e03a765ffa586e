"""Waiting for something the bot does in the background, without sleeping longer than needed."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


async def eventually(
    probe: Callable[[], T | None] | Callable[[], Awaitable[T | None]],
    *,
    timeout: float = 20.0,
    what: str = "",
) -> T:
    """Poll `probe` (a function, or a coroutine function such as a read of the bot's store)
    until it returns something truthy; fail with `what` after `timeout`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            value: Any = probe()
            if inspect.isawaitable(value):
                value = await value
        except (AssertionError, LookupError):
            value = None
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or probe}")
        await asyncio.sleep(0.05)

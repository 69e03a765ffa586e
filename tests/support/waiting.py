"""Waiting for something the bot does in the background, without sleeping longer than needed."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from bot.emulator.aws_faults import ThreadedAwsFaultProxy
from bot.emulator.slack import FakeSlack

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


async def settled(
    reading: Callable[[], object], *, calm: float = 0.5, timeout: float = 30.0, what: str = ""
) -> None:
    """Wait until `reading` has returned the same for `calm` seconds; fail with `what` if it
    still changes after `timeout`. For checking that something did *not* happen."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    seen, since = reading(), loop.time()
    while loop.time() - since < calm:
        assert loop.time() < deadline, what or f"{reading} never settled"
        await asyncio.sleep(0.05)
        now = reading()
        if now != seen:
            seen, since = now, loop.time()


async def quiet(slack: FakeSlack, aws: ThreadedAwsFaultProxy, *, calm: float = 0.5) -> None:
    """Wait until neither Slack nor AWS has been called for `calm` seconds."""
    await settled(
        lambda: (len(slack.calls), len(aws.calls)), calm=calm, what="the bot never went quiet"
    )

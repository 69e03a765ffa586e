"""One leased runner for every durable workflow.

A workflow (account creation, break-glass grants, whatever comes next) says what is due and
runs one step of one item; the runner does the rest, and does it the same way for all:

- it sweeps for what is due every `poll_interval`, and at once when woken (something was
  saved that should run soon); a process that was down finds what fell due on its first sweep;
- it drives each item under a lease in the store, so that of several processes one acts;
- while a step runs it renews the lease every third of its term; a lease found taken by
  another process stops the step at once, before it sends anything more;
- when nothing more is due for the item, it releases the lease;
- stopped (SIGTERM) in the middle of a step, it keeps the lease for a full term instead: the
  step's AWS call may still be in flight in its thread, and nobody may act on the item until
  that call has surely ended. Stopped between steps, it releases as usual;
- if the process dies, its leases lapse at the end of their term and any process takes over;
  the workflow is told that it took over, to say so;
- a step that raises something unexpected (a CancelledError nobody sent included) is tried
  again on a later sweep; the `UNEXPECTED_ERRORS_TOLERATED`-th time in a row the workflow
  gives up on the item, with an error id the logs have too, rather than trying forever
  without anyone being told. A store that is unavailable for a while (a file another process
  keeps locked) is not the item's fault: the step is tried again, and nothing is counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.clock import Clock
from bot.domain.errors import Conflict, Unavailable
from bot.domain.operations import AwsFailure
from bot.tasks import cancel_all

log = logging.getLogger(__name__)

# A step that raises something unexpected this many times in a row ends its item as failed.
UNEXPECTED_ERRORS_TOLERATED = 3
# At most this many items are started per sweep; a full batch is followed by another sweep.
SWEEP_BATCH = 100


class Leases(Protocol):
    """One kind's leases in the store: conditional writes, so one owner holds each at a time."""

    async def take(self, item_id: str, owner: str, until: datetime) -> bool:
        """Take or renew the lease until `until`, unless another live owner holds it."""
        ...

    async def release(self, item_id: str, owner: str) -> None: ...
    async def abandoned(self, item_id: str, now: datetime) -> bool:
        """Whether the lease ran out without being released: the owner died mid-step."""
        ...


@dataclass(frozen=True)
class Bug:
    """An unexpected error a step kept raising, as the runner gives up on it."""

    error: BaseException
    error_id: str
    times: int

    def failure(self, step: str) -> AwsFailure:
        """The failure to show on the item: Outpost's own, with the id its logs have."""
        return AwsFailure(
            service="outpost",
            operation=step,
            code="InternalError",
            message=f"Outpost itself failed on this step {self.times} times: "
            f"{type(self.error).__name__}. Its logs have the details under error id "
            f"{self.error_id}.",
        )


class Workflow(Protocol):
    """A kind of durable work: what is due, and how to run one step of one item."""

    @property
    def name(self) -> str:
        """What an item is called in logs and lease owners: `operation`, `grant`."""
        ...

    @property
    def leases(self) -> Leases: ...

    async def due(self, now: datetime, limit: int) -> Sequence[str]:
        """Ids of items with a step due at `now` and no live lease, soonest first."""
        ...

    async def step(self, item_id: str, *, taken_over: bool) -> bool:
        """Run the item's next step if one is due now; whether one ran. `taken_over`: the
        item's last owner died holding its lease, which the step may say in its thread.

        Raises a `Conflict` when someone else saved the item meanwhile: it is read again on
        the next sweep. Anything else it raises is a bug, counted towards giving up."""
        ...

    async def give_up(self, item_id: str, bug: Bug) -> None:
        """End the item (or, where it must not end, show the failure): its steps keep
        raising something unexpected."""
        ...


class Runner:
    def __init__(
        self, workflow: Workflow, *, poll_interval: timedelta, lease: timedelta, clock: Clock
    ) -> None:
        self._workflow = workflow
        self._clock = clock
        self._poll_interval = poll_interval
        self._lease = lease
        self._owner = f"{workflow.name}-runner-{secrets.token_hex(4)}"
        self._wake = asyncio.Event()
        self._driving: dict[str, asyncio.Task[None]] = {}
        self._letting_go: set[asyncio.Task[None]] = set()
        self._unexpected: dict[str, int] = {}
        self._loop_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._loop_task = asyncio.create_task(self._loop(), name=f"{self._workflow.name}-runner")

    async def stop(self) -> None:
        await cancel_all([self._loop_task, *self._driving.values()])
        await asyncio.gather(*self._letting_go, return_exceptions=True)

    def wake(self) -> None:
        """Sweep now: something was saved that should run soon."""
        self._wake.set()

    async def sweep(self) -> int:
        """Start driving every item due now; how many were found."""
        due = await self._workflow.due(self._clock.now(), SWEEP_BATCH)
        for item_id in due:
            if item_id not in self._driving:
                self._driving[item_id] = asyncio.create_task(self._drive(item_id), name=item_id)
        return len(due)

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            try:
                found = await self.sweep()
            except Exception:
                log.exception("could not read the %ss due; trying again", self._workflow.name)
                found = 0
            if found >= SWEEP_BATCH:
                await asyncio.sleep(0)
                continue
            await self._clock.wait(self._wake, self._poll_interval)

    async def _drive(self, item_id: str) -> None:
        leases = self._workflow.leases
        heartbeat: asyncio.Task[None] | None = None
        in_step = interrupted = False
        try:
            taken_over = await leases.abandoned(item_id, self._clock.now())
            if not await leases.take(item_id, self._owner, self._lease_end()):
                return
            driving = asyncio.current_task()
            assert driving is not None
            heartbeat = asyncio.create_task(self._keep_lease(item_id, driving))
            while True:
                in_step = True
                ran = await self._workflow.step(item_id, taken_over=taken_over)
                in_step = False
                if not ran:
                    return
                taken_over = False
                self._unexpected.pop(item_id, None)
        except Conflict:
            log.info("%s %s was changed meanwhile; it will be read again", self.kind, item_id)
            self._wake.set()
        except Unavailable as error:
            # The store (a file another process keeps locked) or Slack, not the item: it is
            # tried again on a later sweep, and never counted towards giving up on it.
            log.warning("%s %s: %s; it will be tried again", self.kind, item_id, error)
        except Exception as error:
            await self._unexpected_error(item_id, error)
        except asyncio.CancelledError as error:
            if _cancelled_by_someone():
                interrupted = in_step
                raise
            # The step's own code raised it (a call of its was cancelled): not a stop.
            await self._unexpected_error(item_id, error)
        finally:
            if heartbeat is not None:
                heartbeat.cancel()
            try:
                await self._let_go(item_id, keep=interrupted)
            finally:
                self._driving.pop(item_id, None)

    @property
    def kind(self) -> str:
        return self._workflow.name

    async def _let_go(self, item_id: str, *, keep: bool) -> None:
        """Release the lease, or, `keep`ing it, take it for a full term from now."""

        async def let_go() -> None:
            if keep:
                await self._workflow.leases.take(item_id, self._owner, self._lease_end())
            else:
                await self._workflow.leases.release(item_id, self._owner)

        # Its own task, which `stop` waits for: a stop arriving now must not cut it short and
        # leave the item out of reach until the lease runs out.
        task = asyncio.create_task(let_go())
        self._letting_go.add(task)
        task.add_done_callback(self._let_go_done)
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.shield(task)

    def _let_go_done(self, task: asyncio.Task[None]) -> None:
        self._letting_go.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("could not let go of a %s's lease; it runs out on its own", self.kind)

    async def _keep_lease(self, item_id: str, driving: asyncio.Task[Any]) -> None:
        """Renew the lease while a step runs; a process that dies stops renewing it.

        A lease found taken means another process now acts on the item: this one stops at
        once rather than send anything more for it.
        """
        while True:
            await self._clock.sleep(self._lease / 3)
            try:
                renewed = await self._workflow.leases.take(item_id, self._owner, self._lease_end())
            except Exception:
                log.warning("%s %s: could not renew the lease yet", self.kind, item_id)
                continue
            if not renewed:
                log.error("%s %s: lease lost to another process; stopping", self.kind, item_id)
                driving.cancel()
                return

    async def _unexpected_error(self, item_id: str, error: BaseException) -> None:
        error_id = secrets.token_hex(4)
        times = self._unexpected.get(item_id, 0) + 1
        self._unexpected[item_id] = times
        log.error(
            "%s %s: unexpected error %s (%d of %d)",
            self.kind,
            item_id,
            error_id,
            times,
            UNEXPECTED_ERRORS_TOLERATED,
            exc_info=error,
        )
        if times < UNEXPECTED_ERRORS_TOLERATED:
            return
        del self._unexpected[item_id]
        try:
            await self._workflow.give_up(item_id, Bug(error, error_id, times))
        except Exception:
            log.exception(
                "%s %s: could not give up on it; it will be tried again", self.kind, item_id
            )

    def _lease_end(self) -> datetime:
        return self._clock.now() + self._lease


def _cancelled_by_someone() -> bool:
    """Whether the running task was cancelled (a stop, a lease lost), rather than handed a
    CancelledError by something it awaited."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0

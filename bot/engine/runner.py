"""The durable operation runner.

It drives every running operation found in the store, step after step, whoever started it:
on start-up that is how operations interrupted by a crash are resumed. A lease in the store
makes sure only one process acts on an operation at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from bot.clock import Clock
from bot.domain.events import Cancelled, Resumed, StepFailed
from bot.domain.operations import AwsFailure, Operation
from bot.engine.account_creation import AccountCreation
from bot.engine.ports import Narrator
from bot.store.base import StaleOperation, Store
from bot.store.deadline import WriteDeadline
from bot.tasks import cancel_all

log = logging.getLogger(__name__)

# A step that raises something unexpected this many times in a row fails its operation,
# rather than being tried forever without anyone being told.
UNEXPECTED_ERRORS_TOLERATED = 3


class Engine:
    def __init__(
        self,
        store: Store,
        workflow: AccountCreation,
        narrator: Narrator,
        *,
        poll_interval: timedelta,
        lease: timedelta,
        clock: Clock,
    ) -> None:
        self._store = store
        self._clock = clock
        self._workflow = workflow
        self._narrator = narrator
        self._poll_interval = poll_interval
        self._lease = lease
        self._owner = f"runner-{secrets.token_hex(4)}"
        self._wake = asyncio.Event()
        self._driving: dict[str, asyncio.Task[None]] = {}
        self._unexpected: dict[str, int] = {}
        self._loop_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._loop_task = asyncio.create_task(self._loop(), name="engine")

    async def stop(self) -> None:
        await cancel_all([self._loop_task, *self._driving.values()])

    async def submit(
        self, operation: Operation, *, deadline: WriteDeadline | None = None
    ) -> Operation:
        """Store a new operation with its card, and have it run. The store may refuse it
        (AccountAlreadyRequested, StoreUnavailable); then nothing is stored or posted."""
        card = self._narrator.card(operation)
        stored = await self._store.insert_operation(operation, [card], deadline=deadline)
        self._narrator.queued([card])
        self._wake.set()
        return stored

    async def _loop(self) -> None:
        while True:
            # Cleared before the look, not after: a wake-up that comes while it runs (a submit)
            # is then kept for the next round instead of waiting a whole poll interval.
            self._wake.clear()
            try:
                for operation_id in await self._store.runnable_operations(self._clock.now()):
                    if operation_id not in self._driving:
                        self._driving[operation_id] = asyncio.create_task(
                            self._drive(operation_id), name=operation_id
                        )
            except Exception:
                log.exception("could not read runnable operations; trying again")
            await self._clock.wait(self._wake, self._poll_interval)

    async def _drive(self, operation_id: str) -> None:
        heartbeat: asyncio.Task[None] | None = None
        interrupted = False
        try:
            # A lease that ran out without being released: the process acting on it died.
            taken_over = await self._store.lease_abandoned(operation_id, self._clock.now())
            if not await self._store.acquire_lease(operation_id, self._owner, self._lease_end()):
                return
            driving = asyncio.current_task()
            assert driving is not None
            heartbeat = asyncio.create_task(self._keep_lease(operation_id, driving))
            while True:
                operation = await self._store.get_operation(operation_id)
                if operation is None or operation.state.finished:
                    return
                cancel = await self._store.cancel_request(operation_id)
                if cancel is not None:
                    await self._cancel(operation, *cancel)
                    return
                if operation.next_run_at > self._clock.now():
                    return
                if taken_over:
                    taken_over = False
                    await self._narrator.tell(operation, Resumed(operation.step))
                await self._workflow.run_step(operation, self._store.save_operation)
                self._unexpected.pop(operation_id, None)
        except StaleOperation:
            log.info("operation %s was changed meanwhile; it will be read again", operation_id)
        except Exception as error:
            await self._unexpected_error(operation_id, error)
        except asyncio.CancelledError:
            interrupted = True
            raise
        finally:
            if heartbeat is not None:
                heartbeat.cancel()
            with contextlib.suppress(Exception):
                if interrupted:
                    # Stopped in the middle of a step. The AWS call may still be under way in its
                    # thread, so nobody may take over until it has surely ended: the lease is kept
                    # for a full term (longer than an AWS call can take) rather than released,
                    # and whoever picks the operation up then says it was interrupted.
                    await self._store.acquire_lease(operation_id, self._owner, self._lease_end())
                else:
                    await self._store.release_lease(operation_id, self._owner)
            self._driving.pop(operation_id, None)

    def _lease_end(self) -> datetime:
        return self._clock.now() + self._lease

    def wake(self) -> None:
        """Look for due work now: something was asked of an operation."""
        self._wake.set()

    async def _cancel(self, operation: Operation, by: str, at: datetime) -> None:
        """Applied between steps, by whoever holds the lease: a step in flight finishes first."""
        cancelled = operation.cancel(at, by)
        progress = operation.progress
        event = Cancelled(
            by=by,
            step=operation.step,
            request_id=progress.create_request_id,
            account_id=progress.account_id,
            moved=progress.moved,
            sent_unconfirmed=progress.create_sent_at is not None
            and progress.create_request_id is None
            and progress.account_id is None,
        )
        messages = [*self._narrator.lines(cancelled, event), self._narrator.card(cancelled)]
        await self._store.save_operation(cancelled, messages)
        self._narrator.queued(messages)
        await self._store.clear_cancel_request(operation.id)

    async def _unexpected_error(self, operation_id: str, error: Exception) -> None:
        error_id = secrets.token_hex(4)
        count = self._unexpected.get(operation_id, 0) + 1
        self._unexpected[operation_id] = count
        log.error(
            "operation %s: unexpected error %s (%d of %d)",
            operation_id,
            error_id,
            count,
            UNEXPECTED_ERRORS_TOLERATED,
            exc_info=error,
        )
        if count < UNEXPECTED_ERRORS_TOLERATED:
            return
        operation = await self._store.get_operation(operation_id)
        if operation is None or operation.state.finished:
            return
        failure = AwsFailure(
            service="outpost",
            operation=operation.step.value,
            code="InternalError",
            message=f"Outpost itself failed on this step {count} times: {type(error).__name__}. "
            f"Its logs have the details under error id {error_id}.",
        )
        failed = operation.fail(self._clock.now(), failure)
        messages = [
            *self._narrator.lines(failed, StepFailed(failed.step, failure)),
            self._narrator.card(failed),
        ]
        await self._store.save_operation(failed, messages)
        self._narrator.queued(messages)

    async def _keep_lease(self, operation_id: str, driving: asyncio.Task[Any]) -> None:
        """Renew the lease while a step runs; a process that dies stops renewing it.

        A lease found taken means another process now acts on the operation: this one stops
        at once rather than send anything more for it.
        """
        while True:
            await self._clock.sleep(self._lease / 3)
            try:
                renewed = await self._store.acquire_lease(
                    operation_id, self._owner, self._lease_end()
                )
            except Exception:
                log.warning("operation %s: could not renew the lease yet", operation_id)
                continue
            if not renewed:
                log.error("operation %s: lease lost to another process; stopping", operation_id)
                driving.cancel()
                return

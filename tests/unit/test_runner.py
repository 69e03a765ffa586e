"""The runner's one lease policy, on a scripted workflow over the in-memory store.

The items are operations in the store only for their leases; what a step does, and when it
ends, is up to each test. Whoever else a test says takes a lease is another process.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from bot.clock import FakeClock
from bot.engine.account_creation import OperationLeases
from bot.engine.runner import UNEXPECTED_ERRORS_TOLERATED, Bug, Runner
from bot.store import open_store
from bot.store.base import StaleOperation, Store, StoreUnavailable
from tests.unit.factories import operation

LEASE = timedelta(milliseconds=300)
POLL = timedelta(milliseconds=20)
FAR = timedelta(minutes=5)


class ScriptedSteps:
    """A workflow whose items have as many steps as a test gives them; a step may be held
    until the test lets it end, or raise what the test says."""

    name = "item"

    def __init__(self, store: Store, clock: FakeClock) -> None:
        self.clock = clock
        self.leases = OperationLeases(store)
        self.left: dict[str, int] = {}
        self.ran: list[tuple[str, bool, datetime]] = []  # item, taken over, when
        self.hold: asyncio.Event | None = None
        self.started = asyncio.Event()
        self.raises: BaseException | None = None
        self.script: list[BaseException | None] = []  # what each next step raises, then `raises`
        self.given_up: list[tuple[str, Bug]] = []

    async def due(self, now: datetime, limit: int) -> list[str]:
        return [item for item, left in self.left.items() if left][:limit]

    async def step(self, item_id: str, *, taken_over: bool) -> bool:
        if not self.left.get(item_id):
            return False
        self.ran.append((item_id, taken_over, self.clock.now()))
        self.started.set()
        if self.hold is not None:
            await self.hold.wait()
        raises = self.script.pop(0) if self.script else self.raises
        if raises is not None:
            raise raises
        self.left[item_id] -= 1
        return True

    async def give_up(self, item_id: str, bug: Bug) -> None:
        self.given_up.append((item_id, bug))
        self.left[item_id] = 0


async def until(
    condition: Callable[[], bool], *, ticking: FakeClock | None = None, within: float = 2.0
) -> None:
    """Wait for `condition`; with `ticking`, move that clock on a poll at a time meanwhile."""
    async with asyncio.timeout(within):
        while not condition():
            if ticking is not None:
                ticking.advance(POLL)
            await asyncio.sleep(0.002)


async def a_store_and_steps() -> tuple[Store, ScriptedSteps, FakeClock]:
    clock = FakeClock()
    store = await open_store("memory://", clock=clock)
    return store, ScriptedSteps(store, clock), clock


async def an_item(store: Store, steps: ScriptedSteps, count: int = 1) -> str:
    stored = await store.insert_operation(operation(at=steps.clock.now()))
    steps.left[stored.id] = count
    return stored.id


@asynccontextmanager
async def running(
    steps: ScriptedSteps, *, poll: timedelta = POLL, lease: timedelta = LEASE
) -> AsyncIterator[Runner]:
    runner = Runner(steps, poll_interval=poll, lease=lease, clock=steps.clock)
    await runner.start()
    try:
        yield runner
    finally:
        await runner.stop()


async def another_process_can_take(store: Store, clock: FakeClock, item_id: str) -> bool:
    return await store.acquire_lease(item_id, "another-process", clock.now() + FAR)


class TestLease:
    async def test_each_step_runs_under_the_lease_which_is_released_after(self):
        store, steps, clock = await a_store_and_steps()
        item = await an_item(store, steps, count=2)
        steps.hold = asyncio.Event()
        async with running(steps) as runner:
            await until(steps.started.is_set)
            assert not await another_process_can_take(store, clock, item)
            steps.hold.set()
            await until(lambda: not steps.left[item] and item not in runner._driving)
        assert [ran for ran, _, _ in steps.ran] == [item, item]
        assert await another_process_can_take(store, clock, item)

    async def test_the_lease_is_renewed_while_a_step_outlasts_its_term(self):
        store, steps, clock = await a_store_and_steps()
        item = await an_item(store, steps)
        steps.hold = asyncio.Event()
        async with running(steps):
            await until(steps.started.is_set)
            for _ in range(5):  # well past the first term, a renewal at a time
                await clock.until_waiting(2)  # the sweep loop, and the heartbeat
                clock.advance(LEASE / 3)
            await clock.until_waiting(2)
            assert not await store.lease_abandoned(item, clock.now())
            assert not await another_process_can_take(store, clock, item)
            steps.hold.set()

    async def test_a_lease_found_taken_stops_the_step_at_once(self):
        store, steps, clock = await a_store_and_steps()
        item = await an_item(store, steps)
        steps.hold = asyncio.Event()
        async with running(steps) as runner:
            await until(steps.started.is_set)
            # This process stalled past its term; another one took the item over.
            await store.release_lease(item, runner._owner)
            assert await another_process_can_take(store, clock, item)
            await clock.until_waiting(2)
            clock.advance(LEASE / 3)  # the heartbeat's next renewal finds it taken
            await until(lambda: item not in runner._driving)
            assert steps.left[item] == 1  # the step never went on


class TestStopping:
    async def test_a_stop_mid_step_keeps_the_lease_for_a_full_term(self):
        store, steps, clock = await a_store_and_steps()
        item = await an_item(store, steps)
        steps.hold = asyncio.Event()  # never set: the step's AWS call is still under way
        async with running(steps):
            await until(steps.started.is_set)
        stopped_at = clock.now()
        assert not await another_process_can_take(store, clock, item)
        assert await store.lease_abandoned(item, stopped_at + LEASE + timedelta(milliseconds=50))
        assert not await store.lease_abandoned(item, stopped_at + LEASE / 2)

    async def test_a_stop_while_the_lease_is_let_go_does_not_cut_that_short(self):
        store, steps, clock = await a_store_and_steps()
        steps.leases = SlowToLetGo(store)
        item = await an_item(store, steps)
        async with running(steps):
            await until(steps.leases.releasing.is_set)
        assert await another_process_can_take(store, clock, item)


class SlowToLetGo(OperationLeases):
    """Releases slowly, as a store does while another process holds its write lock."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self.releasing = asyncio.Event()

    async def release(self, item_id: str, owner: str) -> None:
        self.releasing.set()
        await asyncio.sleep(0.05)
        await super().release(item_id, owner)


class TestTakingOver:
    async def test_a_dead_process_lease_is_waited_out_then_taken_over(self):
        store, steps, clock = await a_store_and_steps()
        item = await an_item(store, steps)
        dead_until = clock.now() + LEASE
        assert await store.acquire_lease(item, "killed-process", dead_until)
        async with running(steps):
            await until(lambda: steps.ran != [], ticking=clock)
        ((ran, taken_over, at),) = steps.ran
        assert ran == item
        assert taken_over
        assert at >= dead_until

    async def test_an_item_let_go_is_not_said_to_be_taken_over(self):
        store, steps, clock = await a_store_and_steps()
        item = await an_item(store, steps)
        assert await store.acquire_lease(item, "other-process", clock.now() + FAR)
        await store.release_lease(item, "other-process")
        async with running(steps):
            await until(lambda: steps.ran != [])
        assert [taken_over for _, taken_over, _ in steps.ran] == [False]


class TestWakingUp:
    async def test_an_item_saved_runs_when_the_runner_is_woken_not_at_the_next_poll(self):
        store, steps, clock = await a_store_and_steps()
        async with running(steps, poll=timedelta(hours=1)) as runner:
            await clock.until_waiting(1)  # the first sweep found nothing
            item = await an_item(store, steps)
            runner.wake()
            await until(lambda: not steps.left[item])


class TestUnexpectedErrors:
    async def test_a_step_that_keeps_raising_ends_in_give_up_with_an_error_id(self, caplog):
        store, steps, clock = await a_store_and_steps()
        item = await an_item(store, steps)
        steps.raises = KeyError("a bug")
        async with running(steps):
            await until(lambda: steps.given_up != [], ticking=clock)
        assert len(steps.ran) == UNEXPECTED_ERRORS_TOLERATED
        ((given_up, bug),) = steps.given_up
        assert given_up == item
        assert (bug.times, type(bug.error)) == (UNEXPECTED_ERRORS_TOLERATED, KeyError)
        failure = bug.failure("step-name")
        assert (failure.service, failure.operation, failure.code) == (
            "outpost",
            "step-name",
            "InternalError",
        )
        assert f"error id {bug.error_id}" in failure.message
        assert bug.error_id in caplog.text
        assert await another_process_can_take(store, clock, item)

    async def test_a_step_that_works_again_starts_the_count_over(self):
        store, steps, clock = await a_store_and_steps()
        item = await an_item(store, steps, count=2)
        bugs: list[BaseException | None] = [KeyError("a bug")] * (UNEXPECTED_ERRORS_TOLERATED - 1)
        steps.script = [*bugs, None, *bugs, None]
        async with running(steps):
            await until(lambda: steps.left[item] == 0, ticking=clock)
        assert steps.given_up == []
        assert len(steps.ran) == 2 * UNEXPECTED_ERRORS_TOLERATED

    async def test_a_cancel_a_step_raises_by_itself_is_a_bug_not_a_stop(self):
        # A call inside the step that was cancelled, while nobody stopped the runner.
        store, steps, clock = await a_store_and_steps()
        item = await an_item(store, steps)
        steps.raises = asyncio.CancelledError()
        async with running(steps):
            await until(lambda: steps.given_up != [], ticking=clock)
        # Each run is the runner's own, not a takeover after a lease kept as if stopped.
        assert len(steps.ran) == UNEXPECTED_ERRORS_TOLERATED
        assert not any(taken_over for _, taken_over, _ in steps.ran)
        ((given_up, bug),) = steps.given_up
        assert (given_up, type(bug.error)) == (item, asyncio.CancelledError)
        assert await another_process_can_take(store, clock, item)

    async def test_a_store_unavailable_for_a_while_is_not_the_items_bug(self):
        store, steps, clock = await a_store_and_steps()
        item = await an_item(store, steps)
        locked: list[Exception | None] = [StoreUnavailable("database is locked")] * (
            UNEXPECTED_ERRORS_TOLERATED + 2
        )
        steps.script = [*locked, None]
        async with running(steps):
            await until(lambda: steps.left[item] == 0, ticking=clock)
        assert steps.given_up == []
        assert len(steps.ran) == UNEXPECTED_ERRORS_TOLERATED + 3

    async def test_someone_else_saving_the_item_is_not_a_bug(self):
        store, steps, clock = await a_store_and_steps()
        await an_item(store, steps)
        steps.raises = StaleOperation("saved meanwhile")
        async with running(steps):
            await until(lambda: len(steps.ran) > UNEXPECTED_ERRORS_TOLERATED, ticking=clock)
        assert steps.given_up == []

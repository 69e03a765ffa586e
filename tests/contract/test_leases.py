"""Leases on operations and grants: who may act on one, what is due to be acted on, and the
take-over of a lease whose owner stopped renewing it.

The store judges a lease against its own clock (acquiring takes no `now`), so these tests give
leases terms relative to that clock, and move it on to let a lease run out.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.contract.builders import active, approved, own_account
from tests.unit.factories import aws_failure, grant, operation

MINUTE = timedelta(minutes=1)


class TestRunnableOperations:
    async def test_only_running_operations_that_are_due_and_not_leased(self, store, clock):
        t = clock.now()
        due = await store.insert_operation(operation(at=t - timedelta(seconds=5)))
        due_earlier = await store.insert_operation(operation(at=t - timedelta(seconds=50)))
        later = await store.insert_operation(operation(at=t + MINUTE))
        done = await store.insert_operation(operation(at=t - timedelta(seconds=5)))
        await store.save_operation(done.fail(t, aws_failure()))
        leased = await store.insert_operation(operation(at=t - timedelta(seconds=5)))
        assert await store.acquire_lease(leased.id, "runner-a", t + 2 * MINUTE)
        expired = await store.insert_operation(operation(at=t - timedelta(seconds=6)))
        assert await store.acquire_lease(expired.id, "runner-a", t - timedelta(seconds=1))

        runnable = await store.runnable_operations(t)
        assert runnable == [due_earlier.id, expired.id, due.id]  # the longest due first
        assert later.id in await store.runnable_operations(t + 2 * MINUTE)
        assert leased.id in await store.runnable_operations(t + 3 * MINUTE)

    async def test_a_released_lease_makes_it_runnable_again(self, store, clock):
        t = clock.now()
        op = await store.insert_operation(operation(at=t))
        assert await store.acquire_lease(op.id, "runner-a", t + 2 * MINUTE)
        await store.release_lease(op.id, "runner-b")  # not the owner: no effect
        assert op.id not in await store.runnable_operations(t)
        await store.release_lease(op.id, "runner-a")
        assert op.id in await store.runnable_operations(t)

    async def test_a_wait_saved_by_the_engine_defers_the_operation(self, store, clock):
        t = clock.now()
        op = await store.insert_operation(operation(at=t))
        await store.save_operation(op.wait(t, timedelta(minutes=5)))
        assert await store.runnable_operations(t) == []
        assert await store.runnable_operations(t + timedelta(minutes=5)) == [op.id]


class OperationLeases:
    """Operations, leased with `acquire_lease`; a save moves one a step on."""

    unknown = "op-ffffff"

    @staticmethod
    async def insert(store, at):
        return await store.insert_operation(operation(at=at))

    @staticmethod
    async def acquire(store, item_id, owner, until):
        return await store.acquire_lease(item_id, owner, until)

    @staticmethod
    async def save(store, item, at):
        await store.save_operation(item.advance(at))

    @staticmethod
    async def assert_abandoned(store, item_id, now):
        assert await store.lease_abandoned(item_id, now)


class GrantLeases:
    """Grants, leased with `acquire_grant_lease`; a save approves one."""

    unknown = "bg-ffffff"

    @staticmethod
    async def insert(store, at):
        return await store.insert_grant(grant(at=at))

    @staticmethod
    async def acquire(store, item_id, owner, until):
        return await store.acquire_grant_lease(item_id, owner, until)

    @staticmethod
    async def save(store, item, at):
        await store.save_grant(approved(item, at))

    @staticmethod
    async def assert_abandoned(store, item_id, now):
        """The store answers whether a lease was abandoned for operations only."""


@pytest.fixture(params=[OperationLeases, GrantLeases], ids=["operation", "grant"])
def leased(request):
    return request.param


class TestLeases:
    async def test_exclusive_until_it_runs_out_then_taken_over(self, store, clock, leased):
        item = await leased.insert(store, clock.now())
        assert await leased.acquire(store, item.id, "runner-a", clock.now() + 2 * MINUTE)
        assert not await leased.acquire(store, item.id, "runner-b", clock.now() + 2 * MINUTE)
        # runner-a's last renewal was for a term that is over now: it stopped renewing.
        assert await leased.acquire(store, item.id, "runner-a", clock.now() - timedelta(seconds=1))
        assert await leased.acquire(store, item.id, "runner-b", clock.now() + 2 * MINUTE)
        assert not await leased.acquire(store, item.id, "runner-a", clock.now() + 2 * MINUTE)

    async def test_taken_over_once_the_clock_passes_its_term(self, store, clock, leased):
        item = await leased.insert(store, clock.now())
        assert await leased.acquire(store, item.id, "runner-a", clock.now() + 2 * MINUTE)
        clock.advance(2 * MINUTE)
        assert not await leased.acquire(store, item.id, "runner-b", clock.now() + 2 * MINUTE)
        clock.advance(timedelta(seconds=1))
        await leased.assert_abandoned(store, item.id, clock.now())
        assert await leased.acquire(store, item.id, "runner-b", clock.now() + 2 * MINUTE)
        assert not await leased.acquire(store, item.id, "runner-a", clock.now() + 2 * MINUTE)

    async def test_re_entrant_for_its_owner(self, store, clock, leased):
        item = await leased.insert(store, clock.now())
        assert await leased.acquire(store, item.id, "runner-a", clock.now() + MINUTE)
        assert await leased.acquire(store, item.id, "runner-a", clock.now() + 2 * MINUTE)
        assert not await leased.acquire(store, item.id, "runner-b", clock.now() + 2 * MINUTE)

    async def test_no_lease_on_an_unknown_one(self, store, clock, leased):
        assert not await leased.acquire(store, leased.unknown, "runner-a", clock.now())

    async def test_a_save_keeps_the_lease(self, store, clock, leased):
        item = await leased.insert(store, clock.now())
        assert await leased.acquire(store, item.id, "runner-a", clock.now() + 2 * MINUTE)
        await leased.save(store, item, clock.now())
        assert not await leased.acquire(store, item.id, "runner-b", clock.now() + 2 * MINUTE)


class TestOperationLeases:
    async def test_abandoned_once_its_term_is_over_without_a_release(self, store, clock):
        t = clock.now()
        op = await store.insert_operation(operation(at=t))
        assert not await store.lease_abandoned(op.id, t)  # never leased
        assert await store.acquire_lease(op.id, "runner-a", t + 2 * MINUTE)
        assert not await store.lease_abandoned(op.id, t + MINUTE)
        assert await store.lease_abandoned(op.id, t + 3 * MINUTE)
        await store.release_lease(op.id, "runner-a")
        assert not await store.lease_abandoned(op.id, t + 3 * MINUTE)
        assert not await store.lease_abandoned("op-ffffff", t)


class TestDueGrants:
    async def test_only_due_grants_soonest_first_leaving_out_the_leased(self, store, clock):
        t = clock.now()
        hour = timedelta(hours=1)
        expired = await store.insert_grant(active(t - hour - MINUTE))
        expired_earlier = await store.insert_grant(
            active(t - hour - 30 * MINUTE, request=own_account())
        )
        running = await store.insert_grant(active(t - 10 * MINUTE, request=own_account()))
        granting = await store.insert_grant(
            approved(grant(at=t - timedelta(seconds=5), request=own_account()), t)
        )
        leased = await store.insert_grant(active(t - 2 * hour, request=own_account()))
        assert await store.acquire_grant_lease(leased.id, "worker-a", t + 2 * MINUTE)
        lapsed = await store.insert_grant(active(t - 2 * hour, request=own_account()))
        assert await store.acquire_grant_lease(lapsed.id, "worker-a", t - timedelta(seconds=1))

        due = await store.due_grants(t + timedelta(seconds=1), 50)
        assert due == [lapsed.id, expired_earlier.id, expired.id, granting.id]
        assert await store.due_grants(t + timedelta(seconds=1), 2) == due[:2]
        assert running.id not in due
        assert running.id in await store.due_grants(t + hour, 50)

    async def test_a_released_lease_makes_it_due_again(self, store, clock):
        t = clock.now()
        g = await store.insert_grant(approved(grant(at=t), t))
        assert await store.acquire_grant_lease(g.id, "worker-a", t + 2 * MINUTE)
        await store.release_grant_lease(g.id, "worker-b")  # not the owner: no effect
        assert await store.due_grants(t, 10) == []
        await store.release_grant_lease(g.id, "worker-a")
        assert await store.due_grants(t, 10) == [g.id]

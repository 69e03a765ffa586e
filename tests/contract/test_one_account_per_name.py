"""One operation per account: a name or root email being created, or just created, is not
asked for again, whoever else writes at the same time."""

from __future__ import annotations

import asyncio

import pytest

from bot.domain.operations import OperationState
from bot.store.base import RECENT_OPERATIONS, AccountAlreadyRequested, StoreUnavailable
from bot.store.deadline import WriteDeadline
from tests.contract.builders import T, assert_one_stored, named, succeeded, thread
from tests.unit.factories import aws_failure, operation


class TestNewOperations:
    async def test_of_eight_inserts_at_once_one_is_stored(self, store):
        results = await asyncio.gather(
            *(store.insert_operation(named("same-name")) for _ in range(8)),
            return_exceptions=True,
        )
        await assert_one_stored(store, results)

    async def test_a_refused_insert_queues_nothing(self, store):
        await store.insert_operation(named("billing-dev"))
        again = named("billing-dev")
        with pytest.raises(AccountAlreadyRequested):
            await store.insert_operation(again, [thread(again.id, "never queued")])
        assert await store.get_operation(again.id) is None
        assert await store.pending_count() == 0

    @pytest.mark.parametrize(
        ("first", "second", "same"),
        [
            # The same email under another name, in another case.
            (
                ("billing-dev", "Team+Billing@example.com"),
                ("billing-test", "team+billing@EXAMPLE.com"),
                (False, True),
            ),
            # The same name with another email.
            (("billing-dev", "one@example.com"), ("billing-dev", "two@example.com"), (True, False)),
        ],
        ids=["same-email", "same-name"],
    )
    async def test_the_same_name_or_email_is_refused_and_says_which(
        self, store, first, second, same
    ):
        stored = await store.insert_operation(named(*first))
        with pytest.raises(AccountAlreadyRequested) as refused:
            await store.insert_operation(named(*second))
        assert refused.value.operation_id == stored.id
        assert (refused.value.name, refused.value.email) == same

    async def test_a_failed_creation_frees_its_name_and_a_succeeded_one_keeps_it(self, store):
        failed = await store.insert_operation(named("payments-dev"))
        await store.save_operation(failed.fail(T, aws_failure()))
        retried = await store.insert_operation(named("payments-dev"))
        await store.save_operation(succeeded(retried))
        with pytest.raises(AccountAlreadyRequested) as refused:
            await store.insert_operation(named("payments-dev"))
        assert refused.value.operation_id == retried.id
        assert not refused.value.running

    async def test_a_running_operation_is_named_before_a_succeeded_one(self, store):
        done = await store.insert_operation(named("payments-dev", "a@example.com"))
        await store.save_operation(succeeded(done))
        running = await store.insert_operation(named("payments-test", "b@example.com"))
        with pytest.raises(AccountAlreadyRequested) as refused:
            await store.insert_operation(named("payments-dev", "b@example.com"))
        assert refused.value.operation_id == running.id
        assert refused.value.running and refused.value.email and not refused.value.name

    async def test_a_success_older_than_the_recent_operations_no_longer_counts(self, store):
        done = await store.insert_operation(named("payments-dev"))
        await store.save_operation(succeeded(done))
        for _ in range(RECENT_OPERATIONS - 1):
            await store.insert_operation(operation(at=T))
        with pytest.raises(AccountAlreadyRequested):
            await store.insert_operation(named("payments-dev"))
        await store.insert_operation(operation(at=T))
        assert (await store.insert_operation(named("payments-dev"))).version == 1

    async def test_the_hint_names_what_an_insert_would_be_refused_for(self, store):
        assert await store.account_requested("payments-dev", "aws+x@example.com") is None
        running = await store.insert_operation(named("payments-dev"))
        hint = await store.account_requested("payments-dev", "aws+x@example.com")
        assert hint is not None
        assert (hint.operation_id, hint.running, hint.name, hint.email) == (
            running.id,
            True,
            True,
            False,
        )


class TestWriteDeadlines:
    async def test_an_insert_whose_deadline_has_passed_never_happens(self, store):
        wanted = named("late-insert")
        deadline = WriteDeadline(0)
        with pytest.raises(StoreUnavailable, match="did not answer"):
            await deadline.run(
                store.insert_operation(wanted, [thread(wanted.id, "x")], deadline=deadline)
            )
        await asyncio.sleep(0)  # the abandoned write has had its turn
        assert await store.get_operation(wanted.id) is None
        assert await store.pending_count() == 0
        again = await store.insert_operation(named("late-insert"))  # nothing holds the name
        assert await store.get_operation(again.id) == again

    async def test_an_insert_begun_before_its_deadline_is_waited_for(self, store):
        deadline = WriteDeadline(5.0)
        stored = await deadline.run(store.insert_operation(named("in-time"), deadline=deadline))
        assert await store.get_operation(stored.id) == stored


class TestRetries:
    async def failed(self, store, name: str):
        stored = await store.insert_operation(named(name))
        return await store.save_operation(stored.fail(T, aws_failure()))

    async def test_a_retry_is_refused_while_another_operation_creates_the_same_account(self, store):
        failed = await self.failed(store, "payments-dev")
        other = await store.insert_operation(named("payments-dev"))
        with pytest.raises(AccountAlreadyRequested) as refused:
            await store.save_operation(failed.retry(T, "UOPS"), [thread(failed.id, "retried")])
        assert refused.value.operation_id == other.id
        assert refused.value.running and refused.value.name
        assert (await store.get_operation(failed.id)).state is OperationState.FAILED
        assert await store.pending_count() == 0

    async def test_a_retry_is_refused_once_another_operation_created_the_account(self, store):
        failed = await self.failed(store, "payments-dev")
        done = await store.insert_operation(named("payments-dev"))
        await store.save_operation(succeeded(done))
        with pytest.raises(AccountAlreadyRequested) as refused:
            await store.save_operation(failed.retry(T, "UOPS"))
        assert refused.value.operation_id == done.id
        assert not refused.value.running

    async def test_of_two_failed_operations_retried_at_once_one_runs(self, store):
        first = await self.failed(store, "payments-dev")
        second = await self.failed(store, "payments-dev")
        results = await asyncio.gather(
            store.save_operation(first.retry(T, "UOPS")),
            store.save_operation(second.retry(T, "UOPS")),
            return_exceptions=True,
        )
        refused = [r for r in results if isinstance(r, AccountAlreadyRequested)]
        assert len(refused) == 1, results
        assert len(await store.running_operations()) == 1

    async def test_its_own_earlier_run_and_other_saves_of_a_running_operation_pass(self, store):
        failed = await self.failed(store, "payments-dev")
        retried = await store.save_operation(failed.retry(T, "UOPS"))
        assert (await store.save_operation(retried.advance(T))).state is OperationState.RUNNING

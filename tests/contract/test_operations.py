"""Operations: conditional saves, what a write queues with it, the queries the bot reads by."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.operations import AwsCall, OperationState, SlackCard, Step
from bot.store.base import StaleOperation
from tests.contract.builders import T, due_texts, succeeded, thread
from tests.unit.factories import aws_failure, operation


class TestConditionalWrites:
    async def test_insert_then_get_returns_the_same_operation_at_version_1(self, store):
        op = operation(at=T).record(T, create_request_id="car-1")
        stored = await store.insert_operation(op)
        assert stored.version == 1
        assert await store.get_operation(op.id) == stored
        assert await store.get_operation("op-000000") is None

    async def test_save_bumps_the_version_and_keeps_every_field(self, store):
        stored = await store.insert_operation(operation(at=T))
        changed = stored.advance(T).record(T, create_request_id="car-2")
        saved = await store.save_operation(changed)
        assert saved.version == 2
        read = await store.get_operation(stored.id)
        assert read == saved
        assert read.step is Step.WAIT_FOR_ACCOUNT
        assert read.progress.create_request_id == "car-2"

    async def test_a_stale_save_is_refused_and_changes_nothing(self, store):
        stored = await store.insert_operation(operation(at=T))
        first = await store.save_operation(stored.advance(T), [thread(stored.id, "advanced")])
        with pytest.raises(StaleOperation):
            await store.save_operation(stored.fail(T, aws_failure()), [thread(stored.id, "lost")])
        read = await store.get_operation(stored.id)
        assert read == first
        assert read.state is OperationState.RUNNING
        assert read.failure is None
        assert await store.pending_count() == 1

    async def test_a_save_of_an_operation_never_stored_is_refused(self, store):
        with pytest.raises(StaleOperation):
            await store.save_operation(operation(at=T))
        assert await store.running_operations() == []

    async def test_a_failure_survives_the_store(self, store):
        stored = await store.insert_operation(operation(at=T))
        failed = await store.save_operation(stored.fail(T, aws_failure()))
        read = await store.get_operation(stored.id)
        assert read.failure == aws_failure()
        assert read == failed

    async def test_messages_are_queued_with_the_write(self, store):
        op = operation(at=T)
        stored = await store.insert_operation(op, [thread(op.id, "created")])
        assert await due_texts(store) == [(op.id, "created")]
        await store.save_operation(stored.advance(T), [thread(op.id, "advanced")])
        assert await store.pending_count() == 2


class TestAwsCalls:
    async def test_kept_in_order_per_operation(self, store):
        calls = [
            AwsCall(
                service="organizations",
                operation=name,
                request_id=f"req-{i}",
                outcome="ok",
                duration_ms=3,
                attempt=1,
                at=T,
            )
            for i, name in enumerate(["CreateAccount", "DescribeCreateAccountStatus"])
        ]
        for call in calls:
            await store.record_call("op-aaaaaa", call)
        await store.record_call("op-bbbbbb", calls[0])
        assert await store.calls_for("op-aaaaaa") == calls
        assert await store.calls_for("op-cccccc") == []


class TestCards:
    async def test_set_then_get(self, store):
        assert await store.get_card("op-1") is None
        await store.set_card("op-1", SlackCard(channel="CPLATFORM", ts="1700000000.000100"))
        assert await store.get_card("op-1") == SlackCard(
            channel="CPLATFORM", ts="1700000000.000100"
        )

    async def test_moving_a_card_replaces_where_it_is(self, store):
        await store.set_card("op-1", SlackCard(channel="CPLATFORM", ts="1.1"))
        await store.set_card("op-1", SlackCard(channel="DUENGINEER", ts="2.2"))
        assert await store.get_card("op-1") == SlackCard(channel="DUENGINEER", ts="2.2")
        assert await store.get_card("op-2") is None

    async def test_a_card_names_its_operation(self, store):
        op = await store.insert_operation(operation(at=T))
        await store.set_card(op.id, SlackCard(channel="CPLATFORM", ts="1.1"))
        assert await store.operation_for_card("CPLATFORM", "1.1") == op
        assert await store.operation_for_card("CPLATFORM", "1.2") is None
        assert await store.operation_for_card("COTHER", "1.1") is None

    async def test_a_message_is_the_card_of_whatever_was_set_there_last(self, store):
        first = await store.insert_operation(operation(at=T))
        second = await store.insert_operation(operation(at=T))
        await store.set_card(first.id, SlackCard(channel="CPLATFORM", ts="1.1"))
        await store.set_card(second.id, SlackCard(channel="CPLATFORM", ts="1.1"))
        assert await store.operation_for_card("CPLATFORM", "1.1") == second
        assert await store.get_card(first.id) is None


class TestCancelRequests:
    async def test_the_first_request_wins_and_clearing_forgets_it(self, store):
        await store.request_cancel("op-dddddd", "UENGINEER", T)
        await store.request_cancel("op-dddddd", "UOPS", T + timedelta(seconds=1))
        assert await store.cancel_request("op-dddddd") == ("UENGINEER", T)
        await store.clear_cancel_request("op-dddddd")
        assert await store.cancel_request("op-dddddd") is None

    async def test_a_cancel_request_makes_a_waiting_operation_runnable(self, store):
        op = await store.insert_operation(operation(at=T))
        waiting = await store.save_operation(op.wait(T, timedelta(minutes=5)))
        assert await store.runnable_operations(T) == []
        await store.request_cancel(waiting.id, "UOPS", T)
        assert await store.runnable_operations(T) == [waiting.id]
        await store.save_operation(waiting.cancel(T, "UOPS"))
        assert await store.runnable_operations(T) == []


class TestListings:
    async def test_running_operations_in_the_order_they_were_created(self, store):
        first = await store.insert_operation(operation(at=T + timedelta(minutes=5)))
        done = await store.insert_operation(operation(at=T))
        await store.save_operation(succeeded(done))
        last = await store.insert_operation(operation(at=T - timedelta(minutes=5)))
        assert [op.id for op in await store.running_operations()] == [first.id, last.id]

    async def test_recent_operations_are_every_running_one_and_the_latest_created(self, store):
        old_running = await store.insert_operation(operation(at=T))
        old_failed = await store.insert_operation(operation(at=T))
        await store.save_operation(old_failed.fail(T, aws_failure()))
        latest = []
        for _ in range(3):
            op = await store.insert_operation(operation(at=T))
            latest.append(await store.save_operation(succeeded(op)))
        recent = await store.recent_operations(3)
        assert sorted(op.id for op in recent) == sorted([old_running.id, *(op.id for op in latest)])
        assert {op.id: op for op in recent}[latest[0].id] == latest[0]
        assert [op.id for op in await store.recent_operations(0)] == [old_running.id]

    async def test_recent_operations_come_newest_first(self, store):
        """The Home tab lists a person's accounts and operations in this order, and shows the
        first few: the newest, not whichever the store met first."""
        created = []
        for i in range(12):
            op = await store.insert_operation(operation(at=T + timedelta(minutes=i)))
            if i % 3:
                op = await store.save_operation(succeeded(op))
            created.append(op.id)
        assert [op.id for op in await store.recent_operations(8)] == [
            op_id for i, op_id in enumerate(created) if i >= 4 or i % 3 == 0
        ][::-1]

    async def test_operations_for_accounts_newest_first(self, store):
        ops = []
        for account in ["111111111111", "222222222222", "111111111111", None]:
            op = await store.insert_operation(operation(at=T))
            ops.append(await store.save_operation(op.record(T, account_id=account)))
        assert await store.operations_for_account("111111111111") == [ops[2], ops[0]]
        assert await store.operations_for_accounts(["111111111111", "222222222222"]) == [
            ops[2],
            ops[1],
            ops[0],
        ]
        assert await store.operations_for_accounts([]) == []
        assert await store.operations_for_account("333333333333") == []

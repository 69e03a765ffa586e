"""The SQLite store on a real file: operations, leases, cards and the outbox."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.alerts import PostedAlert
from bot.domain.operations import AwsCall, OperationState, SlackCard, Step
from bot.domain.outbox import Delivery, OutboxMessage
from bot.store.base import AccountAlreadyRequested, StaleOperation, StoreUnavailable
from bot.store.deadline import WriteAbandoned, WriteDeadline
from bot.store.sqlite import SCHEMA, SqliteStore
from tests.unit.factories import account_request, aws_failure, operation


def now() -> datetime:
    return datetime.now(UTC)


def thread(stream: str, text: str) -> OutboxMessage:
    return OutboxMessage(stream=stream, delivery=Delivery.THREAD, text=text)


def card(stream: str) -> OutboxMessage:
    return OutboxMessage(stream=stream, delivery=Delivery.CARD)


async def due_texts(store: SqliteStore, at: datetime | None = None) -> list[tuple[str, str]]:
    entries = await store.due_messages(at or now(), 50)
    return [(e.message.stream, e.message.text or e.message.delivery.value) for e in entries]


class TestOperations:
    async def test_insert_then_get_returns_the_same_operation_at_version_1(self, store):
        op = operation(at=now()).record(now(), create_request_id="car-1")
        stored = await store.insert_operation(op)
        assert stored.version == 1
        assert await store.get_operation(op.id) == stored
        assert await store.get_operation("op-000000") is None

    async def test_save_bumps_the_version_and_keeps_every_field(self, store):
        stored = await store.insert_operation(operation(at=now()))
        changed = stored.advance(now()).record(now(), create_request_id="car-2")
        saved = await store.save_operation(changed)
        assert saved.version == 2
        read = await store.get_operation(stored.id)
        assert read == saved
        assert read.step is Step.WAIT_FOR_ACCOUNT
        assert read.progress.create_request_id == "car-2"

    async def test_a_stale_save_is_refused_and_changes_nothing(self, store):
        stored = await store.insert_operation(operation(at=now()))
        first = await store.save_operation(stored.advance(now()))
        with pytest.raises(StaleOperation):
            await store.save_operation(stored.fail(now(), aws_failure()))
        read = await store.get_operation(stored.id)
        assert read == first
        assert read.state is OperationState.RUNNING
        assert read.failure is None

    async def test_a_failure_survives_the_store(self, store):
        stored = await store.insert_operation(operation(at=now()))
        failed = await store.save_operation(stored.fail(now(), aws_failure()))
        read = await store.get_operation(stored.id)
        assert read.failure == aws_failure()
        assert read == failed

    async def test_aws_calls_are_kept_in_order_per_operation(self, store):
        calls = [
            AwsCall(
                service="organizations",
                operation=name,
                request_id=f"req-{i}",
                outcome="ok",
                duration_ms=3,
                attempt=1,
                at=now(),
            )
            for i, name in enumerate(["CreateAccount", "DescribeCreateAccountStatus"])
        ]
        for call in calls:
            await store.record_call("op-aaaaaa", call)
        await store.record_call("op-bbbbbb", calls[0])
        assert await store.calls_for("op-aaaaaa") == calls
        assert await store.calls_for("op-cccccc") == []


class TestRunnableOperations:
    async def test_only_running_operations_that_are_due_and_not_leased(self, store):
        t = now()
        due = await store.insert_operation(operation(at=t - timedelta(seconds=5)))
        due_earlier = await store.insert_operation(operation(at=t - timedelta(seconds=50)))
        later = await store.insert_operation(operation(at=t + timedelta(minutes=1)))
        done = await store.insert_operation(operation(at=t - timedelta(seconds=5)))
        await store.save_operation(done.fail(t, aws_failure()))
        leased = await store.insert_operation(operation(at=t - timedelta(seconds=5)))
        assert await store.acquire_lease(leased.id, "runner-a", t + timedelta(minutes=2))
        expired = await store.insert_operation(operation(at=t - timedelta(seconds=5)))
        assert await store.acquire_lease(expired.id, "runner-a", t - timedelta(seconds=1))

        runnable = await store.runnable_operations(t)
        assert set(runnable) == {due.id, due_earlier.id, expired.id}
        assert runnable.index(due_earlier.id) < runnable.index(due.id)  # oldest first
        assert later.id in await store.runnable_operations(t + timedelta(minutes=2))

    async def test_a_released_lease_makes_it_runnable_again(self, store):
        op = await store.insert_operation(operation(at=now()))
        assert await store.acquire_lease(op.id, "runner-a", now() + timedelta(minutes=2))
        await store.release_lease(op.id, "runner-b")  # not the owner: no effect
        assert op.id not in await store.runnable_operations(now())
        await store.release_lease(op.id, "runner-a")
        assert op.id in await store.runnable_operations(now())

    async def test_a_wait_saved_by_the_engine_defers_the_operation(self, store):
        op = await store.insert_operation(operation(at=now()))
        await store.save_operation(op.wait(now(), timedelta(minutes=5)))
        assert await store.runnable_operations(now()) == []


class TestLeases:
    async def test_exclusive_until_it_expires(self, store):
        op = await store.insert_operation(operation(at=now()))
        assert await store.acquire_lease(op.id, "runner-a", now() + timedelta(milliseconds=150))
        assert not await store.acquire_lease(op.id, "runner-b", now() + timedelta(minutes=2))
        await asyncio.sleep(0.2)
        assert await store.acquire_lease(op.id, "runner-b", now() + timedelta(minutes=2))
        assert not await store.acquire_lease(op.id, "runner-a", now() + timedelta(minutes=2))

    async def test_re_entrant_for_its_owner(self, store):
        op = await store.insert_operation(operation(at=now()))
        assert await store.acquire_lease(op.id, "runner-a", now() + timedelta(minutes=1))
        assert await store.acquire_lease(op.id, "runner-a", now() + timedelta(minutes=2))
        assert not await store.acquire_lease(op.id, "runner-b", now() + timedelta(minutes=2))

    async def test_no_lease_on_an_unknown_operation(self, store):
        assert not await store.acquire_lease("op-ffffff", "runner-a", now())


class TestTwoProcessesOnOneFile:
    async def test_each_sees_the_others_writes(self, store, db_path):
        other = await SqliteStore.open(db_path)
        try:
            stored = await store.insert_operation(operation(at=now()))
            assert await other.get_operation(stored.id) == stored
            saved = await other.save_operation(stored.advance(now()))
            assert await store.get_operation(stored.id) == saved
            with pytest.raises(StaleOperation):
                await store.save_operation(stored.advance(now()))
            await other.enqueue(thread(stored.id, "from the other process"))
            assert await due_texts(store) == [(stored.id, "from the other process")]
        finally:
            await other.close()

    async def test_only_one_holds_the_lease(self, store, db_path):
        other = await SqliteStore.open(db_path)
        try:
            op = await store.insert_operation(operation(at=now()))
            until = now() + timedelta(minutes=2)
            results = await asyncio.gather(
                store.acquire_lease(op.id, "runner-a", until),
                other.acquire_lease(op.id, "runner-b", until),
            )
            assert sorted(results) == [False, True]
            holder, stranger = ("runner-a", other) if results[0] else ("runner-b", store)
            assert not await stranger.acquire_lease(op.id, "runner-c", until)
            assert op.id not in await stranger.runnable_operations(now())
            owner_store = store if holder == "runner-a" else other
            await owner_store.release_lease(op.id, holder)
            assert await stranger.acquire_lease(op.id, "runner-c", until)
        finally:
            await other.close()


class TestOutbox:
    async def test_a_stream_is_delivered_in_order(self, store):
        await store.enqueue(thread("op-1", "first"))
        await store.enqueue(thread("op-1", "second"))
        entries = await store.due_messages(now(), 50)
        assert [e.message.text for e in entries] == ["first"]  # the second waits
        await store.mark_sent(entries[0].id)
        assert await due_texts(store) == [("op-1", "second")]
        await store.mark_sent((await store.due_messages(now(), 50))[0].id)
        assert await due_texts(store) == []
        assert await store.pending_count() == 0

    async def test_streams_are_independent(self, store):
        await store.enqueue(thread("op-1", "a1"))
        await store.enqueue(thread("op-2", "b1"))
        await store.enqueue(thread("op-1", "a2"))
        await store.enqueue(thread("op-3", "c1"))
        assert await due_texts(store) == [("op-1", "a1"), ("op-2", "b1"), ("op-3", "c1")]
        entries = await store.due_messages(now(), 2)
        assert len(entries) == 2  # the limit is honoured

    async def test_a_waiting_card_refresh_is_not_queued_twice(self, store):
        await store.enqueue(card("op-1"))  # the head of the stream: it may be in delivery,
        await store.enqueue(card("op-1"))  # so a refresh is queued behind it
        await store.enqueue(thread("op-1", "line"))
        await store.enqueue(card("op-1"))  # a refresh is already waiting: not repeated
        await store.enqueue(card("op-2"))
        assert await store.pending_count() == 4

        head = (await store.due_messages(now(), 50))[0]
        assert head.message.delivery is Delivery.CARD
        await store.mark_sent(head.id)
        await store.enqueue(card("op-1"))  # the waiting refresh is now the head
        assert await store.pending_count() == 4
        await store.enqueue(card("op-1"))
        assert await store.pending_count() == 4

    async def test_a_message_retried_later_is_not_due_and_holds_its_stream(self, store):
        await store.enqueue(thread("op-1", "first"))
        await store.enqueue(thread("op-1", "second"))
        await store.enqueue(thread("op-2", "other"))
        first = (await store.due_messages(now(), 50))[0]
        not_before = now() + timedelta(seconds=30)
        await store.retry_later(first.id, not_before, "HTTP 503")
        assert await due_texts(store) == [("op-2", "other")]
        later = await store.due_messages(not_before + timedelta(seconds=1), 50)
        assert [(e.message.text, e.attempts) for e in later] == [("first", 1), ("other", 0)]

    async def test_a_dead_message_unblocks_its_stream(self, store):
        await store.enqueue(thread("op-1", "refused"))
        await store.enqueue(thread("op-1", "next"))
        first = (await store.due_messages(now(), 50))[0]
        await store.mark_dead(first.id, "invalid_blocks")
        assert await due_texts(store) == [("op-1", "next")]
        assert await store.pending_count() == 1

    async def test_messages_keep_their_blocks_and_recipient(self, store):
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi* <@U1>"}}]
        message = OutboxMessage(
            stream="op-1", delivery=Delivery.DIRECT, text="hi", blocks=blocks, user="U1"
        )
        await store.enqueue(message)
        (entry,) = await store.due_messages(now(), 50)
        assert entry.message == message
        assert entry.attempts == 0


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


class TestStuckAlerts:
    EVERY = timedelta(minutes=15)

    async def test_one_alert_per_stall_and_period(self, store):
        stalled_at, t = now() - timedelta(minutes=20), now()
        assert await store.claim_stuck_alert("op-aaaaaa", stalled_at, t, self.EVERY)
        assert not await store.claim_stuck_alert("op-aaaaaa", stalled_at, t, self.EVERY)
        later = t + timedelta(minutes=14)
        assert not await store.claim_stuck_alert("op-aaaaaa", stalled_at, later, self.EVERY)
        assert await store.claim_stuck_alert("op-aaaaaa", stalled_at, t + self.EVERY, self.EVERY)

    async def test_a_new_stall_after_moving_alerts_again(self, store):
        t = now()
        assert await store.claim_stuck_alert("op-bbbbbb", t - timedelta(hours=1), t, self.EVERY)
        moved = t - timedelta(minutes=16)
        assert await store.claim_stuck_alert("op-bbbbbb", moved, t, self.EVERY)

    async def test_two_processes_alert_once(self, store, db_path):
        other = await SqliteStore.open(db_path)
        try:
            stalled_at, t = now() - timedelta(minutes=20), now()
            claims = await asyncio.gather(
                store.claim_stuck_alert("op-cccccc", stalled_at, t, self.EVERY),
                other.claim_stuck_alert("op-cccccc", stalled_at, t, self.EVERY),
            )
        finally:
            await other.close()
        assert sorted(claims) == [False, True]


def posted_alert(operation_id: str, ts: str = "1700000000.000200") -> PostedAlert:
    return PostedAlert(
        operation_id=operation_id,
        channel="CPLATFORM",
        ts=ts,
        stalled_since=now() - timedelta(minutes=20),
        text="looks stuck",
        blocks=[{"type": "actions", "elements": []}],
    )


def edit_of(alert: PostedAlert) -> OutboxMessage:
    return OutboxMessage(
        stream=alert.operation_id,
        delivery=Delivery.EDIT,
        channel=alert.channel,
        ts=alert.ts,
        text="moved on",
    )


class TestPostedAlerts:
    async def test_an_alert_is_settled_once_with_its_edit_queued_in_the_same_write(self, store):
        alert = posted_alert("op-aaaaaa")
        await store.remember_alert(alert)
        await store.remember_alert(alert)  # delivered again: still one alert
        assert await store.unsettled_alerts("op-aaaaaa") == [alert]

        assert await store.settle_alert(alert, edit_of(alert))
        assert not await store.settle_alert(alert, edit_of(alert))

        assert await store.unsettled_alerts("op-aaaaaa") == []
        assert await store.posted_alert(alert.channel, alert.ts) == alert
        assert await due_texts(store) == [("op-aaaaaa", "moved on")]

    async def test_two_processes_settle_an_alert_once(self, store, db_path):
        alert = posted_alert("op-bbbbbb")
        await store.remember_alert(alert)
        other = await SqliteStore.open(db_path)
        try:
            settled = await asyncio.gather(
                store.settle_alert(alert, edit_of(alert)),
                other.settle_alert(alert, edit_of(alert)),
            )
        finally:
            await other.close()
        assert sorted(settled) == [False, True]
        assert await store.pending_count() == 1

    async def test_an_alert_not_on_record_is_not_settled(self, store):
        alert = posted_alert("op-cccccc")
        assert await store.posted_alert(alert.channel, alert.ts) is None
        assert not await store.settle_alert(alert, edit_of(alert))
        assert await store.pending_count() == 0

    async def test_a_file_made_before_alerts_were_kept_is_upgraded(self, tmp_path):
        path = tmp_path / "old.db"
        with sqlite3.connect(path) as db:
            db.executescript(SCHEMA)
            db.execute("DROP TABLE posted_alerts")
        db.close()
        upgraded = await SqliteStore.open(str(path))
        try:
            alert = posted_alert("op-dddddd")
            await upgraded.remember_alert(alert)
            assert await upgraded.unsettled_alerts("op-dddddd") == [alert]
        finally:
            await upgraded.close()


class TestCancelRequests:
    async def test_the_first_request_wins_and_clearing_forgets_it(self, store):
        at = now()
        await store.request_cancel("op-dddddd", "UENGINEER", at)
        await store.request_cancel("op-dddddd", "UOPS", at + timedelta(seconds=1))
        requested = await store.cancel_request("op-dddddd")
        assert requested is not None and requested[0] == "UENGINEER"
        await store.clear_cancel_request("op-dddddd")
        assert await store.cancel_request("op-dddddd") is None


class TestOutboxClaims:
    async def test_a_claimed_head_is_not_given_to_another_owner_until_the_claim_ends(self, store):
        await store.enqueue(thread("op-eeeeee", "hello"))
        t = now()
        (claimed,) = await store.claim_due_messages("a", t, 10, timedelta(minutes=1))
        assert await store.claim_due_messages("b", t, 10, timedelta(minutes=1)) == []
        later = t + timedelta(minutes=2)
        (again,) = await store.claim_due_messages("b", later, 10, timedelta(minutes=1))
        assert again.id == claimed.id

    async def test_a_message_put_back_for_later_is_free_to_claim(self, store):
        await store.enqueue(thread("op-ffffff", "hello"))
        t = now()
        (claimed,) = await store.claim_due_messages("a", t, 10, timedelta(minutes=1))
        await store.retry_later(claimed.id, t, "HTTP 503")
        assert len(await store.claim_due_messages("b", t, 10, timedelta(minutes=1))) == 1


@contextmanager
def write_locked(db_path: str) -> Iterator[None]:
    """Another process holds the file's write lock (as a long write or a backup would)."""
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def named(name: str, email: str | None = None):
    return operation(
        at=now(), request=account_request(name=name, email=email or f"aws+{name}@example.com")
    )


class TestAnotherProcessHoldingTheWriteLock:
    async def test_reads_do_not_wait_behind_a_write_kept_waiting(self, store, db_path):
        stored = await store.insert_operation(operation(at=now()))
        with write_locked(db_path):
            waiting = asyncio.create_task(store.enqueue(thread(stored.id, "queued")))
            await asyncio.sleep(0.1)  # the write is now waiting for the lock
            started = time.monotonic()
            assert await store.get_operation(stored.id) == stored
            assert await store.runnable_operations(now()) == [stored.id]
            assert time.monotonic() - started < 1.0
            assert not waiting.done()
        await waiting
        assert await due_texts(store) == [(stored.id, "queued")]

    async def test_an_insert_not_begun_by_its_deadline_never_happens(self, store, db_path):
        wanted = named("late-insert")
        with write_locked(db_path):
            deadline = WriteDeadline(0.3)
            with pytest.raises(StoreUnavailable, match=r"did not answer within 0\.3 s"):
                await deadline.run(store.insert_operation(wanted, deadline=deadline))
            await asyncio.sleep(0.3)
        # The lock is gone well before the busy timeout: the insert could go through now.
        await asyncio.sleep(0.5)
        assert await store.get_operation(wanted.id) is None
        assert await store.runnable_operations(now()) == []
        again = await store.insert_operation(named("late-insert"))  # nothing holds the name
        assert await store.get_operation(again.id) == again

    async def test_an_insert_begun_before_its_deadline_is_waited_for(self, store):
        deadline = WriteDeadline(1.0)
        stored = await deadline.run(store.insert_operation(named("in-time"), deadline=deadline))
        assert await store.get_operation(stored.id) == stored


class TestWriteDeadline:
    async def test_a_write_begun_in_time_is_waited_for_past_the_deadline(self):
        deadline = WriteDeadline(0.05)

        async def write() -> str:
            assert deadline.begin()
            await asyncio.sleep(0.2)  # a slow commit
            return "written"

        assert await deadline.run(write()) == "written"

    async def test_a_write_that_finds_the_deadline_passed_is_not_saved(self):
        deadline = WriteDeadline(0.05)

        async def write() -> str:
            await asyncio.sleep(0.05)  # the lock comes just as the deadline passes
            if not deadline.begin():
                raise WriteAbandoned()
            return "written"

        with pytest.raises(StoreUnavailable, match="did not answer"):
            await deadline.run(write())
        assert not deadline.begin()


class TestOneAccountPerNameAndEmail:
    async def test_of_eight_inserts_at_once_from_two_processes_one_is_stored(self, store, db_path):
        other = await SqliteStore.open(db_path)
        try:
            results = await asyncio.gather(
                *(
                    (store if i % 2 else other).insert_operation(named("same-name"))
                    for i in range(8)
                ),
                return_exceptions=True,
            )
        finally:
            await other.close()
        stored = [r for r in results if not isinstance(r, BaseException)]
        refused = [r for r in results if isinstance(r, AccountAlreadyRequested)]
        assert len(stored) == 1 and len(refused) == 7, results
        assert {r.operation_id for r in refused} == {stored[0].id}
        assert all(r.running and r.name and r.email for r in refused)
        assert [op.id for op in await store.running_operations()] == [stored[0].id]

    async def test_the_same_email_under_another_name_is_refused(self, store):
        first = await store.insert_operation(named("billing-dev", "Team+Billing@example.com"))
        with pytest.raises(AccountAlreadyRequested) as refused:
            await store.insert_operation(named("billing-test", "team+billing@EXAMPLE.com"))
        assert refused.value.operation_id == first.id
        assert (refused.value.name, refused.value.email) == (False, True)

    async def test_a_failed_creation_frees_its_name_and_a_succeeded_one_keeps_it(self, store):
        failed = await store.insert_operation(named("payments-dev"))
        await store.save_operation(failed.fail(now(), aws_failure()))
        retried = await store.insert_operation(named("payments-dev"))
        done = retried
        while done.state is OperationState.RUNNING:
            done = done.advance(now())
        await store.save_operation(done)
        with pytest.raises(AccountAlreadyRequested) as refused:
            await store.insert_operation(named("payments-dev"))
        assert refused.value.operation_id == retried.id
        assert not refused.value.running

    async def test_a_file_made_before_the_check_existed_is_upgraded(self, tmp_path):
        path = str(tmp_path / "earlier.db")
        earlier = named("kept-running")
        with sqlite3.connect(path) as db:
            db.executescript(SCHEMA)
            db.execute(
                "INSERT INTO operations (id, state, requester, next_run_at, version, body)"
                " VALUES (?, 'running', 'UENGINEER', 0, 1, ?)",
                (earlier.id, earlier.model_dump_json()),
            )
        db.close()
        store = await SqliteStore.open(path)
        try:
            with pytest.raises(AccountAlreadyRequested) as refused:
                await store.insert_operation(named("kept-running"))
            assert refused.value.operation_id == earlier.id
        finally:
            await store.close()


class TestARetryKeepsOneAccountPerName:
    async def failed(self, store: SqliteStore, name: str):
        stored = await store.insert_operation(named(name))
        return await store.save_operation(stored.fail(now(), aws_failure()))

    async def test_a_retry_is_refused_while_another_operation_creates_the_same_account(self, store):
        failed = await self.failed(store, "payments-dev")
        other = await store.insert_operation(named("payments-dev"))
        with pytest.raises(AccountAlreadyRequested) as refused:
            await store.save_operation(failed.retry(now(), "UOPS"))
        assert refused.value.operation_id == other.id
        assert refused.value.running and refused.value.name
        assert (await store.get_operation(failed.id)).state is OperationState.FAILED

    async def test_a_retry_is_refused_once_another_operation_created_the_account(self, store):
        failed = await self.failed(store, "payments-dev")
        done = await store.insert_operation(named("payments-dev"))
        while done.state is OperationState.RUNNING:
            done = done.advance(now())
        await store.save_operation(done)
        with pytest.raises(AccountAlreadyRequested) as refused:
            await store.save_operation(failed.retry(now(), "UOPS"))
        assert refused.value.operation_id == done.id
        assert not refused.value.running

    async def test_of_two_failed_operations_retried_at_once_one_runs(self, store, db_path):
        first = await self.failed(store, "payments-dev")
        second = await self.failed(store, "payments-dev")
        other = await SqliteStore.open(db_path)
        try:
            results = await asyncio.gather(
                store.save_operation(first.retry(now(), "UOPS")),
                other.save_operation(second.retry(now(), "UOPS")),
                return_exceptions=True,
            )
        finally:
            await other.close()
        refused = [r for r in results if isinstance(r, AccountAlreadyRequested)]
        assert len(refused) == 1, results
        assert len(await store.running_operations()) == 1

    async def test_its_own_earlier_run_and_other_saves_of_a_running_operation_pass(self, store):
        failed = await self.failed(store, "payments-dev")
        retried = await store.save_operation(failed.retry(now(), "UOPS"))
        assert (await store.save_operation(retried.advance(now()))).state is OperationState.RUNNING

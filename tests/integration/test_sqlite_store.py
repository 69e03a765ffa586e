"""The SQLite store on a real file: processes sharing it, another process holding its write
lock, a file made by an earlier version. What every store does is in the store contract suite,
tests/contract."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest

from bot.store.base import AccountAlreadyRequested, StaleOperation, StoreUnavailable
from bot.store.deadline import WriteAbandoned, WriteDeadline
from bot.store.sqlite import SCHEMA, SqliteStore
from tests.contract.builders import assert_one_stored, edit_of, posted_alert, thread
from tests.unit.factories import account_request, aws_failure, operation


def now() -> datetime:
    return datetime.now(UTC)


async def due_texts(store: SqliteStore, at: datetime | None = None) -> list[tuple[str, str]]:
    entries = await store.due_messages(at or now(), 50)
    return [(e.message.stream, e.message.text or e.message.delivery.value) for e in entries]


class TestTwoProcessesOnOneFile:
    async def test_each_sees_the_others_writes(self, store, db_path, clock):
        other = await SqliteStore.open(db_path, clock=clock)
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

    async def test_only_one_holds_the_lease(self, store, db_path, clock):
        other = await SqliteStore.open(db_path, clock=clock)
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

    async def test_only_one_alerts_for_a_stall(self, store, db_path, clock):
        other = await SqliteStore.open(db_path, clock=clock)
        every = timedelta(minutes=15)
        try:
            stalled_at, t = now() - timedelta(minutes=20), now()
            claims = await asyncio.gather(
                store.claim_stuck_alert("op-cccccc", stalled_at, t, every),
                other.claim_stuck_alert("op-cccccc", stalled_at, t, every),
            )
        finally:
            await other.close()
        assert sorted(claims) == [False, True]


class TestPostedAlerts:
    async def test_two_processes_settle_an_alert_once(self, store, db_path, clock):
        alert = posted_alert("op-bbbbbb")
        await store.remember_alert(alert)
        other = await SqliteStore.open(db_path, clock=clock)
        try:
            settled = await asyncio.gather(
                store.settle_alert(alert, edit_of(alert)),
                other.settle_alert(alert, edit_of(alert)),
            )
        finally:
            await other.close()
        assert sorted(settled) == [False, True]
        assert await store.pending_count() == 1

    async def test_a_file_made_before_alerts_were_kept_is_upgraded(self, tmp_path, clock):
        path = tmp_path / "old.db"
        with sqlite3.connect(path) as db:
            db.executescript(SCHEMA)
            db.execute("DROP TABLE posted_alerts")
        db.close()
        upgraded = await SqliteStore.open(str(path), clock=clock)
        try:
            alert = posted_alert("op-dddddd")
            await upgraded.remember_alert(alert)
            assert await upgraded.unsettled_alerts("op-dddddd") == [alert]
        finally:
            await upgraded.close()


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

    async def test_a_write_cancelled_while_it_waits_leaves_the_store_usable(
        self, store, db_path, clock
    ):
        # As a step's save is when its runner stops, or loses the lease to another process.
        with write_locked(db_path):
            waiting = asyncio.create_task(store.enqueue(thread("op-1", "cancelled")))
            await asyncio.sleep(0.1)  # the write is now waiting for the lock
            waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await store.enqueue(thread("op-1", "after"))
        other = await SqliteStore.open(db_path, clock=clock)
        try:
            assert await due_texts(other) == [("op-1", "after")]
            await other.enqueue(thread("op-1", "from the other process"))
        finally:
            await other.close()


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
    async def test_of_eight_inserts_at_once_from_two_processes_one_is_stored(
        self, store, db_path, clock
    ):
        other = await SqliteStore.open(db_path, clock=clock)
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
        await assert_one_stored(store, results)

    async def test_a_file_made_before_the_check_existed_is_upgraded(self, tmp_path, clock):
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
        store = await SqliteStore.open(path, clock=clock)
        try:
            with pytest.raises(AccountAlreadyRequested) as refused:
                await store.insert_operation(named("kept-running"))
            assert refused.value.operation_id == earlier.id
        finally:
            await store.close()

    async def test_of_two_failed_operations_retried_at_once_from_two_processes_one_runs(
        self, store, db_path, clock
    ):
        failed = []
        for _ in range(2):
            stored = await store.insert_operation(named("payments-dev"))
            failed.append(await store.save_operation(stored.fail(now(), aws_failure())))
        other = await SqliteStore.open(db_path, clock=clock)
        try:
            results = await asyncio.gather(
                store.save_operation(failed[0].retry(now(), "UOPS")),
                other.save_operation(failed[1].retry(now(), "UOPS")),
                return_exceptions=True,
            )
        finally:
            await other.close()
        refused = [r for r in results if isinstance(r, AccountAlreadyRequested)]
        assert len(refused) == 1, results
        assert len(await store.running_operations()) == 1


class TestAnOutboxWithNumberedRows:
    """Before outbox ids were text, SQLite numbered the rows, and each stream went in the order
    of those numbers."""

    EARLIER_OUTBOX = """
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        stream TEXT NOT NULL,
        delivery TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        not_before REAL NOT NULL DEFAULT 0,
        last_error TEXT,
        body TEXT NOT NULL
    );
    CREATE INDEX outbox_pending ON outbox (state, stream, id);
    """

    def earlier_file(self, path: str) -> str:
        with sqlite3.connect(path) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(self.EARLIER_OUTBOX)
            for text in ("first", "second"):
                message = thread("op-1", text)
                db.execute(
                    "INSERT INTO outbox (stream, delivery, body) VALUES (?, ?, ?)",
                    (message.stream, message.delivery.value, message.model_dump_json()),
                )
        db.close()
        return path

    async def test_its_messages_are_delivered_in_order_then_the_new_ones(self, tmp_path, clock):
        store = await SqliteStore.open(self.earlier_file(str(tmp_path / "earlier.db")), clock=clock)
        try:
            await store.enqueue(thread("op-1", "third"))
            delivered = []
            while entries := await store.due_messages(now(), 10):
                (entry,) = entries
                assert isinstance(entry.id, str)
                delivered.append(entry.message.text)
                await store.mark_sent(entry.id)
            assert delivered == ["first", "second", "third"]
        finally:
            await store.close()

    async def test_processes_opening_it_at_once_all_open_it_and_one_upgrades_it(
        self, tmp_path, clock
    ):
        # As when the new version starts in several processes on one machine. Each round
        # gives the race another chance.
        for attempt in range(3):
            path = self.earlier_file(str(tmp_path / f"earlier-{attempt}.db"))
            stores = await asyncio.gather(
                *(SqliteStore.open(path, clock=clock) for _ in range(4)), return_exceptions=True
            )
            opened = [store for store in stores if isinstance(store, SqliteStore)]
            try:
                assert opened == stores
                assert await due_texts(opened[0]) == [("op-1", "first")]
                assert [e.message.text for e in await opened[1].unclaimed_messages()] == [
                    "first",
                    "second",
                ]
            finally:
                for store in opened:
                    await store.close()

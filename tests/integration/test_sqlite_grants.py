"""The SQLite store on a real file, for break-glass grants: processes sharing the file, a
transaction rolled back, the indexes a sweep reads. What every store does is in the store
contract suite, tests/contract."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.audit import AuditKind, event
from bot.store.sqlite import DUE_GRANTS_QUERY, OPEN_GRANTS, SqliteStore
from tests.contract.builders import active, approved, denied, insert_requested, own_account, thread
from tests.unit.factories import grant


def now() -> datetime:
    return datetime.now(UTC)


class TestTwoProcessesOnOneFile:
    async def test_two_decisions_at_once_one_wins(self, store, db_path, clock):
        other = await SqliteStore.open(db_path, clock=clock)
        try:
            t = now()
            stored = await store.insert_grant(grant(at=t))
            decisions = [approved(stored, t), denied(stored, t)]
            events = [
                event(decisions[0], AuditKind.APPROVED, "UOPS", t),
                event(decisions[1], AuditKind.DENIED, "UOPS2", t),
            ]
            results = await asyncio.gather(
                store.save_grant(decisions[0], [events[0]]),
                other.save_grant(decisions[1], [events[1]]),
                return_exceptions=True,
            )
            assert sorted(type(r).__name__ for r in results) == ["Grant", "StaleGrant"]
            assert len(await other.audit_events(t - timedelta(minutes=1))) == 1
        finally:
            await other.close()

    async def test_two_requests_for_one_account_at_once_store_exactly_one(
        self, store, db_path, clock
    ):
        other = await SqliteStore.open(db_path, clock=clock)
        try:
            t = now()
            filed = [grant(at=t), grant(at=t)]
            results = await asyncio.gather(
                store.insert_grant(filed[0]),
                other.insert_grant(filed[1]),
                return_exceptions=True,
            )
            assert sorted(type(r).__name__ for r in results) == ["Grant", "OverlappingGrant"]
            assert len(await other.open_grants("UENGINEER", "111122223333")) == 1
        finally:
            await other.close()


class TestAWriteThatFails:
    async def test_a_write_that_fails_half_way_leaves_nothing_behind(self, store):
        t = now()
        first, requested = await insert_requested(store, grant(at=t))
        queued = await store.pending_count()
        again = grant(at=t, request=own_account())
        # The same event id twice: the second insert of the event fails after the grant's.
        with pytest.raises(sqlite3.IntegrityError):
            await store.insert_grant(again, [requested], [thread(again.id, "never queued")])
        assert await store.get_grant(again.id) is None
        assert await store.pending_count() == queued
        # The store goes on working: nothing was left open.
        await store.save_grant(approved(first, t))
        assert (await store.get_grant(first.id)).version == 2

    async def test_other_writes_never_join_a_transaction_that_is_rolled_back(self, store):
        t = now()
        _, requested = await insert_requested(store, grant(at=t))
        queued = await store.pending_count()
        doomed = grant(at=t, request=own_account())
        results = await asyncio.gather(
            store.insert_grant(doomed, [requested]),
            *(store.enqueue(thread("op-aaaaaa", f"line {i}")) for i in range(20)),
            return_exceptions=True,
        )
        assert isinstance(results[0], sqlite3.IntegrityError)
        assert await store.pending_count() == queued + 20
        assert await store.get_grant(doomed.id) is None


class TestQueryPlans:
    """How SQLite runs the queries, read from EXPLAIN QUERY PLAN: the structural guarantee that
    a sweep costs in proportion to the grants due, however many are active."""

    @staticmethod
    def plan(db_path: str, sql: str, parameters: tuple[object, ...]) -> list[str]:
        with closing(sqlite3.connect(db_path)) as db:
            rows = db.execute(f"EXPLAIN QUERY PLAN {sql}", parameters).fetchall()
        return [row[3] for row in rows]

    async def test_the_sweep_searches_the_due_index_and_reads_nothing_else(self, store, db_path):
        t = now()
        for i in range(200):
            await store.insert_grant(active(t, id=f"bg-{i:06x}", request=own_account()))
        with closing(sqlite3.connect(db_path)) as db:
            db.execute("ANALYZE")  # with statistics, a planner could prefer otherwise
        assert self.plan(db_path, DUE_GRANTS_QUERY, (0, 0, 10)) == [
            "SEARCH grants USING COVERING INDEX grants_due (due_at<?)"
        ]

    async def test_open_grants_are_read_from_their_own_index(self, store, db_path):
        await store.insert_grant(grant(at=now()))
        for where, parameters in [
            ("", ()),
            (" AND requester = ?", ("U1",)),
            (" AND account_id = ?", ("1",)),
            (" AND requester = ? AND account_id = ?", ("U1", "1")),
        ]:
            (step,) = self.plan(
                db_path, f"SELECT rowid, body FROM grants WHERE {OPEN_GRANTS}{where}", parameters
            )
            assert "USING INDEX grants_one_open" in step

"""The SQLite store on a real file: break-glass grants, their leases and the audit trail."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.domain.audit import AUDIT_STREAM, AuditEvent, AuditKind, announcements, event
from bot.domain.grants import AccessRequest, Grant, GrantState
from bot.domain.operations import SlackCard
from bot.domain.outbox import Delivery, OutboxMessage
from bot.store.base import OverlappingGrant, StaleGrant
from bot.store.sqlite import DUE_GRANTS_QUERY, OPEN_GRANTS, SqliteStore
from tests.unit.factories import access_request, aws_failure, grant, operation

LATER = timedelta(days=365)
_ACCOUNTS = itertools.count(100_000_000_000)


def own_account() -> AccessRequest:
    """A request for an account no other grant names: a person has at most one open grant per
    account, so a test that needs several open grants gives each its own."""
    return access_request(account_id=str(next(_ACCOUNTS)))


def now() -> datetime:
    return datetime.now(UTC)


def approved(pending: Grant, at: datetime, by: str = "UOPS") -> Grant:
    return pending.approve(at, by, is_ops=True, may_self_approve=False, what="request")


def denied(pending: Grant, at: datetime, by: str = "UOPS2") -> Grant:
    return pending.deny(at, by, is_ops=True, what="request", reason="not without a ticket")


def active(granted_at: datetime, **changes: Any) -> Grant:
    """Access given at `granted_at`, for the hour asked."""
    filed = grant(at=granted_at - timedelta(minutes=5), **changes)
    return approved(filed, granted_at).granted(granted_at, pre_existing=False)


def thread(stream: str, text: str) -> OutboxMessage:
    return OutboxMessage(stream=stream, delivery=Delivery.THREAD, text=text)


async def drain(store: SqliteStore) -> list[OutboxMessage]:
    """Every message queued, delivered as the outbox worker would: in order in each stream."""
    delivered: list[OutboxMessage] = []
    while entries := await store.due_messages(now() + LATER, 100):
        for entry in entries:
            delivered.append(entry.message)
            await store.mark_sent(entry.id)
    return delivered


def of_stream(messages: list[OutboxMessage], stream: str) -> list[tuple[Delivery, str | None]]:
    return [(m.delivery, m.audit_id) for m in messages if m.stream == stream]


async def insert_requested(store: SqliteStore, filed: Grant) -> tuple[Grant, AuditEvent]:
    requested = event(filed, AuditKind.REQUESTED, filed.requester, filed.created_at)
    stored = await store.insert_grant(filed, [requested], announcements(filed, [requested]))
    return stored, requested


class TestGrants:
    async def test_insert_then_get_returns_the_same_grant_at_version_1(self, store):
        t = now()
        filed = active(t, request=access_request(ticket=None)).record(
            t, permission_set_name="BreakGlassAdmin", create_sent_at=t, polls=3
        )
        filed = filed.extend(
            t, "UENGINEER", is_ops=False, duration=timedelta(minutes=30), reason="not done yet"
        )
        stored = await store.insert_grant(filed)
        assert stored.version == 1
        read = await store.get_grant(filed.id)
        assert read == stored
        assert read.pending_extension is not None
        assert read.progress.permission_set_name == "BreakGlassAdmin"
        assert await store.get_grant("bg-000000") is None

    async def test_save_bumps_the_version_and_keeps_every_field(self, store):
        t = now()
        stored = await store.insert_grant(grant(at=t))
        saved = await store.save_grant(approved(stored, t))
        assert saved.version == 2
        read = await store.get_grant(stored.id)
        assert read == saved
        assert read.state is GrantState.GRANTING
        assert read.decision is not None and read.decision.by == "UOPS"

    async def test_a_failure_survives_the_store(self, store):
        t = now()
        stored = await store.insert_grant(approved(grant(at=t), t))
        failed = await store.save_grant(stored.fail(t, aws_failure(service="sso-admin")))
        assert (await store.get_grant(stored.id)) == failed
        assert failed.failure == aws_failure(service="sso-admin")

    async def test_a_stale_save_is_refused_and_writes_nothing_at_all(self, store):
        t = now()
        stored, _ = await insert_requested(store, grant(at=t))
        winner = approved(stored, t)
        approval = event(winner, AuditKind.APPROVED, "UOPS", t)
        saved = await store.save_grant(winner, [approval], announcements(winner, [approval]))
        queued = await store.pending_count()

        loser = denied(stored, t)
        denial = event(loser, AuditKind.DENIED, "UOPS2", t)
        with pytest.raises(StaleGrant):
            await store.save_grant(loser, [denial], announcements(loser, [denial]))

        assert await store.get_grant(stored.id) == saved
        assert await store.get_audit_event(denial.id) is None
        assert await store.get_audit_event(approval.id) == approval
        assert await store.pending_count() == queued
        assert all(m.audit_id != denial.id for m in await drain(store))

    async def test_two_decisions_at_once_one_wins_and_only_it_is_audited(self, store):
        t = now()
        stored, requested = await insert_requested(store, grant(at=t))
        decisions = [approved(stored, t), denied(stored, t)]
        events = [
            event(decisions[0], AuditKind.APPROVED, "UOPS", t),
            event(decisions[1], AuditKind.DENIED, "UOPS2", t),
        ]
        results = await asyncio.gather(
            *(
                store.save_grant(decided, [audit], announcements(decided, [audit]))
                for decided, audit in zip(decisions, events, strict=True)
            ),
            return_exceptions=True,
        )

        stale = [r for r in results if isinstance(r, StaleGrant)]
        won = [r for r in results if isinstance(r, Grant)]
        assert len(stale) == 1 and len(won) == 1
        winner = results.index(won[0])
        assert await store.get_grant(stored.id) == won[0]
        assert won[0].version == 2
        trail = await store.audit_events(t - timedelta(minutes=1))
        assert [e.id for e in trail if e.id != requested.id] == [events[winner].id]
        loser_event = events[1 - winner].id
        assert all(m.audit_id != loser_event for m in await drain(store))

    async def test_two_processes_deciding_at_once_one_wins(self, store, db_path):
        other = await SqliteStore.open(db_path)
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


class TestAnnouncements:
    async def test_the_events_are_told_with_the_write_after_the_card(self, store):
        t = now()
        stored, requested = await insert_requested(store, grant(at=t))
        assert await store.get_audit_event(requested.id) == requested

        decided = approved(stored, t)
        approval = event(decided, AuditKind.APPROVED, "UOPS", t)
        saved = await store.save_grant(decided, [approval], announcements(decided, [approval]))
        given = saved.granted(t, pre_existing=False)
        granted = event(given, AuditKind.GRANTED, "outpost", t, request_ids=("req-1",))
        await store.save_grant(given, [granted], announcements(given, [granted]))

        delivered = await drain(store)
        assert of_stream(delivered, stored.id) == [
            (Delivery.CARD, None),
            (Delivery.THREAD, requested.id),  # the request is not told to its requester
            (Delivery.CARD, None),  # one refresh waits for both later writes
            (Delivery.THREAD, approval.id),
            (Delivery.DIRECT, approval.id),
            (Delivery.THREAD, granted.id),
            (Delivery.DIRECT, granted.id),
        ]
        assert of_stream(delivered, AUDIT_STREAM) == [
            (Delivery.AUDIT, requested.id),
            (Delivery.AUDIT, approval.id),
            (Delivery.AUDIT, granted.id),
        ]
        direct = [m for m in delivered if m.delivery is Delivery.DIRECT]
        assert {m.user for m in direct} == {"UENGINEER"}

    async def test_a_write_with_no_event_still_refreshes_the_card(self, store):
        t = now()
        stored = await store.insert_grant(grant(at=t))
        await store.save_grant(stored.model_copy(update={"reminded": True}))
        assert of_stream(await drain(store), stored.id) == [
            (Delivery.CARD, None),
            (Delivery.CARD, None),
        ]


class TestDueGrants:
    async def test_only_due_grants_soonest_first_leaving_out_the_leased(self, store):
        t = now()
        hour = timedelta(hours=1)
        expired = await store.insert_grant(active(t - hour - timedelta(minutes=1)))
        expired_earlier = await store.insert_grant(
            active(t - hour - timedelta(minutes=30), request=own_account())
        )
        running = await store.insert_grant(active(t - timedelta(minutes=10), request=own_account()))
        granting = await store.insert_grant(
            approved(grant(at=t - timedelta(seconds=5), request=own_account()), t)
        )
        leased = await store.insert_grant(active(t - 2 * hour, request=own_account()))
        assert await store.acquire_grant_lease(leased.id, "worker-a", t + timedelta(minutes=2))
        lapsed = await store.insert_grant(active(t - 2 * hour, request=own_account()))
        assert await store.acquire_grant_lease(lapsed.id, "worker-a", t - timedelta(seconds=1))

        due = await store.due_grants(t + timedelta(seconds=1), 50)
        assert due == [lapsed.id, expired_earlier.id, expired.id, granting.id]
        assert await store.due_grants(t + timedelta(seconds=1), 2) == due[:2]
        assert running.id not in due
        assert running.id in await store.due_grants(t + hour, 50)

    async def test_a_released_lease_makes_it_due_again(self, store):
        t = now()
        g = await store.insert_grant(approved(grant(at=t), t))
        assert await store.acquire_grant_lease(g.id, "worker-a", t + timedelta(minutes=2))
        await store.release_grant_lease(g.id, "worker-b")  # not the owner: no effect
        assert await store.due_grants(t, 10) == []
        await store.release_grant_lease(g.id, "worker-a")
        assert await store.due_grants(t, 10) == [g.id]

    async def test_a_pending_grant_is_due_for_its_reminder_then_its_answer(self, store):
        t = now()
        filed = await store.insert_grant(grant(at=t))  # answer within the hour
        assert await store.due_grants(t + timedelta(minutes=29), 10) == []
        assert await store.due_grants(t + timedelta(minutes=30), 10) == [filed.id]
        await store.save_grant(filed.model_copy(update={"reminded": True}))
        assert await store.due_grants(t + timedelta(minutes=59), 10) == []
        assert await store.due_grants(t + timedelta(minutes=60), 10) == [filed.id]

    async def test_finished_grants_are_never_due(self, store):
        t = now()
        filed_at = t - timedelta(days=2)
        refused = await store.insert_grant(grant(at=filed_at))
        await store.save_grant(denied(refused, filed_at + timedelta(minutes=10)))
        withdrawn = await store.insert_grant(grant(at=filed_at))
        await store.save_grant(withdrawn.revoke(t, "UENGINEER", is_ops=False))
        revoking = await store.insert_grant(active(t - timedelta(days=1)).expire(t))
        assert await store.due_grants(t + LATER, 10) == [revoking.id]
        await store.save_grant(revoking.ended(t))
        assert await store.due_grants(t + LATER, 10) == []


class TestGrantLeases:
    async def test_exclusive_until_it_expires(self, store):
        g = await store.insert_grant(grant(at=now()))
        assert await store.acquire_grant_lease(g.id, "a", now() + timedelta(milliseconds=150))
        assert not await store.acquire_grant_lease(g.id, "b", now() + timedelta(minutes=2))
        await asyncio.sleep(0.2)
        assert await store.acquire_grant_lease(g.id, "b", now() + timedelta(minutes=2))
        assert not await store.acquire_grant_lease(g.id, "a", now() + timedelta(minutes=2))

    async def test_re_entrant_for_its_owner(self, store):
        g = await store.insert_grant(grant(at=now()))
        assert await store.acquire_grant_lease(g.id, "a", now() + timedelta(minutes=1))
        assert await store.acquire_grant_lease(g.id, "a", now() + timedelta(minutes=2))
        assert not await store.acquire_grant_lease(g.id, "b", now() + timedelta(minutes=2))

    async def test_no_lease_on_an_unknown_grant(self, store):
        assert not await store.acquire_grant_lease("bg-ffffff", "a", now())

    async def test_a_save_keeps_the_lease(self, store):
        g = await store.insert_grant(grant(at=now()))
        assert await store.acquire_grant_lease(g.id, "a", now() + timedelta(minutes=2))
        await store.save_grant(approved(g, now()))
        assert not await store.acquire_grant_lease(g.id, "b", now() + timedelta(minutes=2))


class TestOpenGrants:
    async def test_filters_by_person_and_account_oldest_first(self, store):
        t = now()
        other_account = access_request(account_id="444455556666", account_name="ledger")
        # Denied before `oldest` is filed, so both can be UENGINEER's on 111122223333.
        refused = await store.insert_grant(grant(at=t - timedelta(hours=3)))
        await store.save_grant(denied(refused, t - timedelta(hours=3) + timedelta(minutes=10)))
        newest = await store.insert_grant(grant(at=t, request=own_account()))
        oldest = await store.insert_grant(grant(at=t - timedelta(hours=2)))
        elsewhere = await store.insert_grant(
            grant(at=t - timedelta(hours=1), request=other_account)
        )
        someone_else = await store.insert_grant(
            grant(at=t - timedelta(minutes=30), requester="UOTHER")
        )
        given = await store.insert_grant(active(t - timedelta(minutes=20), request=own_account()))

        def ids(grants: list[Grant]) -> list[str]:
            return [g.id for g in grants]

        assert ids(await store.open_grants()) == [
            oldest.id,
            elsewhere.id,
            someone_else.id,
            given.id,
            newest.id,
        ]
        assert ids(await store.open_grants(requester="UENGINEER")) == [
            oldest.id,
            elsewhere.id,
            given.id,
            newest.id,
        ]
        assert ids(await store.open_grants(account_id="444455556666")) == [elsewhere.id]
        assert ids(await store.open_grants(account_id="111122223333")) == [
            oldest.id,
            someone_else.id,
        ]
        assert ids(await store.open_grants("UENGINEER", "111122223333")) == [oldest.id]
        assert ids(await store.open_grants("UOTHER", "111122223333")) == [someone_else.id]
        assert await store.open_grants("UOTHER", "444455556666") == []

    async def test_every_open_state_counts_and_no_finished_one(self, store):
        t = now()
        states = {
            GrantState.PENDING: grant(at=t, request=own_account()),
            GrantState.GRANTING: approved(grant(at=t, request=own_account()), t),
            GrantState.ACTIVE: active(t, request=own_account()),
            GrantState.REVOKING: active(t, request=own_account()).expire(t),
            GrantState.ENDED: active(t).expire(t).ended(t),
            GrantState.DENIED: denied(grant(at=t), t),
            GrantState.WITHDRAWN: grant(at=t).revoke(t, "UENGINEER", is_ops=False),
            GrantState.UNANSWERED: grant(at=t).unanswered(t),
            GrantState.FAILED: approved(grant(at=t), t).fail(t, aws_failure()),
        }
        assert set(states) == set(GrantState)
        for state, g in states.items():
            assert g.state is state
            await store.insert_grant(g)
        found = {g.state for g in await store.open_grants()}
        assert found == {s for s in GrantState if s.open}


class TestGrantCards:
    async def test_a_card_names_its_grant(self, store):
        g = await store.insert_grant(grant(at=now()))
        op = await store.insert_operation(operation(at=now()))
        await store.set_card(g.id, SlackCard(channel="CPLATFORM", ts="1700000000.000100"))
        await store.set_card(op.id, SlackCard(channel="CPLATFORM", ts="1700000000.000200"))
        assert await store.grant_for_card("CPLATFORM", "1700000000.000100") == g
        assert await store.grant_for_card("CPLATFORM", "1700000000.000200") is None
        assert await store.operation_for_card("CPLATFORM", "1700000000.000100") is None
        assert await store.grant_for_card("COTHER", "1700000000.000100") is None


class TestAuditTrail:
    async def test_events_since_a_time_optionally_for_one_account_newest_first(self, store):
        t = now()
        here = grant(at=t)
        there = grant(at=t, request=access_request(account_id="444455556666"))
        early = event(here, AuditKind.REQUESTED, "UENGINEER", t - timedelta(days=2))
        middle = event(there, AuditKind.REQUESTED, "UENGINEER", t - timedelta(hours=2))
        late = event(here, AuditKind.APPROVED, "UOPS", t - timedelta(hours=1))
        same_time = event(here, AuditKind.GRANTED, "outpost", t - timedelta(hours=1))
        await store.insert_grant(here, [early, late, same_time])
        await store.insert_grant(there, [middle])

        def ids(events: list[AuditEvent]) -> list[str]:
            return [e.id for e in events]

        since = t - timedelta(days=1)
        assert ids(await store.audit_events(since)) == [same_time.id, late.id, middle.id]
        assert ids(await store.audit_events(since, "111122223333")) == [same_time.id, late.id]
        assert ids(await store.audit_events(since, "444455556666")) == [middle.id]
        assert ids(await store.audit_events(t - timedelta(days=3), limit=2)) == [
            same_time.id,
            late.id,
        ]
        assert ids(await store.audit_events(early.at)) == ids(
            await store.audit_events(t - timedelta(days=3))
        )
        assert await store.audit_events(t) == []

    async def test_an_event_reads_back_as_it_was_written(self, store):
        t = now()
        g = active(t).record(t, permission_set_name="BreakGlassAdmin")
        written = event(g, AuditKind.GRANTED, "outpost", t, detail="1h", request_ids=("r-1", ""))
        await store.insert_grant(g, [written])
        assert await store.get_audit_event(written.id) == written
        assert written.request_ids == ("r-1",)
        assert await store.get_audit_event("ev-000000000000") is None


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


class TestOneOpenGrantPerPersonAndAccount:
    @staticmethod
    def finished(state: GrantState, t: datetime) -> Grant:
        return {
            GrantState.ENDED: active(t).expire(t).ended(t),
            GrantState.DENIED: denied(grant(at=t), t),
            GrantState.WITHDRAWN: grant(at=t).revoke(t, "UENGINEER", is_ops=False),
            GrantState.UNANSWERED: grant(at=t).unanswered(t),
            GrantState.FAILED: approved(grant(at=t), t).fail(t, aws_failure()),
        }[state]

    @staticmethod
    def opened(state: GrantState, t: datetime) -> Grant:
        return {
            GrantState.PENDING: grant(at=t),
            GrantState.GRANTING: approved(grant(at=t), t),
            GrantState.ACTIVE: active(t),
            GrantState.REVOKING: active(t).expire(t),
        }[state]

    async def test_two_requests_at_once_store_exactly_one(self, store):
        t = now()
        filed = [grant(at=t), grant(at=t)]
        requested = [event(g, AuditKind.REQUESTED, g.requester, t) for g in filed]
        results = await asyncio.gather(
            *(
                store.insert_grant(g, [e], announcements(g, [e]))
                for g, e in zip(filed, requested, strict=True)
            ),
            return_exceptions=True,
        )
        assert sorted(type(r).__name__ for r in results) == ["Grant", "OverlappingGrant"]
        winner = next(i for i, r in enumerate(results) if isinstance(r, Grant))
        loser = 1 - winner
        assert results[loser].args == ("UENGINEER", "111122223333")
        assert [g.id for g in await store.open_grants("UENGINEER", "111122223333")] == [
            filed[winner].id
        ]
        assert await store.get_grant(filed[loser].id) is None
        assert await store.get_audit_event(requested[loser].id) is None
        assert await store.get_audit_event(requested[winner].id) == requested[winner]
        delivered = await drain(store)
        assert of_stream(delivered, filed[loser].id) == []
        assert [m.audit_id for m in delivered if m.stream == AUDIT_STREAM] == [requested[winner].id]

    async def test_two_processes_at_once_store_exactly_one(self, store, db_path):
        other = await SqliteStore.open(db_path)
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

    @pytest.mark.parametrize(
        "state", [GrantState.PENDING, GrantState.GRANTING, GrantState.ACTIVE, GrantState.REVOKING]
    )
    async def test_every_open_grant_blocks_another(self, store, state):
        t = now()
        held = await store.insert_grant(self.opened(state, t - timedelta(minutes=30)))
        assert held.state is state
        with pytest.raises(OverlappingGrant):
            await store.insert_grant(grant(at=t))
        assert [g.id for g in await store.open_grants("UENGINEER")] == [held.id]

    @pytest.mark.parametrize(
        "state",
        [
            GrantState.ENDED,
            GrantState.DENIED,
            GrantState.WITHDRAWN,
            GrantState.UNANSWERED,
            GrantState.FAILED,
        ],
    )
    async def test_a_finished_grant_does_not_block_a_new_one(self, store, state):
        t = now()
        done = await store.insert_grant(self.finished(state, t - timedelta(hours=2)))
        assert done.state is state
        again = await store.insert_grant(grant(at=t))
        assert [g.id for g in await store.open_grants("UENGINEER", "111122223333")] == [again.id]
        with pytest.raises(OverlappingGrant):
            await store.insert_grant(grant(at=t))

    async def test_a_grant_decided_against_frees_the_pair(self, store):
        t = now()
        refused = await store.insert_grant(grant(at=t - timedelta(minutes=10)))
        with pytest.raises(OverlappingGrant):
            await store.insert_grant(grant(at=t))
        await store.save_grant(denied(refused, t))
        again = await store.insert_grant(grant(at=t))
        assert again.state is GrantState.PENDING
        assert (await store.get_grant(refused.id)).state is GrantState.DENIED

    async def test_other_people_and_other_accounts_are_not_blocked(self, store):
        t = now()
        await store.insert_grant(grant(at=t))
        await store.insert_grant(grant(at=t, requester="UOTHER", filed_by="UOTHER"))
        elsewhere = access_request(account_id="444455556666", account_name="ledger")
        await store.insert_grant(grant(at=t, request=elsewhere))
        assert len(await store.open_grants()) == 3

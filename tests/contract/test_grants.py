"""Break-glass grants: conditional saves that write their audit events and messages with them,
or nothing at all; when each grant is due; the open grants and the cards that name them."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.domain.audit import AUDIT_STREAM, AuditKind, announcements, event
from bot.domain.grants import Grant, GrantState
from bot.domain.operations import SlackCard
from bot.domain.outbox import Delivery
from bot.store.base import StaleGrant
from tests.contract.builders import (
    LATER,
    T,
    active,
    approved,
    denied,
    drain,
    insert_requested,
    of_stream,
    own_account,
)
from tests.unit.factories import access_request, aws_failure, grant, operation


class TestConditionalWrites:
    async def test_insert_then_get_returns_the_same_grant_at_version_1(self, store):
        filed = active(T, request=access_request(ticket=None)).record(
            T, permission_set_name="BreakGlassAdmin", create_sent_at=T, polls=3
        )
        filed = filed.extend(
            T, "UENGINEER", is_ops=False, duration=timedelta(minutes=30), reason="not done yet"
        )
        stored = await store.insert_grant(filed)
        assert stored.version == 1
        read = await store.get_grant(filed.id)
        assert read == stored
        assert read.pending_extension is not None
        assert read.progress.permission_set_name == "BreakGlassAdmin"
        assert await store.get_grant("bg-000000") is None

    async def test_save_bumps_the_version_and_keeps_every_field(self, store):
        stored = await store.insert_grant(grant(at=T))
        saved = await store.save_grant(approved(stored, T))
        assert saved.version == 2
        read = await store.get_grant(stored.id)
        assert read == saved
        assert read.state is GrantState.GRANTING
        assert read.decision is not None and read.decision.by == "UOPS"

    async def test_a_failure_survives_the_store(self, store):
        stored = await store.insert_grant(approved(grant(at=T), T))
        failed = await store.save_grant(stored.fail(T, aws_failure(service="sso-admin")))
        assert (await store.get_grant(stored.id)) == failed
        assert failed.failure == aws_failure(service="sso-admin")

    async def test_a_save_of_a_grant_never_stored_is_refused(self, store):
        with pytest.raises(StaleGrant):
            await store.save_grant(grant(at=T))
        assert await store.open_grants() == []
        assert await store.pending_count() == 0

    async def test_a_stale_save_is_refused_and_writes_nothing_at_all(self, store):
        stored, _ = await insert_requested(store, grant(at=T))
        winner = approved(stored, T)
        approval = event(winner, AuditKind.APPROVED, "UOPS", T)
        saved = await store.save_grant(winner, [approval], announcements(winner, [approval]))
        queued = await store.pending_count()

        loser = denied(stored, T)
        denial = event(loser, AuditKind.DENIED, "UOPS2", T)
        with pytest.raises(StaleGrant):
            await store.save_grant(loser, [denial], announcements(loser, [denial]))

        assert await store.get_grant(stored.id) == saved
        assert await store.get_audit_event(denial.id) is None
        assert await store.get_audit_event(approval.id) == approval
        assert await store.pending_count() == queued
        assert all(m.audit_id != denial.id for m in await drain(store))

    async def test_two_decisions_at_once_one_wins_and_only_it_is_audited(self, store):
        stored, requested = await insert_requested(store, grant(at=T))
        decisions = [approved(stored, T), denied(stored, T)]
        events = [
            event(decisions[0], AuditKind.APPROVED, "UOPS", T),
            event(decisions[1], AuditKind.DENIED, "UOPS2", T),
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
        trail = await store.audit_events(T - timedelta(minutes=1))
        assert [e.id for e in trail if e.id != requested.id] == [events[winner].id]
        loser_event = events[1 - winner].id
        assert all(m.audit_id != loser_event for m in await drain(store))


class TestAnnouncements:
    async def test_the_events_are_told_with_the_write_after_the_card(self, store):
        stored, requested = await insert_requested(store, grant(at=T))
        assert await store.get_audit_event(requested.id) == requested

        decided = approved(stored, T)
        approval = event(decided, AuditKind.APPROVED, "UOPS", T)
        saved = await store.save_grant(decided, [approval], announcements(decided, [approval]))
        given = saved.granted(T, pre_existing=False)
        granted = event(given, AuditKind.GRANTED, "outpost", T, request_ids=("req-1",))
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
        stored = await store.insert_grant(grant(at=T))
        await store.save_grant(stored.model_copy(update={"reminded": True}))
        assert of_stream(await drain(store), stored.id) == [
            (Delivery.CARD, None),
            (Delivery.CARD, None),
        ]


class TestWhenAGrantIsDue:
    async def test_a_pending_grant_is_due_for_its_reminder_then_its_answer(self, store):
        filed = await store.insert_grant(grant(at=T))  # answer within the hour
        assert await store.due_grants(T + timedelta(minutes=29), 10) == []
        assert await store.due_grants(T + timedelta(minutes=30), 10) == [filed.id]
        await store.save_grant(filed.model_copy(update={"reminded": True}))
        assert await store.due_grants(T + timedelta(minutes=59), 10) == []
        assert await store.due_grants(T + timedelta(minutes=60), 10) == [filed.id]

    async def test_finished_grants_are_never_due(self, store):
        filed_at = T - timedelta(days=2)
        refused = await store.insert_grant(grant(at=filed_at))
        await store.save_grant(denied(refused, filed_at + timedelta(minutes=10)))
        withdrawn = await store.insert_grant(grant(at=filed_at))
        await store.save_grant(withdrawn.revoke(T, "UENGINEER", is_ops=False))
        revoking = await store.insert_grant(active(T - timedelta(days=1)).expire(T))
        assert await store.due_grants(T + LATER, 10) == [revoking.id]
        await store.save_grant(revoking.ended(T))
        assert await store.due_grants(T + LATER, 10) == []


class TestOpenGrants:
    async def test_filters_by_person_and_account_oldest_first(self, store):
        other_account = access_request(account_id="444455556666", account_name="ledger")
        # Denied before `oldest` is filed, so both can be UENGINEER's on 111122223333.
        refused = await store.insert_grant(grant(at=T - timedelta(hours=3)))
        await store.save_grant(denied(refused, T - timedelta(hours=3) + timedelta(minutes=10)))
        newest = await store.insert_grant(grant(at=T, request=own_account()))
        oldest = await store.insert_grant(grant(at=T - timedelta(hours=2)))
        elsewhere = await store.insert_grant(
            grant(at=T - timedelta(hours=1), request=other_account)
        )
        someone_else = await store.insert_grant(
            grant(at=T - timedelta(minutes=30), requester="UOTHER")
        )
        given = await store.insert_grant(active(T - timedelta(minutes=20), request=own_account()))
        same_time = await store.insert_grant(grant(at=T, request=own_account()))

        def ids(grants: list[Grant]) -> list[str]:
            return [g.id for g in grants]

        assert ids(await store.open_grants()) == [
            oldest.id,
            elsewhere.id,
            someone_else.id,
            given.id,
            newest.id,
            same_time.id,  # filed at the same time, stored after
        ]
        assert ids(await store.open_grants(requester="UENGINEER")) == [
            oldest.id,
            elsewhere.id,
            given.id,
            newest.id,
            same_time.id,
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
        states = {
            GrantState.PENDING: grant(at=T, request=own_account()),
            GrantState.GRANTING: approved(grant(at=T, request=own_account()), T),
            GrantState.ACTIVE: active(T, request=own_account()),
            GrantState.REVOKING: active(T, request=own_account()).expire(T),
            GrantState.ENDED: active(T).expire(T).ended(T),
            GrantState.DENIED: denied(grant(at=T), T),
            GrantState.WITHDRAWN: grant(at=T).revoke(T, "UENGINEER", is_ops=False),
            GrantState.UNANSWERED: grant(at=T).unanswered(T),
            GrantState.FAILED: approved(grant(at=T), T).fail(T, aws_failure()),
        }
        assert set(states) == set(GrantState)
        for state, g in states.items():
            assert g.state is state
            await store.insert_grant(g)
        found = {g.state for g in await store.open_grants()}
        assert found == {s for s in GrantState if s.open}


class TestEveryGrant:
    async def test_tests_see_every_grant_however_it_ended_in_the_order_filed(self, store):
        refused = await store.insert_grant(grant(at=T))
        refused = await store.save_grant(denied(refused, T))
        ended = await store.insert_grant(active(T, request=own_account()).expire(T).ended(T))
        waiting = await store.insert_grant(grant(at=T + timedelta(hours=1)))
        assert await store.all_grants() == [refused, ended, waiting]


class TestGrantCards:
    async def test_a_grant_s_card_names_no_operation(self, store):
        g = await store.insert_grant(grant(at=T))
        op = await store.insert_operation(operation(at=T))
        await store.set_card(g.id, SlackCard(channel="CPLATFORM", ts="1700000000.000100"))
        await store.set_card(op.id, SlackCard(channel="CPLATFORM", ts="1700000000.000200"))
        assert await store.get_card(g.id) == SlackCard(channel="CPLATFORM", ts="1700000000.000100")
        assert await store.operation_for_card("CPLATFORM", "1700000000.000100") is None
        assert await store.operation_for_card("CPLATFORM", "1700000000.000200") == op

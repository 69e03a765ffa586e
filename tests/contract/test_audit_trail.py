"""The audit trail: events read back as written, newest first, by time and by account."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.audit import AuditEvent, AuditKind, event
from tests.contract.builders import T, active
from tests.unit.factories import access_request, grant


def ids(events: list[AuditEvent]) -> list[str]:
    return [e.id for e in events]


async def test_events_since_a_time_optionally_for_one_account_newest_first(store):
    here = grant(at=T)
    there = grant(at=T, request=access_request(account_id="444455556666"))
    early = event(here, AuditKind.REQUESTED, "UENGINEER", T - timedelta(days=2))
    middle = event(there, AuditKind.REQUESTED, "UENGINEER", T - timedelta(hours=2))
    late = event(here, AuditKind.APPROVED, "UOPS", T - timedelta(hours=1))
    same_time = event(here, AuditKind.GRANTED, "outpost", T - timedelta(hours=1))
    await store.insert_grant(here, [early, late, same_time])
    await store.insert_grant(there, [middle])

    since = T - timedelta(days=1)
    assert ids(await store.audit_events(since)) == [same_time.id, late.id, middle.id]
    assert ids(await store.audit_events(since, "111122223333")) == [same_time.id, late.id]
    assert ids(await store.audit_events(since, "444455556666")) == [middle.id]
    assert ids(await store.audit_events(T - timedelta(days=3), limit=2)) == [
        same_time.id,
        late.id,
    ]
    assert ids(await store.audit_events(early.at)) == ids(
        await store.audit_events(T - timedelta(days=3))
    )
    assert await store.audit_events(T) == []


async def test_an_event_reads_back_as_it_was_written(store):
    g = active(T).record(T, permission_set_name="BreakGlassAdmin")
    written = event(g, AuditKind.GRANTED, "outpost", T, detail="1h", request_ids=("r-1", ""))
    await store.insert_grant(g, [written])
    assert await store.get_audit_event(written.id) == written
    assert written.request_ids == ("r-1",)
    assert await store.get_audit_event("ev-000000000000") is None

"""One open grant per person and account: a second request for access someone has, or has
asked for, is refused, and leaves no trace."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from bot.domain.audit import AUDIT_STREAM, AuditKind, announcements, event
from bot.domain.grants import Grant, GrantState
from bot.store.base import OverlappingGrant
from tests.contract.builders import T, active, approved, denied, drain, of_stream
from tests.unit.factories import access_request, aws_failure, grant


def finished(state: GrantState, t: datetime) -> Grant:
    return {
        GrantState.ENDED: active(t).expire(t).ended(t),
        GrantState.DENIED: denied(grant(at=t), t),
        GrantState.WITHDRAWN: grant(at=t).revoke(t, "UENGINEER", is_ops=False),
        GrantState.UNANSWERED: grant(at=t).unanswered(t),
        GrantState.FAILED: approved(grant(at=t), t).fail(t, aws_failure()),
    }[state]


def opened(state: GrantState, t: datetime) -> Grant:
    return {
        GrantState.PENDING: grant(at=t),
        GrantState.GRANTING: approved(grant(at=t), t),
        GrantState.ACTIVE: active(t),
        GrantState.REVOKING: active(t).expire(t),
    }[state]


async def test_two_requests_at_once_store_exactly_one(store):
    filed = [grant(at=T), grant(at=T)]
    requested = [event(g, AuditKind.REQUESTED, g.requester, T) for g in filed]
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


@pytest.mark.parametrize(
    "state", [GrantState.PENDING, GrantState.GRANTING, GrantState.ACTIVE, GrantState.REVOKING]
)
async def test_every_open_grant_blocks_another(store, state):
    held = await store.insert_grant(opened(state, T - timedelta(minutes=30)))
    assert held.state is state
    with pytest.raises(OverlappingGrant):
        await store.insert_grant(grant(at=T))
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
async def test_a_finished_grant_does_not_block_a_new_one(store, state):
    done = await store.insert_grant(finished(state, T - timedelta(hours=2)))
    assert done.state is state
    again = await store.insert_grant(grant(at=T))
    assert [g.id for g in await store.open_grants("UENGINEER", "111122223333")] == [again.id]
    with pytest.raises(OverlappingGrant):
        await store.insert_grant(grant(at=T))


async def test_a_grant_decided_against_frees_the_pair(store):
    refused = await store.insert_grant(grant(at=T - timedelta(minutes=10)))
    with pytest.raises(OverlappingGrant):
        await store.insert_grant(grant(at=T))
    await store.save_grant(denied(refused, T))
    again = await store.insert_grant(grant(at=T))
    assert again.state is GrantState.PENDING
    assert (await store.get_grant(refused.id)).state is GrantState.DENIED


async def test_other_people_and_other_accounts_are_not_blocked(store):
    await store.insert_grant(grant(at=T))
    await store.insert_grant(grant(at=T, requester="UOTHER", filed_by="UOTHER"))
    elsewhere = access_request(account_id="444455556666", account_name="ledger")
    await store.insert_grant(grant(at=T, request=elsewhere))
    assert len(await store.open_grants()) == 3

"""One-time claims: a Slack event acted on once, a stuck operation alerted once per period."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.contract.builders import T

KEEP = timedelta(hours=2)
EVERY = timedelta(minutes=15)


class TestEventClaims:
    async def test_an_event_is_claimed_once(self, store):
        assert await store.claim_event("Ev01", T, KEEP)
        assert not await store.claim_event("Ev01", T + timedelta(minutes=59), KEEP)
        assert await store.claim_event("Ev02", T, KEEP)

    async def test_of_claims_made_at_once_one_is_granted(self, store):
        claims = await asyncio.gather(*(store.claim_event("Ev01", T, KEEP) for _ in range(10)))
        assert sorted(claims) == [False] * 9 + [True]

    async def test_an_id_is_remembered_for_as_long_as_it_is_kept(self, store):
        assert await store.claim_event("Ev01", T, KEEP)
        assert not await store.claim_event("Ev01", T + KEEP, KEEP)
        assert await store.claim_event("Ev01", T + KEEP + timedelta(seconds=1), KEEP)


class TestStuckAlerts:
    async def test_one_alert_per_stall_and_period(self, store):
        stalled_at = T - timedelta(minutes=20)
        assert await store.claim_stuck_alert("op-aaaaaa", stalled_at, T, EVERY)
        assert not await store.claim_stuck_alert("op-aaaaaa", stalled_at, T, EVERY)
        later = T + timedelta(minutes=14)
        assert not await store.claim_stuck_alert("op-aaaaaa", stalled_at, later, EVERY)
        assert await store.claim_stuck_alert("op-aaaaaa", stalled_at, T + EVERY, EVERY)
        assert not await store.claim_stuck_alert("op-aaaaaa", stalled_at, T + EVERY, EVERY)

    async def test_a_new_stall_after_moving_alerts_again(self, store):
        assert await store.claim_stuck_alert("op-bbbbbb", T - timedelta(hours=1), T, EVERY)
        moved = T - timedelta(minutes=16)
        assert await store.claim_stuck_alert("op-bbbbbb", moved, T, EVERY)

    async def test_operations_are_alerted_for_apart(self, store):
        assert await store.claim_stuck_alert("op-aaaaaa", T - EVERY, T, EVERY)
        assert await store.claim_stuck_alert("op-bbbbbb", T - EVERY, T, EVERY)

    async def test_of_claims_made_at_once_one_alerts(self, store):
        stalled_at = T - timedelta(minutes=20)
        claims = await asyncio.gather(
            *(store.claim_stuck_alert("op-cccccc", stalled_at, T, EVERY) for _ in range(4))
        )
        assert sorted(claims) == [False] * 3 + [True]

"""The SQLite store's record of Slack events already acted on, on a real file: one claim per
event id across processes and restarts, and a table that forgets ids past the window instead
of growing. What every backend does with claims is in tests/contract/test_claims.py."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta

from bot.clock import Clock
from bot.store import open_store
from tests.support.stores import InspectableStore

KEEP = timedelta(hours=2)
T = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


class TestEventClaims:
    async def test_two_processes_claiming_at_once_get_one_claim(
        self, store: InspectableStore, db_path: str, clock: Clock
    ) -> None:
        other = await open_store(f"sqlite:///{db_path}", clock=clock)
        try:
            claims = await asyncio.gather(
                *(s.claim_event("Ev01", T, KEEP) for s in [store, other] * 5)
            )
        finally:
            await other.close()
        assert sorted(claims) == [False] * 9 + [True]

    async def test_a_claim_survives_reopening_the_store(self, db_path: str, clock: Clock) -> None:
        first = await open_store(f"sqlite:///{db_path}", clock=clock)
        assert await first.claim_event("Ev01", T, KEEP)
        await first.close()
        again = await open_store(f"sqlite:///{db_path}", clock=clock)
        try:
            assert not await again.claim_event("Ev01", T + timedelta(minutes=1), KEEP)
        finally:
            await again.close()

    async def test_ids_older_than_the_window_are_forgotten(
        self, store: InspectableStore, db_path: str
    ) -> None:
        for n in range(100):
            await store.claim_event(f"Ev{n:03}", T, KEEP)
        assert await store.claim_event("EvLATER", T + KEEP + timedelta(seconds=1), KEEP)
        with closing(sqlite3.connect(db_path)) as db:
            kept = [row[0] for row in db.execute("SELECT event_id FROM slack_events")]
        assert kept == ["EvLATER"]

"""How the store hands out outbox messages to workers: claims that lapse unless renewed, and a
count of claims that tells a delivery which may already have reached Slack."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta

from bot.domain.outbox import Delivery, OutboxMessage
from bot.store.sqlite import SqliteStore

T = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=5)


async def queue(store: SqliteStore, stream: str = "op-1") -> None:
    await store.enqueue(OutboxMessage(stream=stream, delivery=Delivery.THREAD, text="hi"))


class TestClaims:
    async def test_a_claim_lapses_after_its_term_unless_renewed(self, store: SqliteStore) -> None:
        await queue(store)
        assert await store.claim_due_messages("a", T, 10, LEASE)
        await store.extend_claims("a", T + LEASE * 2)
        assert (
            await store.claim_due_messages("b", T + LEASE + timedelta(seconds=1), 10, LEASE) == []
        )
        (taken,) = await store.claim_due_messages(
            "b", T + LEASE * 2 + timedelta(seconds=1), 10, LEASE
        )
        assert taken.message.text == "hi"

    async def test_renewing_keeps_only_the_owners_claims(self, store: SqliteStore) -> None:
        await queue(store, "op-1")
        await queue(store, "op-2")
        (mine,) = await store.claim_due_messages("a", T, 1, LEASE)
        await store.extend_claims("b", T + LEASE * 10)
        later = await store.claim_due_messages("b", T + LEASE * 2, 10, LEASE)
        assert {entry.id for entry in later} == {mine.id, mine.id + 1}

    async def test_each_claim_is_counted(self, store: SqliteStore) -> None:
        await queue(store)
        (first,) = await store.claim_due_messages("a", T, 10, LEASE)
        assert first.claims == 1 and not first.maybe_delivered
        (second,) = await store.claim_due_messages("b", T + LEASE * 2, 10, LEASE)
        assert second.claims == 2 and second.maybe_delivered

    async def test_a_claim_given_back_still_counts(self, store: SqliteStore) -> None:
        """A stop that gave up on a delivery under way does not know whether Slack took it."""
        await queue(store)
        await store.claim_due_messages("a", T, 10, LEASE)
        await store.release_claims("a")
        (again,) = await store.claim_due_messages("b", T, 10, LEASE)
        assert again.maybe_delivered


async def test_an_outbox_made_by_an_earlier_version_gains_the_count(tmp_path, clock) -> None:
    path = tmp_path / "old.db"
    with closing(sqlite3.connect(path)) as db:
        db.execute(
            "CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, stream TEXT NOT NULL,"
            " delivery TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending',"
            " attempts INTEGER NOT NULL DEFAULT 0, not_before REAL NOT NULL DEFAULT 0,"
            " last_error TEXT, body TEXT NOT NULL, claimed_by TEXT, claimed_until REAL)"
        )
        message = OutboxMessage(stream="op-1", delivery=Delivery.THREAD, text="waiting")
        db.execute(
            "INSERT INTO outbox (stream, delivery, body, claimed_by, claimed_until)"
            " VALUES ('op-1', 'thread', ?, 'dead', 0)",
            (message.model_dump_json(),),
        )
        db.commit()
    store = await SqliteStore.open(str(path), clock=clock)
    try:
        (entry,) = await store.claim_due_messages("a", T, 10, LEASE)
    finally:
        await store.close()
    assert entry.message.text == "waiting" and entry.claims == 1

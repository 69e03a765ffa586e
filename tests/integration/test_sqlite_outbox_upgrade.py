"""About the SQLite backend: an outbox made before claims were counted gains the count. How
claims behave on every backend is in the store contract suite (tests/contract/test_outbox.py)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta

from bot.domain.outbox import Delivery, OutboxMessage
from bot.store import open_store

T = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=5)


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
    store = await open_store(f"sqlite:///{path}", clock=clock)
    try:
        (entry,) = await store.claim_due_messages("a", T, 10, LEASE)
    finally:
        await store.close()
    assert entry.message.text == "waiting" and entry.claims == 1

"""The embedded SQLite store: one file, safe for one process or several on one machine.

Rows keep a few indexed columns for the queries the engine makes, and the whole model as
JSON, so that models can grow without a migration for every field.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite

from bot.domain.operations import AwsCall, Operation, SlackCard
from bot.domain.outbox import Delivery, OutboxEntry, OutboxMessage
from bot.store.base import StaleOperation

SCHEMA = """
CREATE TABLE IF NOT EXISTS operations (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    requester TEXT NOT NULL,
    next_run_at REAL NOT NULL,
    version INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until REAL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS operations_runnable ON operations (state, next_run_at);
CREATE TABLE IF NOT EXISTS aws_calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    operation_id TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS aws_calls_by_operation ON aws_calls (operation_id);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    stream TEXT NOT NULL,
    delivery TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    body TEXT NOT NULL,
    claimed_by TEXT,
    claimed_until REAL
);
CREATE TABLE IF NOT EXISTS cards (
    operation_id TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    ts TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS cards_by_message ON cards (channel, ts);
CREATE TABLE IF NOT EXISTS cancel_requests (
    operation_id TEXT PRIMARY KEY,
    requested_by TEXT NOT NULL,
    requested_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS stuck_alerts (
    operation_id TEXT PRIMARY KEY,
    progress_at REAL NOT NULL,
    alerted_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (state, stream, id);
"""


class SqliteStore:
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._db = connection

    @classmethod
    async def open(cls, path: str) -> SqliteStore:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(path, isolation_level=None)
        await connection.execute("PRAGMA journal_mode=WAL")
        await connection.execute("PRAGMA busy_timeout=5000")
        await connection.execute("PRAGMA synchronous=NORMAL")
        await connection.executescript(SCHEMA)
        store = cls(connection)
        await store._add_missing_columns("outbox", {"claimed_by": "TEXT", "claimed_until": "REAL"})
        return store

    async def _add_missing_columns(self, table: str, columns: dict[str, str]) -> None:
        """Bring a table created by an earlier version up to date."""
        async with self._db.execute(f"PRAGMA table_info({table})") as cursor:
            present = {row[1] for row in await cursor.fetchall()}
        for name, kind in columns.items():
            if name not in present:
                await self._db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")

    async def close(self) -> None:
        await self._db.close()

    # operations

    async def insert_operation(self, operation: Operation) -> Operation:
        stored = operation.model_copy(update={"version": 1})
        await self._db.execute(
            "INSERT INTO operations (id, state, requester, next_run_at, version, body)"
            " VALUES (?, ?, ?, ?, 1, ?)",
            (
                stored.id,
                stored.state.value,
                stored.requester,
                stored.next_run_at.timestamp(),
                stored.model_dump_json(),
            ),
        )
        return stored

    async def get_operation(self, operation_id: str) -> Operation | None:
        async with self._db.execute(
            "SELECT body FROM operations WHERE id = ?", (operation_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return Operation.model_validate_json(row[0]) if row else None

    async def save_operation(self, operation: Operation) -> Operation:
        stored = operation.model_copy(update={"version": operation.version + 1})
        cursor = await self._db.execute(
            "UPDATE operations SET state = ?, next_run_at = ?, version = ?, body = ?"
            " WHERE id = ? AND version = ?",
            (
                stored.state.value,
                stored.next_run_at.timestamp(),
                stored.version,
                stored.model_dump_json(),
                stored.id,
                operation.version,
            ),
        )
        if cursor.rowcount != 1:
            raise StaleOperation(operation.id)
        return stored

    async def runnable_operations(self, now: datetime) -> list[str]:
        async with self._db.execute(
            "SELECT id FROM operations WHERE state = 'running'"
            " AND (next_run_at <= ? OR id IN (SELECT operation_id FROM cancel_requests))"
            " AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_run_at",
            (now.timestamp(), now.timestamp()),
        ) as cursor:
            return [row[0] for row in await cursor.fetchall()]

    async def running_operations(self) -> list[Operation]:
        async with self._db.execute(
            "SELECT body FROM operations WHERE state = 'running' ORDER BY rowid"
        ) as cursor:
            return [Operation.model_validate_json(row[0]) for row in await cursor.fetchall()]

    async def recent_operations(self, limit: int) -> list[Operation]:
        """Every running operation, and the most recently created finished ones."""
        async with self._db.execute(
            "SELECT body FROM operations WHERE state = 'running' OR id IN"
            " (SELECT id FROM operations ORDER BY rowid DESC LIMIT ?)",
            (limit,),
        ) as cursor:
            return [Operation.model_validate_json(row[0]) for row in await cursor.fetchall()]

    async def request_cancel(self, operation_id: str, by: str, at: datetime) -> None:
        await self._db.execute(
            "INSERT OR IGNORE INTO cancel_requests (operation_id, requested_by, requested_at)"
            " VALUES (?, ?, ?)",
            (operation_id, by, at.timestamp()),
        )

    async def clear_cancel_request(self, operation_id: str) -> None:
        await self._db.execute(
            "DELETE FROM cancel_requests WHERE operation_id = ?", (operation_id,)
        )

    async def cancel_request(self, operation_id: str) -> tuple[str, datetime] | None:
        async with self._db.execute(
            "SELECT requested_by, requested_at FROM cancel_requests WHERE operation_id = ?",
            (operation_id,),
        ) as cursor:
            row = await cursor.fetchone()
        return (str(row[0]), datetime.fromtimestamp(row[1], UTC)) if row else None

    async def claim_stuck_alert(
        self, operation_id: str, progress_at: datetime, now: datetime, every: timedelta
    ) -> bool:
        cursor = await self._db.execute(
            "INSERT INTO stuck_alerts (operation_id, progress_at, alerted_at) VALUES (?, ?, ?)"
            " ON CONFLICT (operation_id) DO UPDATE SET"
            " progress_at = excluded.progress_at, alerted_at = excluded.alerted_at"
            " WHERE stuck_alerts.progress_at != excluded.progress_at"
            " OR stuck_alerts.alerted_at <= ?",
            (operation_id, progress_at.timestamp(), now.timestamp(), (now - every).timestamp()),
        )
        return cursor.rowcount == 1

    async def operation_for_card(self, channel: str, ts: str) -> Operation | None:
        async with self._db.execute(
            "SELECT o.body FROM operations o JOIN cards c ON c.operation_id = o.id"
            " WHERE c.channel = ? AND c.ts = ?",
            (channel, ts),
        ) as cursor:
            row = await cursor.fetchone()
        return Operation.model_validate_json(row[0]) if row else None

    async def acquire_lease(self, operation_id: str, owner: str, until: datetime) -> bool:
        now = datetime.now(until.tzinfo).timestamp()
        cursor = await self._db.execute(
            "UPDATE operations SET lease_owner = ?, lease_until = ? WHERE id = ?"
            " AND (lease_owner IS NULL OR lease_owner = ? OR lease_until < ?)",
            (owner, until.timestamp(), operation_id, owner, now),
        )
        return cursor.rowcount == 1

    async def lease_abandoned(self, operation_id: str, now: datetime) -> bool:
        async with self._db.execute(
            "SELECT 1 FROM operations WHERE id = ? AND lease_owner IS NOT NULL AND lease_until < ?",
            (operation_id, now.timestamp()),
        ) as cursor:
            return await cursor.fetchone() is not None

    async def release_lease(self, operation_id: str, owner: str) -> None:
        await self._db.execute(
            "UPDATE operations SET lease_owner = NULL, lease_until = NULL"
            " WHERE id = ? AND lease_owner = ?",
            (operation_id, owner),
        )

    # cards

    async def set_card(self, operation_id: str, card: SlackCard) -> None:
        await self._db.execute(
            "INSERT OR REPLACE INTO cards (operation_id, channel, ts) VALUES (?, ?, ?)",
            (operation_id, card.channel, card.ts),
        )

    async def get_card(self, operation_id: str) -> SlackCard | None:
        async with self._db.execute(
            "SELECT channel, ts FROM cards WHERE operation_id = ?", (operation_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return SlackCard(channel=row[0], ts=row[1]) if row else None

    # AWS calls

    async def record_call(self, operation_id: str, call: AwsCall) -> None:
        await self._db.execute(
            "INSERT INTO aws_calls (operation_id, body) VALUES (?, ?)",
            (operation_id, call.model_dump_json()),
        )

    async def calls_for(self, operation_id: str) -> list[AwsCall]:
        async with self._db.execute(
            "SELECT body FROM aws_calls WHERE operation_id = ? ORDER BY id", (operation_id,)
        ) as cursor:
            return [AwsCall.model_validate_json(row[0]) for row in await cursor.fetchall()]

    # outbox

    async def enqueue(self, message: OutboxMessage) -> None:
        if message.delivery is Delivery.CARD:
            # A waiting refresh renders the latest state when delivered, so one is enough. The
            # head of the stream is left out: it may be in delivery, rendered already.
            async with self._db.execute(
                "SELECT 1 FROM outbox WHERE stream = ? AND state = 'pending' AND delivery = ?"
                " AND id > (SELECT MIN(id) FROM outbox WHERE stream = ? AND state = 'pending')",
                (message.stream, Delivery.CARD.value, message.stream),
            ) as cursor:
                if await cursor.fetchone():
                    return
        await self._db.execute(
            "INSERT INTO outbox (stream, delivery, body) VALUES (?, ?, ?)",
            (message.stream, message.delivery.value, message.model_dump_json()),
        )

    async def due_messages(self, now: datetime, limit: int) -> list[OutboxEntry]:
        async with self._db.execute(
            "SELECT o.id, o.attempts, o.body FROM outbox o"
            " WHERE o.state = 'pending' AND o.not_before <= ?"
            " AND o.id = (SELECT MIN(id) FROM outbox WHERE stream = o.stream AND state = 'pending')"
            " ORDER BY o.id LIMIT ?",
            (now.timestamp(), limit),
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            OutboxEntry(
                id=row[0], attempts=row[1], message=OutboxMessage.model_validate(json.loads(row[2]))
            )
            for row in rows
        ]

    async def claim_due_messages(
        self, owner: str, now: datetime, limit: int, claim_for: timedelta
    ) -> list[OutboxEntry]:
        cursor = await self._db.execute(
            "UPDATE outbox SET claimed_by = ?, claimed_until = ? WHERE id IN ("
            " SELECT o.id FROM outbox o WHERE o.state = 'pending' AND o.not_before <= ?"
            " AND (o.claimed_until IS NULL OR o.claimed_until < ? OR o.claimed_by = ?)"
            " AND o.id = (SELECT MIN(id) FROM outbox WHERE stream = o.stream AND state = 'pending')"
            " ORDER BY o.id LIMIT ?)"
            " RETURNING id, attempts, body",
            (
                owner,
                (now + claim_for).timestamp(),
                now.timestamp(),
                now.timestamp(),
                owner,
                limit,
            ),
        )
        rows = sorted(await cursor.fetchall())
        await cursor.close()
        return [
            OutboxEntry(
                id=row[0], attempts=row[1], message=OutboxMessage.model_validate(json.loads(row[2]))
            )
            for row in rows
        ]

    async def mark_sent(self, entry_id: int) -> None:
        # Slack has it now; only what is waiting or was refused is worth keeping.
        await self._db.execute("DELETE FROM outbox WHERE id = ?", (entry_id,))

    async def retry_later(self, entry_id: int, not_before: datetime, error: str) -> None:
        await self._db.execute(
            "UPDATE outbox SET attempts = attempts + 1, not_before = ?, last_error = ?,"
            " claimed_by = NULL, claimed_until = NULL WHERE id = ?",
            (not_before.timestamp(), error, entry_id),
        )

    async def mark_dead(self, entry_id: int, error: str) -> None:
        await self._db.execute(
            "UPDATE outbox SET state = 'dead', attempts = attempts + 1, last_error = ?"
            " WHERE id = ?",
            (error, entry_id),
        )

    async def pending_count(self) -> int:
        async with self._db.execute("SELECT COUNT(*) FROM outbox WHERE state = 'pending'") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    # accounts Outpost created

    async def operations_for_account(self, account_id: str) -> list[Operation]:
        return await self.operations_for_accounts([account_id])

    async def operations_for_accounts(self, account_ids: Collection[str]) -> list[Operation]:
        # One parameter whatever the number of ids: SQLite limits how many a statement takes.
        async with self._db.execute(
            "SELECT body FROM operations"
            " WHERE json_extract(body, '$.progress.account_id') IN (SELECT value FROM json_each(?))"
            " ORDER BY rowid DESC",
            (json.dumps(sorted(set(account_ids))),),
        ) as cursor:
            return [Operation.model_validate_json(row[0]) for row in await cursor.fetchall()]


async def open_store(database_url: str) -> SqliteStore:
    """Open the store named by DATABASE_URL (validated by the settings)."""
    return await SqliteStore.open(database_url.removeprefix("sqlite:///"))

"""The embedded SQLite store: one file, safe for one process or several on one machine.

Rows keep a few indexed columns for the queries the engine makes, and the whole model as
JSON, so that models can grow without a migration for every field.

Writes share one connection in autocommit mode. A write of several statements runs in a
transaction, and no other statement may run on that connection while it is open, or it would be
committed or rolled back with it: every write therefore runs under one lock, which a transaction
holds from its BEGIN to its COMMIT. Reads have a connection of their own: in WAL mode they see
the last commit without waiting for SQLite's write lock, so a write kept waiting by another
process does not hold up the reads queued behind it.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite

from bot.clock import Clock
from bot.domain.alerts import PostedAlert
from bot.domain.audit import AuditEvent
from bot.domain.grants import Grant, GrantState
from bot.domain.operations import AwsCall, Operation, OperationState, SlackCard
from bot.domain.outbox import Delivery, OutboxEntry, OutboxMessage
from bot.store.base import (
    RECENT_OPERATIONS,
    AccountAlreadyRequested,
    OverlappingGrant,
    StaleGrant,
    StaleOperation,
    StoreUnavailable,
    new_outbox_id,
)
from bot.store.deadline import WriteAbandoned, WriteDeadline
from bot.store.listeners import CommitListeners

# The condition that selects grants that are not finished, written once: the partial index of
# open grants is used only by queries that repeat its condition word for word.
OPEN_GRANTS = "state IN ({})".format(", ".join(f"'{s.value}'" for s in GrantState if s.open))

# The outbox names its rows with ids the store makes up (no backend need count them), and keeps
# each stream's order in `seq`, one more than the highest present when a row is queued.
OUTBOX_TABLE = """
CREATE TABLE IF NOT EXISTS {name} (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    stream TEXT NOT NULL,
    delivery TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    body TEXT NOT NULL,
    claimed_by TEXT,
    claimed_until REAL,
    claims INTEGER NOT NULL DEFAULT 0
);
"""
OUTBOX_INDEXES = """
CREATE INDEX IF NOT EXISTS outbox_in_order ON outbox (state, stream, seq);
CREATE INDEX IF NOT EXISTS outbox_by_seq ON outbox (seq);
"""
# An outbox made by an earlier version numbered its rows (INTEGER id, autoincrement) and kept
# each stream in the order of those numbers: they become the rows' ids, as text, and their seq.
OUTBOX_COLUMNS = (
    "stream, delivery, state, attempts, not_before, last_error, body,"
    " claimed_by, claimed_until, claims"
)
# Columns added to the outbox since its first version, for delivery claims.
OUTBOX_CLAIM_COLUMNS = {
    "claimed_by": "TEXT",
    "claimed_until": "REAL",
    "claims": "INTEGER NOT NULL DEFAULT 0",
}
OUTBOX_FROM_NUMBERED_ROWS = f"""
INSERT INTO outbox_rebuilt (id, seq, {OUTBOX_COLUMNS})
    SELECT CAST(id AS TEXT), id, {OUTBOX_COLUMNS} FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_rebuilt RENAME TO outbox;
"""

SCHEMA = f"""
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
CREATE TABLE IF NOT EXISTS posted_alerts (
    channel TEXT NOT NULL,
    ts TEXT NOT NULL,
    operation_id TEXT NOT NULL,
    settled INTEGER NOT NULL DEFAULT 0,
    body TEXT NOT NULL,
    PRIMARY KEY (channel, ts)
);
CREATE INDEX IF NOT EXISTS posted_alerts_unsettled ON posted_alerts (operation_id)
    WHERE settled = 0;
CREATE TABLE IF NOT EXISTS grants (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    requester TEXT NOT NULL,
    account_id TEXT NOT NULL,
    due_at REAL,
    version INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until REAL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS grants_due ON grants (due_at, lease_until, id)
    WHERE due_at IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS grants_one_open
    ON grants (requester, account_id) WHERE {OPEN_GRANTS};
CREATE TABLE IF NOT EXISTS audit_events (
    id TEXT PRIMARY KEY,
    at REAL NOT NULL,
    account_id TEXT NOT NULL,
    grant_id TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_events_by_time ON audit_events (at);
CREATE INDEX IF NOT EXISTS audit_events_by_account ON audit_events (account_id, at);
CREATE TABLE IF NOT EXISTS slack_events (
    event_id TEXT PRIMARY KEY,
    seen_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS slack_events_by_time ON slack_events (seen_at);
{OUTBOX_TABLE.format(name="outbox")}"""

# What an account creation asks for, in columns, so that a second request for the same name or
# email is found by an index. Added to tables made by earlier versions, then filled in.
ACCOUNT_COLUMNS = {"account_name": "TEXT", "account_email": "TEXT"}
ACCOUNT_INDEXES = """
UPDATE operations SET account_name = json_extract(body, '$.request.name'),
    account_email = lower(json_extract(body, '$.request.email'))
    WHERE account_name IS NULL;
CREATE INDEX IF NOT EXISTS operations_by_account_name ON operations (account_name);
CREATE INDEX IF NOT EXISTS operations_by_account_email ON operations (account_email);
"""

# Another operation that is creating, or has just created, an account with this name or email.
SAME_ACCOUNT_QUERY = (
    "SELECT id, state = 'running', account_name = ?, account_email = ? FROM operations"
    " WHERE (account_name = ? OR account_email = ?) AND id != ? AND (state = 'running' OR"
    " (state = 'succeeded' AND rowid > (SELECT MAX(rowid) FROM operations) - ?))"
    " ORDER BY state = 'running' DESC, rowid DESC LIMIT 1"
)

# Whether the row `o` is the first pending message of its stream.
STREAM_HEAD = "o.seq = (SELECT MIN(seq) FROM outbox WHERE stream = o.stream AND state = 'pending')"

# How long a statement waits for another connection's write lock before giving up.
BUSY_TIMEOUT_MS = 5000

# A search of the index on `due_at` that reads nothing else: a sweep steps through the grants
# due, and never through those waiting for a later time.
DUE_GRANTS_QUERY = (
    "SELECT id FROM grants WHERE due_at <= ? AND (lease_until IS NULL OR lease_until < ?)"
    " ORDER BY due_at LIMIT ?"
)


class SqliteStore:
    def __init__(
        self,
        connection: aiosqlite.Connection,
        reader: aiosqlite.Connection | None = None,
        *,
        clock: Clock,
    ) -> None:
        self._db = connection
        self._clock = clock  # what a lease is judged by
        self._lock = asyncio.Lock()
        # An in-memory database is private to its connection: there, reads share the writer's.
        self._reader = reader or connection
        self._read_lock = asyncio.Lock() if reader else self._lock
        self._listeners = CommitListeners()
        self._queued = False  # whether the open transaction queued a message

    @classmethod
    async def open(cls, path: str, *, clock: Clock) -> SqliteStore:
        """Open (or create) the store's file; StoreUnavailable, with the cause, if it cannot be
        used. Nothing is left open then: an open connection's thread would keep the process
        alive."""
        opened: list[aiosqlite.Connection] = []
        try:
            return await cls._open(path, opened, clock)
        except (sqlite3.Error, OSError) as error:
            for connection in opened:
                with suppress(Exception):
                    await connection.close()
            raise StoreUnavailable(str(error) or type(error).__name__) from error

    @classmethod
    async def _open(
        cls, path: str, opened: list[aiosqlite.Connection], clock: Clock
    ) -> SqliteStore:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = await _connect(path)
        opened.append(connection)
        # Read to its end: a statement left open would keep the file locked for the others.
        async with connection.execute("PRAGMA journal_mode=WAL") as cursor:
            await cursor.fetchall()
        reader = None if path == ":memory:" else await _connect(path)
        if reader is not None:
            opened.append(reader)
        store = cls(connection, reader, clock=clock)
        await store._bring_up_to_date()
        return store

    async def _bring_up_to_date(self) -> None:
        """Create the tables, or bring those of an earlier version up to date, in one
        transaction: it takes the write lock before it reads the schema, so that of several
        processes opening the file at once one changes it and the others find it done."""
        async with self._transaction() as db:
            await _run_script(db, SCHEMA)
            await _add_missing_columns(db, "outbox", OUTBOX_CLAIM_COLUMNS)
            await _number_outbox_by_seq(db)
            await _run_script(db, OUTBOX_INDEXES)
            await _add_missing_columns(db, "operations", ACCOUNT_COLUMNS)
            await _run_script(db, ACCOUNT_INDEXES)

    async def close(self) -> None:
        async with self._lock:  # a transaction in progress ends first
            await self._db.close()
        if self._reader is not self._db:
            async with self._read_lock:
                await self._reader.close()

    # statements: each runs alone on the connection

    async def _rows(self, sql: str, parameters: Sequence[Any] = ()) -> list[sqlite3.Row]:
        async with self._lock, self._db.execute(sql, parameters) as cursor:
            return list(await cursor.fetchall())

    async def _row(self, sql: str, parameters: Sequence[Any] = ()) -> sqlite3.Row | None:
        async with self._lock, self._db.execute(sql, parameters) as cursor:
            return await cursor.fetchone()

    async def _read(self, sql: str, parameters: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Rows of a query that changes nothing, from the last commit: never kept waiting by
        a write."""
        async with self._read_lock, self._reader.execute(sql, parameters) as cursor:
            return list(await cursor.fetchall())

    async def _read_one(self, sql: str, parameters: Sequence[Any] = ()) -> sqlite3.Row | None:
        async with self._read_lock, self._reader.execute(sql, parameters) as cursor:
            return await cursor.fetchone()

    async def _write(self, sql: str, parameters: Sequence[Any] = ()) -> int:
        """Run one statement; returns how many rows it changed."""
        async with self._lock, self._db.execute(sql, parameters) as cursor:
            return cursor.rowcount

    @asynccontextmanager
    async def _transaction(
        self, deadline: WriteDeadline | None = None
    ) -> AsyncIterator[aiosqlite.Connection]:
        """The connection, for statements that are all written or none: run them on it directly
        (the lock is held). BEGIN IMMEDIATE takes the file's write lock at the start, waiting as
        long as busy_timeout for another process's write, so no statement of the transaction
        fails half-way for want of it. With a `deadline`, the transaction goes on only if it
        has the lock before the deadline (else WriteAbandoned)."""
        async with self._lock:
            if deadline is not None and deadline.passed:
                raise WriteAbandoned()
            self._queued = False
            try:
                # Inside the try: cancelled while it waits for the lock, the BEGIN still runs
                # on the connection's thread, and the ROLLBACK queued behind it ends it.
                await self._db.execute("BEGIN IMMEDIATE")
                if deadline is not None and not deadline.begin():
                    raise WriteAbandoned()
                yield self._db
                await self._db.execute("COMMIT")
            except BaseException as error:
                # If the COMMIT was reached after all, there is nothing left to roll back.
                with suppress(sqlite3.Error):
                    await self._db.execute("ROLLBACK")
                if isinstance(error, sqlite3.OperationalError):
                    # The file, not the write: locked past busy_timeout, read-only, disk full.
                    raise StoreUnavailable(str(error)) from error
                raise
            queued = self._queued
        if queued:
            self._listeners.messages_committed()

    def on_messages_committed(self, listener: Callable[[], None]) -> None:
        self._listeners.add(listener)

    # operations

    async def insert_operation(
        self,
        operation: Operation,
        messages: Sequence[OutboxMessage] = (),
        *,
        deadline: WriteDeadline | None = None,
    ) -> Operation:
        stored = operation.model_copy(update={"version": 1})
        name, email = stored.request.name, stored.request.email.lower()
        try:
            async with self._transaction(deadline) as db:
                await _refuse_same_account(db, stored)
                await db.execute(
                    "INSERT INTO operations (id, state, requester, next_run_at, version, body,"
                    " account_name, account_email) VALUES (?, ?, ?, ?, 1, ?, ?, ?)",
                    (
                        stored.id,
                        stored.state.value,
                        stored.requester,
                        stored.next_run_at.timestamp(),
                        stored.model_dump_json(),
                        name,
                        email,
                    ),
                )
                for message in messages:
                    await self._queue(db, message)
        except sqlite3.Error as error:
            raise StoreUnavailable(str(error)) from error
        return stored

    async def account_requested(self, name: str, email: str) -> AccountAlreadyRequested | None:
        async with self._read_lock:
            return await _same_account(self._reader, name, email, other_than="")

    async def get_operation(self, operation_id: str) -> Operation | None:
        row = await self._read_one("SELECT body FROM operations WHERE id = ?", (operation_id,))
        return Operation.model_validate_json(row[0]) if row else None

    async def save_operation(
        self, operation: Operation, messages: Sequence[OutboxMessage] = ()
    ) -> Operation:
        stored = operation.model_copy(update={"version": operation.version + 1})
        async with self._transaction() as db:
            if stored.state is OperationState.RUNNING:
                # A retry starts a finished operation again: the same check as a new one's.
                async with db.execute(
                    "SELECT 1 FROM operations WHERE id = ? AND state != 'running'", (stored.id,)
                ) as cursor:
                    if await cursor.fetchone() is not None:
                        await _refuse_same_account(db, stored)
            async with db.execute(
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
            ) as cursor:
                if cursor.rowcount != 1:
                    raise StaleOperation(operation.id)
            for message in messages:
                await self._queue(db, message)
        return stored

    async def runnable_operations(self, now: datetime) -> list[str]:
        rows = await self._read(
            "SELECT id FROM operations WHERE state = 'running'"
            " AND (next_run_at <= ? OR id IN (SELECT operation_id FROM cancel_requests))"
            " AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_run_at",
            (now.timestamp(), now.timestamp()),
        )
        return [row[0] for row in rows]

    async def running_operations(self) -> list[Operation]:
        rows = await self._read(
            "SELECT body FROM operations WHERE state = 'running' ORDER BY rowid"
        )
        return [Operation.model_validate_json(row[0]) for row in rows]

    async def recent_operations(self, limit: int) -> list[Operation]:
        """Every running operation, and the most recently created finished ones, newest first."""
        rows = await self._read(
            "SELECT body FROM operations WHERE state = 'running' OR id IN"
            " (SELECT id FROM operations ORDER BY rowid DESC LIMIT ?) ORDER BY rowid DESC",
            (limit,),
        )
        return [Operation.model_validate_json(row[0]) for row in rows]

    async def request_cancel(self, operation_id: str, by: str, at: datetime) -> None:
        await self._write(
            "INSERT OR IGNORE INTO cancel_requests (operation_id, requested_by, requested_at)"
            " VALUES (?, ?, ?)",
            (operation_id, by, at.timestamp()),
        )

    async def clear_cancel_request(self, operation_id: str) -> None:
        await self._write("DELETE FROM cancel_requests WHERE operation_id = ?", (operation_id,))

    async def cancel_request(self, operation_id: str) -> tuple[str, datetime] | None:
        row = await self._read_one(
            "SELECT requested_by, requested_at FROM cancel_requests WHERE operation_id = ?",
            (operation_id,),
        )
        return (str(row[0]), datetime.fromtimestamp(row[1], UTC)) if row else None

    async def claim_stuck_alert(
        self, operation_id: str, progress_at: datetime, now: datetime, every: timedelta
    ) -> bool:
        changed = await self._write(
            "INSERT INTO stuck_alerts (operation_id, progress_at, alerted_at) VALUES (?, ?, ?)"
            " ON CONFLICT (operation_id) DO UPDATE SET"
            " progress_at = excluded.progress_at, alerted_at = excluded.alerted_at"
            " WHERE stuck_alerts.progress_at != excluded.progress_at"
            " OR stuck_alerts.alerted_at <= ?",
            (operation_id, progress_at.timestamp(), now.timestamp(), (now - every).timestamp()),
        )
        return changed == 1

    # stuck alerts

    async def remember_alert(self, alert: PostedAlert) -> None:
        await self._write(
            "INSERT OR IGNORE INTO posted_alerts (channel, ts, operation_id, body)"
            " VALUES (?, ?, ?, ?)",
            (alert.channel, alert.ts, alert.operation_id, alert.model_dump_json()),
        )

    async def posted_alert(self, channel: str, ts: str) -> PostedAlert | None:
        row = await self._read_one(
            "SELECT body FROM posted_alerts WHERE channel = ? AND ts = ?", (channel, ts)
        )
        return PostedAlert.model_validate_json(row[0]) if row else None

    async def unsettled_alerts(self, operation_id: str) -> list[PostedAlert]:
        rows = await self._read(
            "SELECT body FROM posted_alerts WHERE operation_id = ? AND settled = 0 ORDER BY rowid",
            (operation_id,),
        )
        return [PostedAlert.model_validate_json(row[0]) for row in rows]

    async def settle_alert(self, alert: PostedAlert, edit: OutboxMessage) -> bool:
        async with self._transaction() as db:
            async with db.execute(
                "UPDATE posted_alerts SET settled = 1 WHERE channel = ? AND ts = ? AND settled = 0",
                (alert.channel, alert.ts),
            ) as cursor:
                if cursor.rowcount != 1:
                    return False
            await self._queue(db, edit)
        return True

    async def operation_for_card(self, channel: str, ts: str) -> Operation | None:
        row = await self._read_one(
            "SELECT o.body FROM operations o JOIN cards c ON c.operation_id = o.id"
            " WHERE c.channel = ? AND c.ts = ?",
            (channel, ts),
        )
        return Operation.model_validate_json(row[0]) if row else None

    async def acquire_lease(self, operation_id: str, owner: str, until: datetime) -> bool:
        return await self._acquire("operations", operation_id, owner, until)

    async def lease_abandoned(self, operation_id: str, now: datetime) -> bool:
        row = await self._read_one(
            "SELECT 1 FROM operations WHERE id = ? AND lease_owner IS NOT NULL AND lease_until < ?",
            (operation_id, now.timestamp()),
        )
        return row is not None

    async def release_lease(self, operation_id: str, owner: str) -> None:
        await self._release("operations", operation_id, owner)

    async def _acquire(self, table: str, row_id: str, owner: str, until: datetime) -> bool:
        now = self._clock.now().timestamp()
        changed = await self._write(
            f"UPDATE {table} SET lease_owner = ?, lease_until = ? WHERE id = ?"
            " AND (lease_owner IS NULL OR lease_owner = ? OR lease_until < ?)",
            (owner, until.timestamp(), row_id, owner, now),
        )
        return changed == 1

    async def _release(self, table: str, row_id: str, owner: str) -> None:
        await self._write(
            f"UPDATE {table} SET lease_owner = NULL, lease_until = NULL"
            " WHERE id = ? AND lease_owner = ?",
            (row_id, owner),
        )

    # cards

    async def set_card(self, operation_id: str, card: SlackCard) -> None:
        await self._write(
            "INSERT OR REPLACE INTO cards (operation_id, channel, ts) VALUES (?, ?, ?)",
            (operation_id, card.channel, card.ts),
        )

    async def get_card(self, operation_id: str) -> SlackCard | None:
        row = await self._read_one(
            "SELECT channel, ts FROM cards WHERE operation_id = ?", (operation_id,)
        )
        return SlackCard(channel=row[0], ts=row[1]) if row else None

    # AWS calls

    async def record_call(self, operation_id: str, call: AwsCall) -> None:
        await self._write(
            "INSERT INTO aws_calls (operation_id, body) VALUES (?, ?)",
            (operation_id, call.model_dump_json()),
        )

    async def calls_for(self, operation_id: str) -> list[AwsCall]:
        rows = await self._read(
            "SELECT body FROM aws_calls WHERE operation_id = ? ORDER BY id", (operation_id,)
        )
        return [AwsCall.model_validate_json(row[0]) for row in rows]

    # outbox

    async def enqueue(self, message: OutboxMessage) -> None:
        async with self._transaction() as db:
            await self._queue(db, message)

    # Outside the protocol: the queue as tests look at it, without claiming anything.
    async def due_messages(self, now: datetime, limit: int) -> list[OutboxEntry]:
        rows = await self._read(
            "SELECT o.id, o.attempts, o.body, o.claims FROM outbox o"
            " WHERE o.state = 'pending' AND o.not_before <= ?"
            f" AND {STREAM_HEAD} ORDER BY o.seq LIMIT ?",
            (now.timestamp(), limit),
        )
        return [_outbox_entry(row) for row in rows]

    async def claim_due_messages(
        self, owner: str, now: datetime, limit: int, claim_for: timedelta
    ) -> list[OutboxEntry]:
        rows = await self._rows(
            "UPDATE outbox SET claimed_by = ?, claimed_until = ?, claims = claims + 1 WHERE id IN ("
            " SELECT o.id FROM outbox o WHERE o.state = 'pending' AND o.not_before <= ?"
            " AND (o.claimed_until IS NULL OR o.claimed_until < ? OR o.claimed_by = ?)"
            f" AND {STREAM_HEAD} ORDER BY o.seq LIMIT ?)"
            " RETURNING id, attempts, body, claims, seq",
            (
                owner,
                (now + claim_for).timestamp(),
                now.timestamp(),
                now.timestamp(),
                owner,
                limit,
            ),
        )
        return [_outbox_entry(row) for row in sorted(rows, key=lambda row: row[4])]

    async def extend_claims(self, owner: str, until: datetime) -> None:
        await self._write(
            "UPDATE outbox SET claimed_until = ? WHERE claimed_by = ? AND state = 'pending'",
            (until.timestamp(), owner),
        )

    async def release_claims(self, owner: str) -> None:
        await self._write(
            "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL"
            " WHERE claimed_by = ? AND state = 'pending'",
            (owner,),
        )

    async def mark_sent(self, entry_id: str) -> None:
        # Slack has it now; only what is waiting or was refused is worth keeping.
        await self._write("DELETE FROM outbox WHERE id = ?", (entry_id,))

    async def retry_later(self, entry_id: str, not_before: datetime, error: str) -> None:
        await self._write(
            "UPDATE outbox SET attempts = attempts + 1, not_before = ?, last_error = ?,"
            " claimed_by = NULL, claimed_until = NULL WHERE id = ?",
            (not_before.timestamp(), error, entry_id),
        )

    async def mark_dead(self, entry_id: str, error: str) -> None:
        await self._write(
            "UPDATE outbox SET state = 'dead', attempts = attempts + 1, last_error = ?"
            " WHERE id = ?",
            (error, entry_id),
        )

    # Outside the protocol, for tests: how much is waiting.
    async def pending_count(self) -> int:
        row = await self._read_one("SELECT COUNT(*) FROM outbox WHERE state = 'pending'")
        return int(row[0]) if row else 0

    # Outside the protocol, for tests: what waits for a try with no deliverer holding it.
    async def unclaimed_messages(self) -> list[OutboxEntry]:
        rows = await self._read(
            "SELECT id, attempts, body, claims FROM outbox"
            " WHERE state = 'pending' AND claimed_by IS NULL ORDER BY seq"
        )
        return [_outbox_entry(row) for row in rows]

    # Slack events already acted on

    async def claim_event(self, event_id: str, now: datetime, keep_for: timedelta) -> bool:
        async with self._transaction() as db:
            await db.execute(
                "DELETE FROM slack_events WHERE seen_at < ?", ((now - keep_for).timestamp(),)
            )
            async with db.execute(
                "INSERT OR IGNORE INTO slack_events (event_id, seen_at) VALUES (?, ?)",
                (event_id, now.timestamp()),
            ) as cursor:
                return cursor.rowcount == 1

    # accounts Outpost created

    async def operations_for_account(self, account_id: str) -> list[Operation]:
        return await self.operations_for_accounts([account_id])

    async def operations_for_accounts(self, account_ids: Collection[str]) -> list[Operation]:
        # One parameter whatever the number of ids: SQLite limits how many a statement takes.
        rows = await self._read(
            "SELECT body FROM operations"
            " WHERE json_extract(body, '$.progress.account_id') IN (SELECT value FROM json_each(?))"
            " ORDER BY rowid DESC",
            (json.dumps(sorted(set(account_ids))),),
        )
        return [Operation.model_validate_json(row[0]) for row in rows]

    # break-glass grants

    async def insert_grant(
        self,
        grant: Grant,
        audit: Sequence[AuditEvent] = (),
        messages: Sequence[OutboxMessage] = (),
    ) -> Grant:
        stored = grant.model_copy(update={"version": 1})
        try:
            async with self._transaction() as db:
                await db.execute(
                    "INSERT INTO grants (state, requester, account_id, due_at, version, body, id)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    _grant_columns(stored),
                )
                await self._record(db, stored, audit, messages)
        except sqlite3.IntegrityError as error:
            if "grants.requester" in str(error):
                raise OverlappingGrant(grant.requester, grant.request.account_id) from None
            raise
        return stored

    async def save_grant(
        self,
        grant: Grant,
        audit: Sequence[AuditEvent] = (),
        messages: Sequence[OutboxMessage] = (),
    ) -> Grant:
        stored = grant.model_copy(update={"version": grant.version + 1})
        async with self._transaction() as db:
            async with db.execute(
                "UPDATE grants SET state = ?, requester = ?, account_id = ?, due_at = ?,"
                " version = ?, body = ? WHERE id = ? AND version = ?",
                (*_grant_columns(stored), grant.version),
            ) as cursor:
                if cursor.rowcount != 1:
                    raise StaleGrant(grant.id)
            await self._record(db, stored, audit, messages)
        return stored

    async def get_grant(self, grant_id: str) -> Grant | None:
        row = await self._read_one("SELECT body FROM grants WHERE id = ?", (grant_id,))
        return Grant.model_validate_json(row[0]) if row else None

    async def due_grants(self, now: datetime, limit: int) -> list[str]:
        rows = await self._read(DUE_GRANTS_QUERY, (now.timestamp(), now.timestamp(), limit))
        return [row[0] for row in rows]

    async def open_grants(
        self, requester: str | None = None, account_id: str | None = None
    ) -> list[Grant]:
        conditions, parameters = [OPEN_GRANTS], []
        if requester is not None:
            conditions.append("requester = ?")
            parameters.append(requester)
        if account_id is not None:
            conditions.append("account_id = ?")
            parameters.append(account_id)
        rows = await self._read(
            f"SELECT rowid, body FROM grants WHERE {' AND '.join(conditions)}", parameters
        )
        # Sorted here rather than in SQL: an ORDER BY would lead SQLite to scan the table in
        # rowid order instead of reading the few open grants from their index.
        found = [(Grant.model_validate_json(body), rowid) for rowid, body in rows]
        found.sort(key=lambda pair: (pair[0].created_at, pair[1]))
        return [grant for grant, _ in found]

    # Outside the protocol, for tests: the bot only ever looks for grants by id or by state.
    async def all_grants(self) -> list[Grant]:
        rows = await self._read("SELECT body FROM grants ORDER BY rowid")
        return [Grant.model_validate_json(row[0]) for row in rows]

    async def acquire_grant_lease(self, grant_id: str, owner: str, until: datetime) -> bool:
        return await self._acquire("grants", grant_id, owner, until)

    async def release_grant_lease(self, grant_id: str, owner: str) -> None:
        await self._release("grants", grant_id, owner)

    # the audit trail

    async def get_audit_event(self, event_id: str) -> AuditEvent | None:
        row = await self._read_one("SELECT body FROM audit_events WHERE id = ?", (event_id,))
        return AuditEvent.model_validate_json(row[0]) if row else None

    async def audit_events(
        self, since: datetime, account_id: str | None = None, limit: int = 1000
    ) -> list[AuditEvent]:
        account = "" if account_id is None else " AND account_id = ?"
        parameters = (since.timestamp(), *([] if account_id is None else [account_id]), limit)
        rows = await self._read(
            f"SELECT body FROM audit_events WHERE at >= ?{account}"
            " ORDER BY at DESC, rowid DESC LIMIT ?",
            parameters,
        )
        return [AuditEvent.model_validate_json(row[0]) for row in rows]

    # what a write queues

    async def _queue(self, db: aiosqlite.Connection, message: OutboxMessage) -> None:
        """Queue a message, inside a transaction the caller holds; its commit wakes delivery."""
        self._queued = True
        if message.delivery is Delivery.CARD:
            # A waiting refresh renders the latest state when delivered, so one is enough. The
            # head of the stream is left out: it may be in delivery, rendered already.
            async with db.execute(
                "SELECT 1 FROM outbox WHERE stream = ? AND state = 'pending' AND delivery = ?"
                " AND seq > (SELECT MIN(seq) FROM outbox WHERE stream = ? AND state = 'pending')",
                (message.stream, Delivery.CARD.value, message.stream),
            ) as cursor:
                if await cursor.fetchone():
                    return
        await db.execute(
            "INSERT INTO outbox (id, seq, stream, delivery, body)"
            " VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox), ?, ?, ?)",
            (new_outbox_id(), message.stream, message.delivery.value, message.model_dump_json()),
        )

    async def _record(
        self,
        db: aiosqlite.Connection,
        grant: Grant,
        audit: Sequence[AuditEvent],
        messages: Sequence[OutboxMessage],
    ) -> None:
        """What goes with a write of the grant, inside its transaction: its audit events, its card
        and its messages. The card comes first in the grant's stream: replies in its thread need it
        posted."""
        await db.executemany(
            "INSERT INTO audit_events (id, at, account_id, grant_id, body) VALUES (?, ?, ?, ?, ?)",
            [
                (e.id, e.at.timestamp(), e.account_id, e.grant_id, e.model_dump_json())
                for e in audit
            ],
        )
        await self._queue(db, OutboxMessage(stream=grant.id, delivery=Delivery.CARD))
        for message in messages:
            await self._queue(db, message)


def _outbox_entry(row: sqlite3.Row) -> OutboxEntry:
    return OutboxEntry(
        id=row[0],
        attempts=row[1],
        message=OutboxMessage.model_validate(json.loads(row[2])),
        claims=row[3],
    )


def _grant_columns(grant: Grant) -> tuple[Any, ...]:
    """The values of the grant's row, in the order its INSERT and UPDATE name them."""
    due_at = grant.due_at
    return (
        grant.state.value,
        grant.requester,
        grant.request.account_id,
        None if due_at is None else due_at.timestamp(),
        grant.version,
        grant.model_dump_json(),
        grant.id,
    )


async def _refuse_same_account(db: aiosqlite.Connection, operation: Operation) -> None:
    """AccountAlreadyRequested if another operation is creating, or has just created, the
    account `operation` asks for; inside a transaction the caller holds, before it writes."""
    taken = await _same_account(db, operation.request.name, operation.request.email, operation.id)
    if taken is not None:
        raise taken


async def _same_account(
    db: aiosqlite.Connection, name: str, email: str, other_than: str
) -> AccountAlreadyRequested | None:
    email = email.lower()
    async with db.execute(
        SAME_ACCOUNT_QUERY, (name, email, name, email, other_than, RECENT_OPERATIONS)
    ) as cursor:
        same = await cursor.fetchone()
    if same is None:
        return None
    return AccountAlreadyRequested(
        same[0], running=bool(same[1]), name=bool(same[2]), email=bool(same[3])
    )


async def _connect(path: str) -> aiosqlite.Connection:
    connection = await aiosqlite.connect(path, isolation_level=None)
    try:
        # First, so that even switching to WAL waits for a lock another process holds briefly.
        await connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        await connection.execute("PRAGMA synchronous=NORMAL")
    except BaseException:
        await connection.close()
        raise
    return connection


async def _run_script(db: aiosqlite.Connection, script: str) -> None:
    """Each statement of `script` in the transaction the caller holds (executescript would
    commit it first)."""
    for statement in script.split(";\n"):
        if statement.strip():
            await db.execute(statement.strip().rstrip(";"))


async def _add_missing_columns(
    db: aiosqlite.Connection, table: str, columns: dict[str, str]
) -> None:
    """Bring a table created by an earlier version up to date."""
    async with db.execute(f"PRAGMA table_info({table})") as cursor:
        present = {row[1] for row in await cursor.fetchall()}
    for name, kind in columns.items():
        if name not in present:
            await db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")


async def _number_outbox_by_seq(db: aiosqlite.Connection) -> None:
    """Rebuild an outbox made by an earlier version (see OUTBOX_FROM_NUMBERED_ROWS)."""
    async with db.execute("PRAGMA table_info(outbox)") as cursor:
        if "seq" in {row[1] for row in await cursor.fetchall()}:
            return
    await db.execute(OUTBOX_TABLE.format(name="outbox_rebuilt"))
    await _run_script(db, OUTBOX_FROM_NUMBERED_ROWS)

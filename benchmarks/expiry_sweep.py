"""What a sweep for due grants costs as active grants pile up: prints figures per size.

The worker asks the store, every few seconds, which grants it must act on now. Most grants
are active and wait for their expiry, so the question must not cost more as they grow: the
store answers it from the index on the time each grant is due. This fills a SQLite file with
active grants that are not due, plus a few that are, and times `due_grants` at each size. For
comparison it also runs the same query made to ignore that index. Run it from the checkout:

    python -m benchmarks.expiry_sweep [--runs 200]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import SystemClock
from bot.domain.grants import Grant
from bot.store.sqlite import DUE_GRANTS_QUERY, SqliteStore
from tests.unit.factories import access_request, grant

SIZES = (100, 1_000, 10_000)
DUE = 10
LIMIT = 50
FULL_SCAN_QUERY = DUE_GRANTS_QUERY.replace("FROM grants", "FROM grants NOT INDEXED")


def active_grant(number: int, granted_at: datetime) -> Grant:
    """Access given at `granted_at` for an hour: due when that hour is over."""
    filed = grant(
        at=granted_at - timedelta(minutes=2),
        id=f"bg-{number:06x}",
        # One open grant per person and account: each grant has an account of its own.
        requester=f"U{number % 50:04d}",
        request=access_request(account_id=f"{100000000000 + number}"),
    )
    approved = filed.approve(
        granted_at, "UOPS", is_ops=True, may_self_approve=False, what="request"
    )
    return approved.granted(granted_at, pre_existing=False)


async def fill(store: SqliteStore, first: int, count: int, now: datetime) -> None:
    """`count` active grants, given in the last 50 minutes: none expires in the next 10."""
    for number in range(first, first + count):
        given = now - timedelta(seconds=number % 3000)
        await store.insert_grant(active_grant(number, given))


async def median_ms(call: Callable[[], Awaitable[object]], runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def sync_median_ms(db: sqlite3.Connection, sql: str, now: float, runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        db.execute(sql, (now, now, LIMIT)).fetchall()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def vm_steps(db: sqlite3.Connection, sql: str, now: float) -> int:
    """How many virtual machine instructions SQLite runs for the query: the work it does."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    db.set_progress_handler(count, 1)
    try:
        db.execute(sql, (now, now, LIMIT)).fetchall()
    finally:
        db.set_progress_handler(None, 1)
    return steps


async def main(runs: int) -> None:
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as data:
        path = str(Path(data) / "outpost.db")
        store = await SqliteStore.open(path, clock=SystemClock())
        try:
            # Expired a minute to ten minutes ago: the ones a sweep must find.
            for number in range(DUE):
                await store.insert_grant(
                    active_grant(1_000_000 + number, now - timedelta(minutes=61 + number))
                )
            with closing(sqlite3.connect(path)) as db:
                plan = db.execute(f"EXPLAIN QUERY PLAN {DUE_GRANTS_QUERY}", (0, 0, 0)).fetchall()
                print("Query plan of the sweep:", "; ".join(row[3] for row in plan))
                print(f"{DUE_GRANTS_QUERY}\n")
                print(
                    f"{'':>24}  {'due_grants':>10}  {'the same SQL, direct':>20}  "
                    f"{'ignoring the index':>20}"
                )
                print(
                    f"{'active grants':>13}  {'due found':>9}  {'median':>10}  "
                    f"{'median':>9}  {'VM steps':>9}  {'median':>9}  {'VM steps':>9}"
                )
                filled = 0
                for size in SIZES:
                    await fill(store, filled, size - filled, now)
                    filled = size
                    found = await store.due_grants(now, LIMIT)
                    assert len(found) == DUE, found
                    indexed = await median_ms(lambda: store.due_grants(now, LIMIT), runs)
                    at = now.timestamp()
                    direct = sync_median_ms(db, DUE_GRANTS_QUERY, at, runs)
                    scan = sync_median_ms(db, FULL_SCAN_QUERY, at, max(runs // 4, 10))
                    print(
                        f"{size:>13,}  {len(found):>9}  {indexed:>7.3f} ms  "
                        f"{direct:>6.3f} ms  {vm_steps(db, DUE_GRANTS_QUERY, at):>9,}  "
                        f"{scan:>6.3f} ms  {vm_steps(db, FULL_SCAN_QUERY, at):>9,}"
                    )
        finally:
            await store.close()
    print(
        f"\ndue_grants: median of {runs} calls of the store's method (limit {LIMIT}), with its hop"
        " to the SQLite thread. Direct: the same SQL on a plain sqlite3 connection, and then"
        " made to ignore the index (NOT INDEXED). VM steps: the instructions SQLite ran for it."
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    arguments = parser.parse_args()
    started = time.perf_counter()
    asyncio.run(main(arguments.runs))
    print(f"({time.perf_counter() - started:.1f} s in all)")

"""A store that cannot be opened stops start-up with one line, instead of a hung process."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from bot.emulator.aws_faults import ThreadedAwsFaultProxy
from bot.emulator.slack import FakeSlack
from tests.support.bot_fixtures import bot_env
from tests.support.bot_process import run_until_exit


def start_up_line(stderr: str) -> str:
    """The one line that says why Outpost stopped (start-up warnings may come before it)."""
    lines = [line for line in stderr.strip().splitlines() if "DATABASE_URL" in line]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr, stderr
    return lines[0]


async def test_a_file_that_is_not_sqlite_stops_start_up_naming_database_url(
    tmp_path: Path, aws: ThreadedAwsFaultProxy, slack: FakeSlack
) -> None:
    (tmp_path / "outpost.db").write_bytes(b"these are not the rows you are looking for\n" * 100)
    env = bot_env(aws.url, slack.base_url, tmp_path)

    result = await asyncio.to_thread(run_until_exit, env, tmp_path)

    assert result.returncode != 0
    line = start_up_line(result.stderr)
    assert line.startswith("outpost: DATABASE_URL ")
    assert "file is not a database" in line
    assert "Traceback" not in result.stdout + result.stderr


async def test_a_store_locked_by_another_process_stops_start_up_naming_database_url(
    tmp_path: Path, aws: ThreadedAwsFaultProxy, slack: FakeSlack
) -> None:
    path = tmp_path / "outpost.db"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("CREATE TABLE held (x)")
    other.execute("BEGIN EXCLUSIVE")  # neither reads nor writes get through until it ends
    try:
        env = bot_env(aws.url, slack.base_url, tmp_path)
        result = await asyncio.to_thread(run_until_exit, env, tmp_path)
    finally:
        other.execute("ROLLBACK")
        other.close()

    assert result.returncode != 0
    line = start_up_line(result.stderr)
    assert line.startswith("outpost: DATABASE_URL ")
    assert "database is locked" in line

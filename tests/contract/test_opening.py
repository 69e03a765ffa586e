"""Which URLs open a store: the backends by scheme, and a clear refusal for the rest."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.store import UnsupportedStore, open_store, url_problem


async def test_a_sqlite_url_opens_a_file_that_keeps_what_was_written(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'outpost.db'}"
    first = await open_store(url, clock=FakeClock())
    assert await first.claim_event("Ev1", FakeClock().now(), _day())
    await first.close()
    again = await open_store(url, clock=FakeClock())
    try:
        assert not await again.claim_event("Ev1", FakeClock().now(), _day())
    finally:
        await again.close()


async def test_memory_opens_a_store_that_starts_empty() -> None:
    store = await open_store("memory://", clock=FakeClock())
    try:
        assert await store.pending_count() == 0
    finally:
        await store.close()


@pytest.mark.parametrize("url", ["dynamodb://outpost", "postgres://db/outpost", "outpost.db"])
async def test_other_urls_are_refused_with_what_to_use(url: str) -> None:
    with pytest.raises(UnsupportedStore, match="sqlite:///"):
        await open_store(url, clock=FakeClock())


def test_dynamodb_is_named_as_not_supported_yet() -> None:
    assert url_problem("dynamodb://outpost") == (
        "dynamodb:// is not supported by this version yet; use sqlite:///path"
    )


def test_memory_is_not_a_store_to_deploy_on() -> None:
    assert url_problem("memory://") is not None


def _day() -> timedelta:
    return timedelta(days=1)

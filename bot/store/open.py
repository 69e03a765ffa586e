"""Which store a DATABASE_URL names: the one place that knows the backends and their schemes.

Settings ask `url_problem` whether a URL names a store this version can run on, and the runtime
opens it with `open_store`; neither names a backend, so adding one (DynamoDB) touches only this
package.
"""

from __future__ import annotations

from pathlib import Path

from bot.clock import Clock
from bot.domain.errors import ConfigurationError
from bot.store.base import Store
from bot.store.memory import MemoryStore
from bot.store.sqlite import SqliteStore

SQLITE = "sqlite:///"
MEMORY = "memory://"
DYNAMODB = "dynamodb://"


class UnsupportedStore(ConfigurationError):
    """The URL names no store this version can open; its text says why, for DATABASE_URL."""


def url_problem(url: str) -> str | None:
    """What is wrong with `url` as a deployment's DATABASE_URL, or None if it names a store to
    run on. The in-memory store is not one: it forgets everything at the next restart."""
    if url.startswith(SQLITE) and len(url) > len(SQLITE):
        # A missing folder is a typo or an unmounted volume: creating it would put the store
        # on a disk nobody meant, often one that is wiped at the next restart.
        folder = Path(url.removeprefix(SQLITE)).parent
        if not folder.is_dir():
            return (
                f"names a folder that does not exist ({folder}); create it on a "
                "persistent disk, or point DATABASE_URL at one"
            )
        return None
    if url.startswith(DYNAMODB):
        return f"{DYNAMODB} is not supported by this version yet; use {SQLITE}path"
    return f"must look like {SQLITE}path/outpost.db"


async def open_store(url: str, *, clock: Clock) -> Store:
    """Open the store `url` names: `sqlite:///path` (a file, created if missing) or `memory://`
    (nothing kept after close). Any other URL raises UnsupportedStore."""
    if url.startswith(SQLITE) and len(url) > len(SQLITE):
        return await SqliteStore.open(url.removeprefix(SQLITE), clock=clock)
    if url == MEMORY:
        return MemoryStore(clock=clock)
    problem = url_problem(url)
    raise UnsupportedStore(problem or f"must look like {SQLITE}path/outpost.db")

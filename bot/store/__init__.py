"""Persistence: the store is the source of truth for operations, AWS calls and the outbox.

Everything outside this package opens a store with `open_store(url)` and talks to it through
the protocols of `bot.store.base`; no other module names a backend.
"""

from bot.store.open import UnsupportedStore, open_store, url_problem

__all__ = ["UnsupportedStore", "open_store", "url_problem"]

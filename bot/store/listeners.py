"""Who hears that outbox messages were committed: how delivery wakes on commit.

A write that queues messages for Slack commits them with the state they tell of; only then may
they be delivered. Each backend calls these listeners after such a commit, and only then: a
write that was refused (a conflict) or rolled back wakes nobody. The runtime registers the
outbox worker's wake-up once, so no caller has to remember to wake it after a save.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


class CommitListeners:
    def __init__(self) -> None:
        self._listeners: list[Callable[[], None]] = []

    def add(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def messages_committed(self) -> None:
        """Tell every listener; one that fails is logged, and the write still stands."""
        for listener in self._listeners:
            try:
                listener()
            except Exception:
                log.exception("store: a listener to committed messages failed")

"""A budget of log lines for what strangers on the internet can cause at will.

Each refused request or closed connection is worth one line, but a client can cause thousands
a second; past the budget, lines are only counted, and the next line after the period says how
many were left out. The log then stays readable and small whatever the traffic.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


class LogBudget:
    def __init__(
        self,
        logger: logging.Logger,
        what: str,
        *,
        lines: int = 20,
        period: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._what = what  # how the left-out lines are named: "refused requests"
        self._lines = lines
        self._period = period
        self._clock = clock
        self._period_ends = -float("inf")
        self._spent = 0
        self._left_out = 0

    def warning(self, message: str, *args: object) -> None:
        now = self._clock()
        if now >= self._period_ends:
            if self._left_out:
                self._logger.warning(
                    "%d more %s not logged (at most %d lines every %ds)",
                    self._left_out,
                    self._what,
                    self._lines,
                    round(self._period),
                )
            self._period_ends = now + self._period
            self._spent = self._left_out = 0
        if self._spent < self._lines:
            self._spent += 1
            self._logger.warning(message, *args)
        else:
            self._left_out += 1

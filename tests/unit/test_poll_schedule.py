"""How often an account creation is checked while AWS is still working on it."""

from __future__ import annotations

from datetime import timedelta

from bot.engine.account_creation import PollSchedule

SCHEDULE = PollSchedule(first=timedelta(seconds=5), maximum=timedelta(minutes=1))


class TestPollSchedule:
    def test_doubles_from_the_first_interval(self):
        delays = [SCHEDULE.delay(polls) for polls in range(4)]
        assert delays == [timedelta(seconds=s) for s in (5, 10, 20, 40)]

    def test_never_exceeds_the_maximum(self):
        assert SCHEDULE.delay(4) == timedelta(minutes=1)
        assert SCHEDULE.delay(10_000) == timedelta(minutes=1)

"""The App Home tab stays within Slack's limits however much there is to show."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.grants import GrantState
from bot.emulator.block_kit import view_errors
from tests.unit.factories import T0, aws_failure, grant, home, operation

NOW = T0 + timedelta(hours=1)


def test_a_busy_ops_home_is_a_valid_view_that_says_what_it_left_out() -> None:
    many = [operation(id=f"op-{n:06x}", at=T0) for n in range(30)]
    failed = [op.fail(T0, aws_failure()) for op in many]
    view = home(accounts=many, in_flight=many, attention=failed, now=NOW)
    assert view_errors(view) == []
    assert "…and 20 more: `/account ops all` lists them." in str(view)


def test_an_engineer_does_not_see_the_ops_section() -> None:
    view = home(now=NOW, stuck_after=timedelta(1))
    assert view_errors(view) == []
    assert "Needs ops" not in str(view)


def test_break_glass_access_and_decisions_waiting_are_listed() -> None:
    mine = grant(state=GrantState.ACTIVE, expires_at=NOW + timedelta(hours=1))
    waiting = grant(requester="UOTHER")
    view = home(grants=[mine], waiting=[waiting], attention=[], now=NOW, stuck_after=timedelta(1))
    assert view_errors(view) == []
    shown = str(view)
    assert f"`{mine.id}`" in shown and "active until <!date^" in shown
    assert f"`{waiting.id}`" in shown and "waiting for approval" in shown

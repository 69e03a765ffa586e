"""The App Home tab stays within Slack's limits however much there is to show."""

from __future__ import annotations

from datetime import timedelta

from bot.emulator.block_kit import view_errors
from bot.ui.home import home_view
from tests.unit.factories import T0, aws_failure, operation

NOW = T0 + timedelta(hours=1)


def test_a_busy_ops_home_is_a_valid_view_that_says_what_it_left_out() -> None:
    many = [operation(id=f"op-{n:06x}", at=T0) for n in range(30)]
    failed = [op.fail(T0, aws_failure()) for op in many]
    view = home_view(
        accounts=many, in_flight=many, attention=failed, now=NOW, stuck_after=timedelta(minutes=15)
    )
    assert view_errors(view) == []
    assert "…and 20 more: `/account ops all` lists them." in str(view)


def test_an_engineer_does_not_see_the_ops_section() -> None:
    view = home_view(accounts=[], in_flight=[], attention=None, now=NOW, stuck_after=timedelta(1))
    assert view_errors(view) == []
    assert "Needs ops" not in str(view)

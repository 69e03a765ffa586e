"""Which operations `/account ops` shows, and how."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.ops_view import OpsFilter, UnknownFilter, parse_ops_filter, select
from bot.emulator.block_kit import block_kit_errors
from bot.ui.ops_list import ops_blocks
from tests.unit.factories import T0, aws_failure, operation

STUCK_AFTER = timedelta(minutes=15)
NOW = T0 + timedelta(hours=1)


def fleet():
    moving = operation(id="op-000001", at=NOW - timedelta(minutes=2))
    stuck = operation(id="op-000002", at=T0)
    failed = operation(id="op-000003", at=T0).fail(T0, aws_failure())
    done = operation(id="op-000004", at=T0, requester="UOTHER").advance(T0).advance(T0).advance(T0)
    return [moving, stuck, failed, done]


@pytest.mark.parametrize(
    ("wanted", "ids"),
    [
        (OpsFilter.ATTENTION, {"op-000001", "op-000002", "op-000003"}),
        (OpsFilter.STUCK, {"op-000002"}),
        (OpsFilter.FAILED, {"op-000003"}),
        (OpsFilter.ALL, {"op-000001", "op-000002", "op-000003", "op-000004"}),
    ],
)
def test_each_filter(wanted: OpsFilter, ids: set[str]) -> None:
    shown = select(fleet(), wanted, user="UENGINEER", now=NOW, stuck_after=STUCK_AFTER)
    assert {op.id for op in shown} == ids


def test_mine_is_what_the_user_asked_for() -> None:
    shown = select(fleet(), OpsFilter.MINE, user="UOTHER", now=NOW, stuck_after=STUCK_AFTER)
    assert [op.id for op in shown] == ["op-000004"]


def test_an_unknown_filter_says_what_is_accepted() -> None:
    assert parse_ops_filter(" Stuck ") is OpsFilter.STUCK
    assert parse_ops_filter("") is OpsFilter.ATTENTION
    with pytest.raises(UnknownFilter, match="`stuck`, `failed`, `mine`, `all`"):
        parse_ops_filter("broken")


def test_lines_show_state_step_age_error_and_link() -> None:
    ops = select(fleet(), OpsFilter.ALL, user="U", now=NOW, stuck_after=STUCK_AFTER)
    blocks = ops_blocks(
        ops,
        OpsFilter.ALL,
        now=NOW,
        stuck_after=STUCK_AFTER,
        links={"op-000003": "https://fake.slack.test/archives/C1/p1"},
    )
    assert block_kit_errors(blocks, surface="message") == []
    text = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    assert ":rotating_light: stuck" in text
    assert "last error `" in text and "<https://fake.slack.test/archives/C1/p1|thread>" in text


def test_more_than_fit_say_so() -> None:
    many = [operation(id=f"op-{n:06x}", at=T0) for n in range(60)]
    blocks = ops_blocks(many, OpsFilter.ALL, now=NOW, stuck_after=STUCK_AFTER, links={})
    assert block_kit_errors(blocks, surface="message") == []
    assert "Showing the 40 most recently active of 60" in str(blocks)

"""Tag values keep what AWS accepts from the team and purpose people type."""

from __future__ import annotations

import re

import pytest

from bot.domain.tags import TAG_VALUE_LIMIT, tag_value

# AWS's documented pattern for tag values.
AWS_TAG_VALUE = re.compile(r"[\w\s.:/=+\-@]*")


@pytest.mark.parametrize(
    ("typed", "tagged"),
    [
        ("payments", "payments"),
        ("staging for the payments API, v2!", "staging for the payments API v2"),
        ("line one\nline two\ttabbed", "line one line two tabbed"),
        ("owner: team-a@example.com (on-call)", "owner: team-a@example.com on-call"),
        ("équipe paiements", "équipe paiements"),
        ("<!channel> & friends", "channel friends"),
    ],
)
def test_text_becomes_a_value_aws_accepts(typed: str, tagged: str) -> None:
    assert tag_value(typed) == tagged
    assert AWS_TAG_VALUE.fullmatch(tag_value(typed))


def test_long_text_is_cut_to_aws_limit() -> None:
    assert len(tag_value("x" * 500)) == TAG_VALUE_LIMIT

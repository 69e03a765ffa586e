"""The HTTP edge's rules as pure functions: which headers may belong to a request Slack
signed, how many lines refusals may cost the log, and how many connections fit."""

from __future__ import annotations

import logging

import pytest

from bot.connections import FILES_KEPT_FREE, connection_cap
from bot.log_budget import LogBudget
from bot.signature import SlackSignature
from tests.support.slack_requests import sign

NOW = 1_796_400_000
SECRET = "test-signing-secret"
GOOD = sign("text=help", NOW, SECRET)


class TestSlackSignature:
    signature = SlackSignature(SECRET)

    def test_slacks_own_request_passes(self) -> None:
        assert self.signature.refusal(str(NOW), GOOD, NOW + 299) is None
        assert self.signature.signed(str(NOW), b"text=help", GOOD)

    @pytest.mark.parametrize(
        "timestamp",
        [
            "9" * 400,
            "-1",
            f"{NOW}.0",
            "1.7964e9",
            "",
            f"+{NOW}",
            f" {NOW}",
            f"{NOW}\n",
            "١٧٩٦٤٠٠٠٠٠",  # digits int() reads, but Slack never sends
            "0x6B1F2A00",
        ],
    )
    def test_a_timestamp_slack_would_not_send_is_refused_before_the_body(
        self, timestamp: str
    ) -> None:
        assert self.signature.refusal(timestamp, GOOD, NOW) == "timestamp is not Slack's"

    @pytest.mark.parametrize("offset", [-301, 301, -NOW])
    def test_a_timestamp_outside_the_window_is_refused(self, offset: int) -> None:
        reason = self.signature.refusal(str(NOW + offset), GOOD, NOW)
        assert reason == "timestamp outside the 5-minute window"

    @pytest.mark.parametrize(
        "signature", ["", "v0=", "v1=" + "0" * 64, "v0=" + "0" * 63, GOOD.upper(), GOOD + "0"]
    )
    def test_a_signature_of_the_wrong_form_is_refused(self, signature: str) -> None:
        assert self.signature.refusal(str(NOW), signature, NOW) == "signature is not Slack's"

    def test_missing_headers_are_refused(self) -> None:
        assert self.signature.refusal(None, GOOD, NOW) == "no signature"
        assert self.signature.refusal(str(NOW), None, NOW) == "no signature"

    def test_another_body_or_secret_does_not_match(self) -> None:
        assert not self.signature.signed(str(NOW), b"text=help&x=1", GOOD)
        assert not SlackSignature("another-secret").signed(str(NOW), b"text=help", GOOD)
        assert not self.signature.signed(str(NOW + 1), b"text=help", GOOD)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_past_its_budget_the_log_counts_lines_and_says_how_many_it_left_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    budget = LogBudget(
        logging.getLogger("budget"), "refused requests", lines=3, period=60, clock=clock
    )
    with caplog.at_level(logging.WARNING, logger="budget"):
        for n in range(1000):
            budget.warning("refused %d", n)
        assert caplog.messages == ["refused 0", "refused 1", "refused 2"]
        clock.now = 61
        budget.warning("refused %s", "later")
    assert caplog.messages[3:] == [
        "997 more refused requests not logged (at most 3 lines every 60s)",
        "refused later",
    ]


def test_the_connection_cap_leaves_room_under_the_open_file_limit() -> None:
    assert connection_cap(256, 20_000) == 256
    assert connection_cap(256, 1024) == 256
    assert connection_cap(256, 256) == 256 - FILES_KEPT_FREE
    assert connection_cap(256, 50) == 1

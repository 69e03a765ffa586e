"""Durations as settings and people write them: `45s`, `15m`, `1h30m`, `2d`, `90`."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.durations import InvalidDuration, format_duration, parse_duration


class TestReadingADuration:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("45s", timedelta(seconds=45)),
            ("15m", timedelta(minutes=15)),
            ("1h30m", timedelta(hours=1, minutes=30)),
            ("2d", timedelta(days=2)),
            ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
            ("90", timedelta(seconds=90)),
            ("0.1", timedelta(milliseconds=100)),
            ("0", timedelta(0)),
            (" 1H ", timedelta(hours=1)),
            ("1h 30m", timedelta(hours=1, minutes=30)),
        ],
    )
    def test_accepted_forms(self, text, expected):
        assert parse_duration(text) == expected

    def test_a_timedelta_is_taken_as_it_is(self):
        assert parse_duration(timedelta(minutes=3)) == timedelta(minutes=3)

    @pytest.mark.parametrize(("number", "seconds"), [(90, 90), (0.25, 0.25)])
    def test_plain_numbers_are_seconds(self, number, seconds):
        assert parse_duration(number) == timedelta(seconds=seconds)


class TestRefusingWhatIsNotADuration:
    @pytest.mark.parametrize("text", ["", "   ", "abc", "-5", "1x", "h", "1h30", "m5", "5 apples"])
    def test_refused_with_the_accepted_forms(self, text):
        with pytest.raises(InvalidDuration) as refused:
            parse_duration(text)
        message = str(refused.value)
        for form in ("45s", "15m", "1h30m", "2d", "90"):
            assert form in message

    def test_a_negative_number_is_refused(self):
        with pytest.raises(InvalidDuration, match="negative"):
            parse_duration(-5)

    def test_the_refusal_is_a_value_error_for_settings_validation(self):
        # pydantic turns ValueError (not other exceptions) into a readable settings error.
        assert issubclass(InvalidDuration, ValueError)

    @pytest.mark.parametrize("text", ["inf", "1e300", "9999999999d"])
    def test_an_absurdly_large_value_is_refused_as_a_duration(self, text):
        with pytest.raises(InvalidDuration):
            parse_duration(text)


class TestWritingADuration:
    @pytest.mark.parametrize(
        ("value", "text"),
        [
            (timedelta(0), "0s"),
            (timedelta(seconds=45), "45s"),
            (timedelta(minutes=15), "15m"),
            (timedelta(hours=1, minutes=30), "1h30m"),
            (timedelta(days=2), "2d"),
            (timedelta(days=1, seconds=5), "1d5s"),
            (timedelta(milliseconds=500), "0.5s"),
        ],
    )
    def test_shortest_form(self, value, text):
        assert format_duration(value) == text

    @pytest.mark.parametrize("text", ["45s", "15m", "1h30m", "2d", "1d2h3m4s", "0s"])
    def test_round_trip_from_text(self, text):
        assert format_duration(parse_duration(text)) == text

    @pytest.mark.parametrize(
        "value",
        [timedelta(seconds=s) for s in (0, 1, 59, 60, 61, 3599, 3600, 86399, 86400, 90061)],
    )
    def test_round_trip_from_whole_seconds(self, value):
        assert parse_duration(format_duration(value)) == value

    def test_round_trip_of_a_sub_second_duration(self):
        value = timedelta(milliseconds=500)
        assert parse_duration(format_duration(value)) == value

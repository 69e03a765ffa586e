"""Human durations (`45s`, `15m`, `1h30m`, `90`), as settings and people write them."""

from __future__ import annotations

import math
import re
from datetime import timedelta

from bot.domain.errors import InvalidInput

_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?")
LONGEST = timedelta(days=3650)

DURATION_FORMS = "45s, 15m, 1h30m, 2d or plain seconds such as 90"


# Also a ValueError: settings parse durations in pydantic validators, which turn only a
# ValueError (or an AssertionError) into a validation error that names the setting.
class InvalidDuration(InvalidInput, ValueError):
    """The text is not a duration; the message says which forms are accepted."""


def parse_duration(text: str | int | float | timedelta) -> timedelta:
    """Read a duration from its text form; plain numbers are seconds."""
    if isinstance(text, timedelta):
        return _within_bounds(text, str(text))
    if isinstance(text, int | float):
        return _from_seconds(float(text), str(text))
    cleaned = text.strip().lower().replace(" ", "")
    if not cleaned:
        raise InvalidDuration(f"empty duration; use {DURATION_FORMS}")
    if _NUMBER.fullmatch(cleaned):
        return _from_seconds(float(cleaned), text)
    match = _DURATION.fullmatch(cleaned)
    if match is None or not any(match.groups()):
        raise InvalidDuration(f"{text!r} is not a duration; use {DURATION_FORMS}")
    try:
        days, hours, minutes = (int(part or 0) for part in match.groups()[:3])
        seconds = float(match.group(4) or 0)
        value = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    except (OverflowError, ValueError):  # ValueError: more digits than int() reads
        raise InvalidDuration(f"{text!r} is longer than {LONGEST.days} days") from None
    return _within_bounds(value, text)


def _from_seconds(seconds: float, text: str) -> timedelta:
    if not math.isfinite(seconds) or abs(seconds) > LONGEST.total_seconds():
        raise InvalidDuration(f"{text!r} is not a duration of at most {LONGEST.days} days")
    return _within_bounds(timedelta(seconds=seconds), text)


def _within_bounds(value: timedelta, text: str) -> timedelta:
    if value < timedelta(0):
        raise InvalidDuration(f"{text!r} is negative; use {DURATION_FORMS}")
    if value > LONGEST:
        raise InvalidDuration(f"{text!r} is longer than {LONGEST.days} days")
    return value


def format_duration(value: timedelta) -> str:
    """The shortest text form: `1h30m`, `45s`, `0s`; sub-second parts are shown as `0.5s`."""
    total = value.total_seconds()
    if total < 60 and total != int(total):
        return f"{total:.1f}s"
    remaining = int(total)
    parts = []
    for unit, size in _UNIT_SECONDS.items():
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"

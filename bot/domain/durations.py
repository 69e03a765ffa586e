"""Human durations (`45s`, `15m`, `1h30m`, `90`), as settings and people write them."""

from __future__ import annotations

import re
from datetime import timedelta

_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")

DURATION_FORMS = "45s, 15m, 1h30m, 2d or plain seconds such as 90"


class InvalidDuration(ValueError):
    """The text is not a duration; the message says which forms are accepted."""


def parse_duration(text: str | int | float | timedelta) -> timedelta:
    """Read a duration from its text form; plain numbers are seconds."""
    if isinstance(text, timedelta):
        return text
    if isinstance(text, int | float):
        return _non_negative(timedelta(seconds=text), str(text))
    cleaned = text.strip().lower().replace(" ", "")
    if not cleaned:
        raise InvalidDuration(f"empty duration; use {DURATION_FORMS}")
    try:
        return _non_negative(timedelta(seconds=float(cleaned)), text)
    except ValueError:
        pass
    match = _DURATION.match(cleaned)
    if match is None or not any(match.groups()):
        raise InvalidDuration(f"{text!r} is not a duration; use {DURATION_FORMS}")
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def _non_negative(value: timedelta, text: str) -> timedelta:
    if value < timedelta(0):
        raise InvalidDuration(f"{text!r} is negative; use {DURATION_FORMS}")
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

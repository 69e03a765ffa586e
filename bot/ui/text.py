"""Making text safe and short enough for Slack.

User text is escaped so that it can never mention, broadcast or link (`<!channel>`, `<@U…>`,
`<https://…|…>`), and kept on one line so that it cannot start what looks like a line of
Outpost's own; long text is cut with a visible mark instead of being refused by Slack.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime

SECTION_TEXT_LIMIT = 3000
FIELD_TEXT_LIMIT = 2000
PLAIN_TEXT_LIMIT = 150
LINE_BREAK_MARK = " ↵ "

# Every run of line breaks (with the blanks around them), as Python's splitlines sees them.
_LINE_BREAKS = re.compile(r"(?:[ \t]*(?:\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]))+[ \t]*")


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn gives meaning to, show line breaks as a
    mark on one line, and drop control characters."""
    folded = _LINE_BREAKS.sub(LINE_BREAK_MARK, text)
    cleaned = "".join(ch for ch in folded if ch == "\t" or ch.isprintable())
    return cleaned.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int) -> str:
    """At most `limit` characters; a cut text says how much was left out."""
    if len(text) <= limit:
        return text
    marker = f"… [cut: {len(text)} characters in all]"
    if len(marker) >= limit:
        return text[: limit - 1] + "…"
    return text[: limit - len(marker)] + marker


def code(text: str) -> str:
    """Inline code for identifiers; backticks inside would end the span, so they go."""
    return "`" + escape(text).replace("`", "'") + "`" if text else "—"


def slack_date(at: datetime, *, seconds: bool = False) -> str:
    """A time each reader sees in their own time zone, with UTC for clients that cannot."""
    utc = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    clock, shown = ("{time_secs}", "%H:%M:%S") if seconds else ("{time}", "%H:%M")
    fallback = f"{utc:%Y-%m-%d} {utc.strftime(shown)} UTC"
    return f"<!date^{int(utc.timestamp())}^{{date_short_pretty}} {clock}|{fallback}>"


def ops_mention(usergroup: str | None, users: Iterable[str]) -> str:
    """How to call ops in a message: the group, else the listed people."""
    if usergroup:
        return f"<!subteam^{usergroup}>"
    return " ".join(f"<@{user}>" for user in sorted(users)) or "ops"


def safe_url(url: str) -> bool:
    """A URL that can go inside a Slack link (`<url|text>`) as it is."""
    return url.startswith(("https://", "http://")) and not any(c in url for c in "<>| \n")

"""The arguments of the break-glass subcommands: `breakglass`, `grant`, `revoke` and `audit`.

Each parser only splits and checks the form of what was typed; which account a word names is
decided against the organization by the caller. A problem is a message that says what is
wrong and what is accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from bot.domain.durations import InvalidDuration, parse_duration
from bot.domain.errors import InvalidInput

_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>|([UW][A-Z0-9]{6,})")
# Anything shaped like a grant id is looked up, so that a wrong one is told it does not exist.
_GRANT_ID = re.compile(r"bg-[0-9a-z]{1,40}")
# In a command a bare number is an account id, never seconds: units are required.
ACCESS_DURATION_FORMS = "30m, 1h, 1h30m or 2h"
DEFAULT_AUDIT_DAYS = 7
LONGEST_AUDIT_DAYS = 365


class BadArguments(InvalidInput):
    """What was typed does not fit the subcommand; the message says how to write it."""


@dataclass(frozen=True)
class BreakglassArgs:
    account: str | None = None
    duration: timedelta | None = None
    duration_text: str | None = None
    reason: str = ""

    @property
    def complete(self) -> bool:
        return self.account is not None and self.duration is not None and bool(self.reason)


def parse_breakglass(text: str) -> BreakglassArgs:
    """`[account] [duration] [reason…]`: whatever is missing is asked for in the modal."""
    words = text.split()
    if not words:
        return BreakglassArgs()
    account: str | None = None
    if _duration_or_none(words[0]) is None:
        account, words = words[0], words[1:]
    if not words:
        return BreakglassArgs(account=account)
    duration = _duration_or_none(words[0])
    if duration is None:
        raise BadArguments(
            f"{words[0]!r} is not a duration. Write /account breakglass [account] [duration] "
            f"[reason…], e.g. /account breakglass payments-prod 1h investigating INC-123; "
            f"durations look like {ACCESS_DURATION_FORMS}."
        )
    return BreakglassArgs(
        account=account, duration=duration, duration_text=words[0], reason=" ".join(words[1:])
    )


@dataclass(frozen=True)
class GrantArgs:
    user: str  # a Slack user id
    account: str
    duration: timedelta
    reason: str


GRANT_USAGE = (
    "Write /account grant @user <account> <duration> <reason…>, e.g. "
    "/account grant @dana payments-prod 30m restore backups."
)


def parse_grant(text: str) -> GrantArgs:
    words = text.split()
    if len(words) < 4:
        raise BadArguments(f"Some of what a direct grant needs is missing. {GRANT_USAGE}")
    match = _USER.fullmatch(words[0])
    if match is None and words[0].startswith("@") and len(words[0]) > 1:
        # Slack turns a mention of someone in the workspace into <@U…|name>: this was not.
        raise BadArguments(
            f"Nobody called {words[0]!r} was found in this workspace: Slack did not "
            f"recognise the name. Pick the person from the list Slack offers as you type @. "
            f"{GRANT_USAGE}"
        )
    if match is None:
        raise BadArguments(f"{words[0]!r} is not a person: mention them with @. {GRANT_USAGE}")
    duration = _duration_or_none(words[2])
    if duration is None:
        raise BadArguments(
            f"{words[2]!r} is not a duration; durations look like {ACCESS_DURATION_FORMS}. "
            f"{GRANT_USAGE}"
        )
    return GrantArgs(
        user=match.group(1) or match.group(2),
        account=words[1],
        duration=duration,
        reason=" ".join(words[3:]),
    )


def parse_revoke(text: str) -> str:
    words = text.split()
    if len(words) != 1 or not _GRANT_ID.fullmatch(words[0].lower()):
        raise BadArguments(
            "Write /account revoke <grant id>, e.g. /account revoke bg-4b1d9e: the id is on "
            "the grant's card and in your direct message."
        )
    return words[0].lower()


@dataclass(frozen=True)
class AuditArgs:
    account: str | None
    days: int


def parse_audit(text: str) -> AuditArgs:
    """`[account] [days]`: the last word is the number of days when it is a number."""
    words = text.split()
    days = DEFAULT_AUDIT_DAYS
    # Up to three digits are days; an account id is twelve.
    if words and re.fullmatch(r"\d{1,3}d?", words[-1].lower()):
        days = int(words[-1].lower().removesuffix("d"))
        words = words[:-1]
        if not 1 <= days <= LONGEST_AUDIT_DAYS:
            raise BadArguments(
                f"Ask for 1 to {LONGEST_AUDIT_DAYS} days of the audit trail, e.g. "
                "/account audit payments-prod 30."
            )
    if len(words) > 1:
        raise BadArguments(
            "Write /account audit [account] [days], e.g. /account audit payments-prod 30."
        )
    return AuditArgs(account=words[0] if words else None, days=days)


def _duration_or_none(word: str) -> timedelta | None:
    if not re.search(r"[a-z]", word.lower()) or not re.fullmatch(r"[0-9dhms.]+", word.lower()):
        return None  # a bare number is more likely an account id than seconds
    try:
        return parse_duration(word)
    except InvalidDuration:
        return None

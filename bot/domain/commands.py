"""The `/account` grammar: which subcommands exist, what they take, and a parser for them."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Subcommand:
    name: str
    usage: str
    summary: str
    example: str
    available: bool = False


SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand("help", "help", "Show this help.", "/account help", available=True),
    Subcommand(
        "new",
        "new [name]",
        "Create a new AWS account in the organization; a form asks for the details.",
        "/account new payments-staging",
        available=True,
    ),
    Subcommand(
        "show",
        "show <account id | name | root email>",
        "Show an account: owner, OU, tags, recent operations, active access.",
        "/account show payments-staging",
        available=True,
    ),
    Subcommand(
        "list", "list [OU name]", "List accounts by OU.", "/account list Workloads", available=True
    ),
    Subcommand(
        "ops",
        "ops [stuck | failed | mine | all]",
        "List operations in flight, stuck or failed, with links to their threads.",
        "/account ops stuck",
        available=True,
    ),
    Subcommand(
        "breakglass",
        "breakglass [account] [duration] [reason…]",
        "Ask for temporary elevated access to an account; ops approve it.",
        "/account breakglass payments-prod 1h investigating INC-123",
        available=True,
    ),
    Subcommand(
        "grant",
        "grant <@user> <account> <duration> <reason…>",
        "Ops: grant temporary access directly.",
        "/account grant @dana payments-prod 30m restore backups",
        available=True,
    ),
    Subcommand(
        "revoke",
        "revoke <grant id>",
        "End temporary access before it expires (yours, or anyone's for ops).",
        "/account revoke bg-4b1d9e",
        available=True,
    ),
    Subcommand(
        "explain",
        "explain [error code or reason]",
        "Explain an AWS error: what it means, who can fix it, how.",
        "/account explain EMAIL_ALREADY_EXISTS",
        available=True,
    ),
    Subcommand(
        "audit",
        "audit [account] [days]",
        "Ops: the audit trail of break-glass access, with a CSV file of it.",
        "/account audit payments-prod 30",
        available=True,
    ),
)
_BY_NAME = {sub.name: sub for sub in SUBCOMMANDS}


@dataclass(frozen=True)
class ParsedCommand:
    """`/account <subcommand> <argument text>`; `subcommand` is None when it was not recognised."""

    subcommand: Subcommand | None
    word: str  # what the user typed where the subcommand goes
    argument: str

    @property
    def suggestion(self) -> str | None:
        """The closest known subcommand to an unknown word, for a "did you mean"."""
        if self.subcommand is not None or not self.word:
            return None
        close = difflib.get_close_matches(self.word.lower(), list(_BY_NAME), n=1, cutoff=0.5)
        return close[0] if close else None


def parse_command(text: str) -> ParsedCommand:
    """Split the text after `/account`; an empty text means `help`."""
    words = text.split(maxsplit=1)  # any whitespace: tabs, no-break spaces from a Mac
    if not words:
        return ParsedCommand(_BY_NAME["help"], "", "")
    word, argument = words[0], words[1].strip() if len(words) > 1 else ""
    return ParsedCommand(_BY_NAME.get(word.lower()), word, plain_links(argument))


# Slack escapes what it recognises in a command's text: `<mailto:a@b.c|a@b.c>`, `<https://x|x>`,
# `<#C123|name>`. Mentions of people (`<@U123|dana>`) are kept: they carry the user id.
_ESCAPED = re.compile(r"<(mailto:|https?://|#C)[^|>]*\|([^>]*)>|<(https?://[^|>]*)>")


def plain_links(text: str) -> str:
    """The text as the person typed it, but with mentions of people kept as ids."""

    def typed(match: re.Match[str]) -> str:
        if match.group(3):
            return match.group(3)
        shown = match.group(2)
        if match.group(1) == "#C":
            return f"#{shown}" if shown else match.group(0)[1:].split("|")[0]
        return shown

    return _ESCAPED.sub(typed, text)


THREAD_COMMANDS: tuple[tuple[str, str], ...] = (
    ("status", "where the operation stands"),
    ("retry", "resume a failed operation from its failed step"),
    ("cancel", "stop a running operation before its next step"),
    ("resolve <note>", "ops: close a failed operation fixed by hand"),
    ("explain", "what the operation's AWS error means and how to fix it"),
)
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


def parse_mention(text: str) -> tuple[str, str]:
    """`@Outpost retry` → ("retry", ""); `@Outpost resolve fixed it` → ("resolve", "fixed it")."""
    # Slack sends message text with &, < and > escaped; undo it so it is escaped once on output.
    plain = _MENTION.sub(" ", text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    words = plain.split(maxsplit=1)
    if not words:
        return "", ""
    return words[0].lower(), words[1].strip() if len(words) > 1 else ""

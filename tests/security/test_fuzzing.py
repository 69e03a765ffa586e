"""Properties of everything Outpost reads from people, over generated input.

What people type (commands, mentions, durations, names, emails) and what Slack hands back from
a modal is either understood or refused with a message that says what is accepted: no other
exception escapes, and nothing typed comes back as a live `<!channel>` or `<@user>`.

Pure: no process, no network. Every test is derandomized, so CI runs the same examples each
time and a failure found once is found again.
"""

from __future__ import annotations

import asyncio
import re
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from bot.aws.catalog import catalog
from bot.domain.breakglass_commands import (
    ACCESS_DURATION_FORMS,
    LONGEST_AUDIT_DAYS,
    BadArguments,
    BreakglassArgs,
    parse_audit,
    parse_breakglass,
    parse_grant,
    parse_revoke,
)
from bot.domain.commands import SUBCOMMANDS, parse_command, parse_mention, plain_links
from bot.domain.durations import (
    DURATION_FORMS,
    LONGEST,
    InvalidDuration,
    format_duration,
    parse_duration,
)
from bot.domain.grants import AccessLimits
from bot.domain.validation import account_name_problem, email_problem
from bot.emulator.block_kit import block_kit_errors
from bot.ui import breakglass_forms
from bot.ui.explain import explain_blocks
from bot.ui.ids import ActionId, BlockId
from bot.ui.new_account import FormUnreadable, NewAccountMetadata, parse_new_account_form
from bot.ui.resolve import ResolveMetadata, parse_resolve
from handlers.account_command import account_command

FUZZ = settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
FEW = settings(FUZZ, max_examples=60)

NAMES = [sub.name for sub in SUBCOMMANDS]
LIMITS = AccessLimits(longest=timedelta(hours=4), shortest=timedelta(minutes=15))

# What Slack puts in a command's or a mention's text, and what people paste.
SLACK_PIECES = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!subteam^S0OPS|@ops>",
    "<@U0123ABC>",
    "<@U0123ABC|dana>",
    "<@W0123ABC>",
    "<#C0123ABC|general>",
    "<#C0123ABC>",
    "<#C0123ABC|>",
    "<mailto:a@b.co|a@b.co>",
    "<https://example.com|click>",
    "<https://example.com>",
    "<http://x.test/a?b=c&d=e>",
    "&lt;!channel&gt;",
    "&lt;",
    "&gt;",
    "&amp;",
    "<",
    ">",
    "&",
    "`",
    "*",
    "_",
    "~",
    "|",
    "\\",
    "\n",
    "\t",
    "\u00a0",
    "\u2003",
    "\x00",
    "\x1b",
    "\u202e",
    "\U0001f4a5",
    "\u0130",
    "\u212a",
    "EMAIL_ALREADY_EXISTS",
    "TooManyRequestsException",
    "bg-4b1d9e",
    "payments-prod",
    "123456789012",
    "1h30m",
    "30m",
]
WHITESPACE = st.sampled_from([" ", "  ", "\t", "\n", "\u00a0", "\u2003", "\u3000"])


def random_case(word: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda upper: "".join(c.upper() if u else c for c, u in zip(word, upper, strict=True))
    )


pieces = st.one_of(
    st.sampled_from(SLACK_PIECES),
    st.sampled_from([*NAMES, "nwe", "brakeglass", "HELP", "Explain", "grnat"]),
    st.text(max_size=12),
    WHITESPACE,
)
typed = st.lists(pieces, max_size=14).map("".join)
# Long enough to reach Slack's limits once escaped: 1,200 `<!channel>` are 15,600 characters.
very_long = st.tuples(st.sampled_from([*SLACK_PIECES, "a", "x "]), st.integers(1, 1200)).map(
    lambda repeated: repeated[0] * repeated[1]
)
any_text = st.one_of(typed, very_long, st.text())


def strings(value: Any) -> Iterator[str]:
    """Every string inside a JSON-like value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def live_mentions(value: Any) -> list[str]:
    return [s for s in strings(value) if "<!" in s or "<@" in s]


# --- /account: the grammar -------------------------------------------------------------


@FUZZ
@given(any_text)
def test_any_command_text_parses_to_a_subcommand_or_an_unknown_word(text: str) -> None:
    parsed = parse_command(text)
    if not text.split():
        assert parsed.subcommand is not None and parsed.subcommand.name == "help"
        return
    assert parsed.word == text.split()[0]
    if parsed.word.lower() in NAMES:
        assert parsed.subcommand is not None and parsed.subcommand.name == parsed.word.lower()
        assert parsed.suggestion is None
    else:
        assert parsed.subcommand is None
        assert parsed.suggestion is None or parsed.suggestion in NAMES
    assert parsed.argument == parsed.argument.strip()


@FUZZ
@given(
    lead=st.text(alphabet=" \t\u00a0", max_size=3),
    name=st.sampled_from(NAMES).flatmap(random_case),
    separator=st.text(alphabet=" \t\u00a0\u2003\n", min_size=1, max_size=3),
    argument=st.text().filter(lambda a: "<" not in a),
)
def test_a_subcommand_in_any_case_keeps_its_argument_as_typed(
    lead: str, name: str, separator: str, argument: str
) -> None:
    parsed = parse_command(f"{lead}{name}{separator}{argument}")
    assert parsed.subcommand is not None
    assert parsed.subcommand.name == name.lower()
    assert parsed.argument == argument.strip()


# Pieces of a command as Slack escapes them, and as the person typed them.
_no_angle = st.text(alphabet=st.characters(blacklist_characters="<>"), min_size=1, max_size=12)
_url_part = st.text(alphabet=st.characters(blacklist_characters="<>|"), max_size=12)
_id = st.from_regex(r"[A-Z0-9]{6,11}", fullmatch=True)
_email = st.from_regex(r"[a-z0-9.]{1,10}@[a-z]{1,8}\.[a-z]{2,3}", fullmatch=True)
link_pieces = st.one_of(
    st.text(alphabet=st.characters(blacklist_characters="<"), max_size=12).map(lambda t: (t, t)),
    st.tuples(_email, _no_angle).map(lambda e: (f"<mailto:{e[0]}|{e[1]}>", e[1])),
    st.tuples(st.sampled_from(["http", "https"]), _url_part, _no_angle).map(
        lambda u: (f"<{u[0]}://{u[1]}|{u[2]}>", u[2])
    ),
    st.tuples(st.sampled_from(["http", "https"]), _url_part).map(
        lambda u: (f"<{u[0]}://{u[1]}>", f"{u[0]}://{u[1]}")
    ),
    st.tuples(_id, _no_angle).map(lambda c: (f"<#C{c[0]}|{c[1]}>", f"#{c[1]}")),
    _id.map(lambda u: (f"<@U{u}>", f"<@U{u}>")),
    st.tuples(_id, _no_angle).map(lambda u: (f"<@U{u[0]}|{u[1]}>", f"<@U{u[0]}|{u[1]}>")),
    st.sampled_from(["<!here>", "<!channel>"]).map(lambda s: (s, s)),
)


@FUZZ
@given(st.lists(link_pieces, max_size=8))
def test_links_read_as_typed_and_mentions_of_people_are_kept(
    parts: list[tuple[str, str]],
) -> None:
    escaped = "".join(sent for sent, _ in parts)
    assert plain_links(escaped) == "".join(meant for _, meant in parts)


def slack_escaped(text: str) -> str:
    """Message text as Slack sends it in events: &, < and > escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@FUZZ
@given(
    mention=st.sampled_from(["<@UOUTPOST>", "<@UOUTPOST|outpost>", "<@W0OUTPOST>"]),
    word=st.text(min_size=1).filter(lambda w: len(w.split()) == 1 and w.split()[0] == w),
    rest=st.one_of(st.text(), typed),
)
def test_a_mention_reads_as_its_command_word_and_the_rest_unescaped(
    mention: str, word: str, rest: str
) -> None:
    text = f"{mention} {slack_escaped(word)} {slack_escaped(rest)}"
    assert parse_mention(text) == (word.lower(), rest.strip())


@FUZZ
@given(any_text)
def test_any_mention_text_reads_as_one_word_and_a_rest(text: str) -> None:
    word, rest = parse_mention(text)
    assert word == word.lower()
    assert len(word.split()) <= 1
    assert rest == rest.strip()
    assert rest == "" or word


# --- /account help and /account explain: what Slack is sent back -----------------------


def answer(text: str) -> dict[str, Any]:
    """What the `/account` listener acks for `text` (help, an unknown word, or explain)."""
    acked: list[dict[str, Any]] = []

    async def ack(**reply: Any) -> None:
        acked.append(reply)

    command = {"text": text, "user_id": "UENGINEER", "channel_id": "CPLATFORM"}
    # help and explain answer in the ack and use nothing else.
    asyncio.run(account_command(ack, command, None, None, None))
    (reply,) = acked
    return reply


def answered_in_the_ack(text: str) -> bool:
    sub = parse_command(text).subcommand
    return sub is None or sub.name in ("help", "explain")


help_or_explain = st.one_of(
    st.tuples(
        st.sampled_from(["help", "HELP", "explain", "Explain", "", "nwe", "<!channel>", "<@U1>"]),
        any_text,
    ).map(" ".join),
    any_text,
).filter(answered_in_the_ack)


@FUZZ
@given(help_or_explain)
@example("<!channel> please")
@example("explain <@U0123ABC> <!here>")
def test_the_answer_to_any_command_text_is_valid_block_kit_and_mentions_nobody(text: str) -> None:
    reply = answer(text)
    assert reply["response_type"] == "ephemeral"
    assert block_kit_errors(reply["blocks"], surface="message") == []
    assert reply["text"]
    assert live_mentions(reply) == []


@FUZZ
@given(
    st.one_of(
        any_text,
        st.sampled_from([w for words in catalog().by_service().values() for w in words]).flatmap(
            random_case
        ),
    )
)
def test_explaining_any_word_is_valid_block_kit_and_mentions_nobody(word: str) -> None:
    blocks = explain_blocks(catalog(), word)
    assert blocks
    assert block_kit_errors(blocks, surface="message") == []
    assert live_mentions(blocks) == []


# --- durations --------------------------------------------------------------------------


def assert_says_what_is_accepted(refusal: InvalidDuration) -> None:
    message = str(refusal)
    assert message
    assert DURATION_FORMS in message or f"{LONGEST.days} days" in message, message


huge_numbers = st.tuples(st.integers(1, 6000), st.sampled_from(["", "d", "h", "m", "s"])).map(
    lambda n: "9" * n[0] + n[1]
)


@FUZZ
@given(st.one_of(any_text, huge_numbers, st.from_regex(r"[0-9dhms. ]{0,12}", fullmatch=True)))
@example("1" * 4400 + "d")
def test_any_text_is_a_bounded_duration_or_refused_with_the_accepted_forms(text: str) -> None:
    try:
        value = parse_duration(text)
    except InvalidDuration as refusal:
        assert_says_what_is_accepted(refusal)
    else:
        assert timedelta(0) <= value <= LONGEST


@FUZZ
@given(st.one_of(st.floats(), st.integers(min_value=-(10**30), max_value=10**30)))
def test_any_number_is_seconds_within_bounds_or_refused(number: float) -> None:
    try:
        value = parse_duration(number)
    except InvalidDuration as refusal:
        assert_says_what_is_accepted(refusal)
        assert not 0 <= number <= LONGEST.total_seconds()
    else:
        assert value == timedelta(seconds=number)
        assert timedelta(0) <= value <= LONGEST


@FUZZ
@given(st.timedeltas(min_value=timedelta(0), max_value=LONGEST))
def test_a_formatted_duration_reads_back_as_itself(value: timedelta) -> None:
    whole = timedelta(seconds=int(value.total_seconds()))
    assert parse_duration(format_duration(whole)) == whole


@FUZZ
@given(
    parts=st.tuples(*[st.one_of(st.none(), st.integers(0, 10**7))] * 4).filter(
        lambda p: any(n is not None for n in p)
    ),
    cases=st.lists(st.booleans(), min_size=4, max_size=4),
    spaced=st.booleans(),
)
def test_days_hours_minutes_and_seconds_in_any_case(
    parts: tuple[int | None, ...], cases: list[bool], spaced: bool
) -> None:
    units = "dhms"
    written = [
        f"{n}{unit.upper() if upper else unit}"
        for n, unit, upper in zip(parts, units, cases, strict=True)
        if n is not None
    ]
    text = (" " if spaced else "").join(written)
    days, hours, minutes, seconds = (n or 0 for n in parts)
    expected = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if expected > LONGEST:
        with pytest.raises(InvalidDuration, match=f"{LONGEST.days} days"):
            parse_duration(text)
    else:
        assert parse_duration(text) == expected


@FUZZ
@given(st.one_of(any_text, huge_numbers))
@example("9" * 4400 + "h")
def test_a_duration_typed_in_a_modal_is_fine_or_says_how_to_write_it(text: str) -> None:
    problem = breakglass_forms.duration_error(text, LIMITS)
    if problem is None:
        assert LIMITS.shortest <= parse_duration(text) <= LIMITS.longest
        return
    try:
        parse_duration(text)
    except InvalidDuration:
        assert "15m to 4h, e.g. 30m, 1h, 1h30m" in problem, problem
    else:
        assert "at least 15m" in problem or "at most 4h" in problem, problem


# --- break-glass arguments --------------------------------------------------------------

_odd_word = st.text(min_size=1, max_size=10)


def mostly(good: list[str], bad: list[str]) -> st.SearchStrategy[str]:
    """One of `good` three times in four, else one of `bad` or any word."""
    return st.integers(0, 3).flatmap(
        lambda n: st.one_of(st.sampled_from(bad), _odd_word) if n == 0 else st.sampled_from(good)
    )


_people = mostly(["<@U0123ABC|dana>", "<@U0123ABC>", "<@W0123ABC>", "U0123ABCD"], ["@dana"])
_accounts = mostly(["payments-prod", "123456789012"], ["<!channel>"])
_durations = mostly(["1h", "30m", "1H30M", "1.5h", "0s"], ["90", "99999d", "9" * 4400 + "h"])
_days = mostly(["7", "365", "30d"], ["366", "0", "1000"])
_grant_ids = mostly(["bg-4b1d9e", "BG-4B1D9E0A"], ["bg-12", "bg-xyzxyz"])
access_words = st.one_of(_people, _accounts, _durations, _days, _grant_ids)
access_text = st.one_of(
    st.lists(access_words, max_size=6).map(" ".join),
    # Each word where the subcommand looks for it: breakglass, grant, revoke, audit.
    st.tuples(_accounts, _durations, st.text()).map(" ".join),
    st.tuples(_people, _accounts, _durations, _odd_word, st.text()).map(" ".join),
    _grant_ids,
    st.tuples(_accounts, _days).map(" ".join),
    any_text,
)


def check_refusal(parse: Callable[[str], Any], text: str, usage: str) -> Any:
    """Parse, or check the refusal shows how to write the subcommand."""
    try:
        return parse(text)
    except BadArguments as refusal:
        message = str(refusal)
        assert f"e.g. /account {usage}" in message, message
        return None


@FUZZ
@given(access_text)
@example("payments-prod " + "9" * 4400 + "h restore")
def test_breakglass_arguments_parse_or_say_how_to_write_them(text: str) -> None:
    args = check_refusal(parse_breakglass, text, "breakglass")
    if args is None:
        with pytest.raises(BadArguments, match=re.escape(ACCESS_DURATION_FORMS)):
            parse_breakglass(text)
        return
    assert isinstance(args, BreakglassArgs)
    assert args.account is None or args.account.split() == [args.account]
    if args.duration is not None:
        assert timedelta(0) <= args.duration <= LONGEST
    assert args.reason == " ".join(args.reason.split())


@FUZZ
@given(access_text)
@example("<@U0123ABC> payments-prod " + "9" * 4400 + "m restore")
def test_grant_arguments_parse_or_say_how_to_write_them(text: str) -> None:
    args = check_refusal(parse_grant, text, "grant")
    if args is not None:
        assert re.fullmatch(r"[UW][A-Z0-9]+", args.user)
        assert timedelta(0) <= args.duration <= LONGEST


@FUZZ
@given(access_text)
def test_revoke_arguments_parse_or_say_how_to_write_them(text: str) -> None:
    grant_id = check_refusal(parse_revoke, text, "revoke")
    # Any word shaped like a grant id is looked up: one that is none is told it does not exist.
    assert grant_id is None or re.fullmatch(r"bg-[0-9a-z]{1,40}", str(grant_id))


@FUZZ
@given(access_text)
def test_audit_arguments_parse_or_say_how_to_write_them(text: str) -> None:
    args = check_refusal(parse_audit, text, "audit")
    if args is not None:
        assert 1 <= args.days <= LONGEST_AUDIT_DAYS


accounts = st.one_of(
    st.from_regex(r"[a-z0-9-]{1,30}", fullmatch=True).map(lambda name: "acct-" + name),
    st.from_regex(r"[0-9]{12}", fullmatch=True),
)
reasons = st.lists(
    st.text(alphabet=st.characters(blacklist_categories=["Zs", "Zl", "Zp", "Cc"]), min_size=1),
    max_size=5,
)


@FUZZ
@given(
    account=accounts,
    hours=st.integers(0, 1000),
    minutes=st.integers(0, 59),
    unit_case=st.booleans(),
    words=reasons,
)
def test_breakglass_reads_back_what_was_typed(
    account: str, hours: int, minutes: int, unit_case: bool, words: list[str]
) -> None:
    duration_text = f"{hours}{'H' if unit_case else 'h'}{minutes}m"
    reason = " ".join(words)
    parsed = parse_breakglass(f"  {account}  {duration_text} {reason} ")
    assert parsed == BreakglassArgs(
        account=account,
        duration=timedelta(hours=hours, minutes=minutes),
        duration_text=duration_text,
        reason=reason,
    )


@FUZZ
@given(
    user=_id.map(lambda i: "U" + i),
    shown=st.sampled_from(["<@{}>", "<@{}|dana>", "{}"]),
    account=accounts,
    minutes=st.integers(1, 600),
    words=reasons.filter(bool),
)
def test_grant_reads_back_what_was_typed(
    user: str, shown: str, account: str, minutes: int, words: list[str]
) -> None:
    parsed = parse_grant(f"{shown.format(user)} {account} {minutes}m {' '.join(words)}")
    assert (parsed.user, parsed.account) == (user, account)
    assert parsed.duration == timedelta(minutes=minutes)
    assert parsed.reason == " ".join(words)


@FUZZ
@given(st.from_regex(r"bg-[0-9a-f]{6,16}", fullmatch=True).flatmap(random_case))
def test_a_grant_id_in_any_case_is_revoked(grant_id: str) -> None:
    assert parse_revoke(f" {grant_id} ") == grant_id.lower()


@FUZZ
@given(account=st.one_of(st.none(), accounts), days=st.integers(0, 999), suffix=st.booleans())
def test_audit_days_within_a_year_and_nothing_else(
    account: str | None, days: int, suffix: bool
) -> None:
    text = " ".join(filter(None, [account, f"{days}{'d' if suffix else ''}"]))
    if 1 <= days <= LONGEST_AUDIT_DAYS:
        args = parse_audit(text)
        assert (args.account, args.days) == (account, days)
    else:
        with pytest.raises(BadArguments, match=f"1 to {LONGEST_AUDIT_DAYS} days"):
            parse_audit(text)


# --- names and emails -------------------------------------------------------------------

NAME_CHARACTERS = set(string.ascii_lowercase + string.digits + "-")


def a_valid_name(name: str) -> bool:
    """The README's rule: 3–50 of a-z 0-9 -, not starting or ending with a hyphen."""
    return (
        3 <= len(name) <= 50
        and set(name) <= NAME_CHARACTERS
        and not name.startswith("-")
        and not name.endswith("-")
    )


@FUZZ
@given(
    st.one_of(
        st.from_regex(r"[a-z0-9-]{0,60}", fullmatch=True),
        st.tuples(
            st.sampled_from(["", "-", "A", " "]),
            st.from_regex(r"[a-z0-9][a-z0-9-]{0,48}[a-z0-9]", fullmatch=True),
            st.sampled_from(["", "-", "\n", "_"]),
        ).map("".join),
        any_text,
    )
)
@example("a" * 50)
@example("a" * 51)
@example("ab")
def test_an_account_name_is_accepted_exactly_when_aws_would_take_it(name: str) -> None:
    problem = account_name_problem(name)
    assert (problem is None) == a_valid_name(name)
    if problem is not None:
        assert "hyphen" in problem, problem


_local = st.from_regex(r"[A-Za-z0-9+=.#|!^$%&*~_{}/`'?-]{1,30}", fullmatch=True)
_domain = st.lists(st.from_regex(r"[A-Za-z0-9-]{1,12}", fullmatch=True), min_size=2, max_size=4)
emails = st.tuples(_local, _domain).map(lambda e: f"{e[0]}@{'.'.join(e[1])}")


@FUZZ
@given(emails)
@example("a@b.cd")
@example("abcd@b.c")
@example("a" * 59 + "@b.cd")
@example("a" * 60 + "@b.cd")
def test_an_email_of_aws_form_and_length_is_accepted(email: str) -> None:
    problem = email_problem(email)
    assert (problem is None) == (6 <= len(email) <= 64), problem


near_misses = st.one_of(
    emails.map(lambda e: e + "\n"),
    emails.map(lambda e: e.replace("@", " @", 1)),
    emails.map(lambda e: e.replace("@", "@@", 1)),
    emails.map(lambda e: e.rsplit(".", 1)[0]),
    emails.map(lambda e: e.replace("a", "\u00e4")),
    emails.map(lambda e: e.replace("@", "")),
)


@FUZZ
@given(st.one_of(near_misses, any_text, st.text(max_size=70)))
def test_any_email_is_accepted_only_in_aws_form_else_says_what_is_accepted(email: str) -> None:
    problem = email_problem(email)
    if problem is None:
        local, at, domain = email.partition("@")
        assert email.isascii() and 6 <= len(email) <= 64
        assert at and local and "." in domain and "@" not in domain
        assert not any(c.isspace() for c in email)
    else:
        accepted = ("ASCII", "6 to 64", "team+name@example.com")
        assert any(words in problem for words in accepted), problem


# --- modals: what Slack hands back on submit --------------------------------------------


@dataclass(frozen=True)
class Modal:
    """How one modal's submission is parsed, and where each typed value must come back."""

    parse: Callable[[dict[str, Any]], Any]
    metadata: st.SearchStrategy[BaseModel]
    # (block, action) of each text input -> the typed value in the parsed result
    inputs: dict[tuple[BlockId, ActionId], Callable[[Any], str | None]]
    # each optional text input reads as None when left empty
    optional: frozenset[BlockId] = frozenset()
    # (block, action) of a select -> (its value, its label) in the parsed result
    select: tuple[BlockId, ActionId, Callable[[Any], tuple[str, str | None]]] | None = None
    # the metadata as read back
    read_metadata: Callable[[Any], BaseModel] = lambda parsed: parsed[0]


_t = st.text(max_size=20)
MODALS = {
    "new_account": Modal(
        parse=parse_new_account_form,
        metadata=st.builds(NewAccountMetadata, channel=_t),
        inputs={
            (BlockId.ACCOUNT_NAME, ActionId.ACCOUNT_NAME): lambda p: p[1].name,
            (BlockId.TEAM, ActionId.TEAM): lambda p: p[1].team,
            (BlockId.ROOT_EMAIL, ActionId.ROOT_EMAIL): lambda p: p[1].email,
            (BlockId.PURPOSE, ActionId.PURPOSE): lambda p: p[1].purpose,
        },
        optional=frozenset({BlockId.ROOT_EMAIL}),
        select=(
            BlockId.ORGANIZATIONAL_UNIT,
            ActionId.ORGANIZATIONAL_UNIT,
            lambda p: (p[1].ou_id, p[1].ou_name),
        ),
    ),
    "breakglass": Modal(
        parse=breakglass_forms.parse_breakglass,
        metadata=st.builds(breakglass_forms.BreakglassMetadata, channel=_t),
        inputs={
            (BlockId.ACCESS_DURATION, ActionId.ACCESS_DURATION): lambda p: p.duration_text,
            (BlockId.ACCESS_JUSTIFICATION, ActionId.ACCESS_JUSTIFICATION): (
                lambda p: p.justification
            ),
            (BlockId.ACCESS_TICKET, ActionId.ACCESS_TICKET): lambda p: p.ticket,
        },
        optional=frozenset({BlockId.ACCESS_TICKET}),
        select=(BlockId.ACCESS_ACCOUNT, ActionId.ACCESS_ACCOUNT, lambda p: (p.account_id, None)),
        read_metadata=lambda p: breakglass_forms.BreakglassMetadata(channel=p.channel),
    ),
    "deny": Modal(
        parse=breakglass_forms.parse_deny,
        metadata=st.builds(
            breakglass_forms.DenyMetadata, grant_id=_t, what=_t, channel=st.one_of(st.none(), _t)
        ),
        inputs={(BlockId.DENY_REASON, ActionId.DENY_REASON): lambda p: p[1]},
    ),
    "extend": Modal(
        parse=breakglass_forms.parse_extend,
        metadata=st.builds(breakglass_forms.ExtendMetadata, grant_id=_t, channel=_t),
        inputs={
            (BlockId.EXTEND_DURATION, ActionId.EXTEND_DURATION): lambda p: p[1].duration_text,
            (BlockId.EXTEND_REASON, ActionId.EXTEND_REASON): lambda p: p[1].reason,
        },
    ),
    "self_approve": Modal(
        parse=breakglass_forms.parse_self_approve,
        metadata=st.builds(breakglass_forms.SelfApproveMetadata, grant_id=_t, what=_t),
        inputs={(BlockId.SELF_APPROVE_NOTE, ActionId.SELF_APPROVE_NOTE): lambda p: p[1]},
    ),
    "resolve": Modal(
        parse=parse_resolve,
        metadata=st.builds(ResolveMetadata, operation_id=_t, channel=_t),
        inputs={(BlockId.RESOLVE_NOTE, ActionId.RESOLVE_NOTE): lambda p: p[1]},
    ),
}

typed_values = st.one_of(st.none(), any_text)
options = st.one_of(
    st.none(),
    st.builds(
        lambda label, value: {
            "text": {"type": "plain_text", "text": label, "emoji": True},
            "value": value,
        },
        _t,
        _t,
    ),
)


@st.composite
def submissions(draw: st.DrawFn, modal: Modal) -> tuple[dict[str, Any], BaseModel | None]:
    """A view_submission's view as Slack sends it; the metadata when it is Outpost's own."""
    values: dict[str, Any] = {}
    for (block, action), _ in modal.inputs.items():
        if draw(st.integers(0, 9)):  # now and then Slack leaves an input out
            values[block] = {action: {"type": "plain_text_input", "value": draw(typed_values)}}
    if modal.select is not None:
        block, action, _ = modal.select
        values[block] = {action: {"type": "static_select", "selected_option": draw(options)}}
    for block in draw(st.lists(st.sampled_from(list(BlockId)), max_size=2)):
        values.setdefault(block, {"other_input": {"type": "plain_text_input", "value": "x"}})
    metadata = draw(st.one_of(st.none(), modal.metadata))
    view: dict[str, Any] = {"type": "modal", "id": "V1", "state": {"values": values}}
    if metadata is not None:
        view["private_metadata"] = metadata.model_dump_json()
    else:
        view["private_metadata"] = draw(st.one_of(_t, st.just(""), st.just("{}")))
    return view, metadata


def typed_back(view: dict[str, Any], block: BlockId, action: ActionId) -> str:
    value = view["state"]["values"].get(block, {}).get(action, {}).get("value")
    return (value or "").strip()


@FEW
@pytest.mark.parametrize("name", list(MODALS))
@given(data=st.data())
def test_a_submitted_modal_reads_back_each_field_or_is_unreadable(name: str, data: Any) -> None:
    modal = MODALS[name]
    view, metadata = data.draw(submissions(modal))
    try:
        parsed = modal.parse(view)
    except FormUnreadable as unreadable:
        assert str(unreadable)
        assert metadata is None, "Outpost's own metadata was refused"
        return
    if metadata is not None:
        assert modal.read_metadata(parsed) == metadata
    for (block, action), read in modal.inputs.items():
        expected = typed_back(view, block, action)
        assert read(parsed) == ((expected or None) if block in modal.optional else expected)
    if modal.select is not None:
        block, action, read_select = modal.select
        option = view["state"]["values"][block][action]["selected_option"] or {}
        value, label = read_select(parsed)
        assert value.strip() == str(option.get("value", "")).strip()
        if label is not None:
            assert label == (option.get("text") or {}).get("text", "")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


def shaped(keys: list[str], inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A dict with some of `keys` holding `inner`, or any JSON value in its place."""
    return st.one_of(json_values, st.dictionaries(st.sampled_from(keys), inner, max_size=3))


@st.composite
def odd_views(draw: st.DrawFn, modal: Modal) -> dict[str, Any]:
    """Views Outpost never built: any JSON where Slack puts state, values and metadata."""
    blocks = [block for block, _ in modal.inputs] + ([modal.select[0]] if modal.select else [])
    actions = [action for _, action in modal.inputs] + ([modal.select[1]] if modal.select else [])
    element = shaped(["value", "selected_option", "type"], shaped(["value", "text"], json_values))
    values = shaped([str(b) for b in blocks], shaped([str(a) for a in actions], element))
    view = draw(st.dictionaries(st.sampled_from(["type", "id"]), json_values))
    if draw(st.booleans()):
        view["state"] = draw(shaped(["values"], values))
    view["private_metadata"] = draw(
        st.one_of(modal.metadata.map(lambda m: m.model_dump_json()), json_values)
    )
    return view


@FEW
@pytest.mark.parametrize("name", list(MODALS))
@given(data=st.data())
def test_a_view_of_any_shape_is_read_or_unreadable(name: str, data: Any) -> None:
    modal = MODALS[name]
    view = data.draw(odd_views(modal))
    try:
        modal.parse(view)
    except FormUnreadable as unreadable:
        assert str(unreadable)


def test_the_modal_table_covers_every_view_parser() -> None:
    parsers = {
        breakglass_forms.parse_breakglass,
        breakglass_forms.parse_deny,
        breakglass_forms.parse_extend,
        breakglass_forms.parse_self_approve,
        parse_new_account_form,
        parse_resolve,
    }
    assert {modal.parse for modal in MODALS.values()} == parsers

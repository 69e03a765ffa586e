"""Whatever people type, Outpost shows it as text: no broadcast, mention or link, and no payload
Slack would refuse.

Hostile text goes through every flow that takes words from a person, as Slack sends them: slash
commands (`/account <it>`, `new`, `show`, `explain`, `list`, `ops`, `breakglass`, `grant`,
`revoke`, `audit`), the modals (new account, break-glass request, Deny, Extend, Mark
resolved), and mentions of the bot in and out of an operation's thread. It holds broadcasts
(`<!channel>`, `<!here>`), mentions of a person and a channel, a link, mrkdwn, control
characters, emoji, and runs to 10 kB. Modal inputs get as much as their `max_length`, which
Slack enforces before a submission reaches Outpost; slash commands and mentions get it all.

Then everything the fake Slack recorded (every message, update, ephemeral message, direct
message, modal, home tab and file comment) and every HTTP answer to a command or submission is
read as a person would see it. None may hold a token the attacker typed unescaped, every call
must have been accepted (the fake refuses invalid Block Kit), no block text may pass 3000
characters and no message 50 blocks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from bot.emulator.aws_faults import ThreadedAwsFaultProxy, aws_error
from bot.emulator.block_kit import block_kit_errors, view_errors
from bot.emulator.slack import FakeSlack, SlackMessage
from bot.ui.ids import ActionId, BlockId, CallbackId
from tests.security.conftest import AimedRequests, ResponseUrl
from tests.support.access_flows import AUDIT, button, grant_cards
from tests.support.bot_process import BotProcess
from tests.support.flows import FINAL_LINES, block_text, form_values, option_label
from tests.support.organization import Organization
from tests.support.slack_requests import text_value
from tests.support.waiting import eventually, quiet

PLATFORM = "CPLATFORM"

# What an attacker types, and what must never reach Slack as they typed it.
TOKENS = ("<!channel>", "<!here>", "<@U0AAAAAAA>", "<#C0AAAAAAA>", "<https://evil.example|click>")
FORBIDDEN = (
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U0AAAAAAA>",
    "<#C0AAAAAAA>",
    "<https://evil.example",
)
ESCAPED_BY_SLACK = "&lt;!everyone&gt; &amp;lt;!here&amp;gt;"  # as Slack sends typed brackets
MARKUP = "*bold* ~strike~ _lean_ `tick` ```fence``` > quoted\n• listed"
EMOJI = ":fire: 🔥 👩‍💻 \U0001f600 :rotating_light:"
CONTROL = "\x00\x01\x07\x08\x0b\x0c\x1b[31m\x7f\u0085\u200b\u202e\u2028\ufeff"
# Control characters the attacker typed, that no text shown may hold: the C0 controls but
# newline and tab, DEL, and the right-to-left override that makes text read backwards.
UNSHOWABLE = frozenset({*map(chr, range(0x20)), "\x7f", "\u202e"} - {"\n", "\t"})

HOSTILE = f"{' '.join(TOKENS)} {ESCAPED_BY_SLACK} {MARKUP} {EMOJI}"
# Lines typed to pass for Outpost's own: none may start a line of what people read.
FAKED_LINES = (
    ":white_check_mark: <@UOPS> approved it · Granted",
    ":unlock: FAKED access is given",
    "*Approved by* FAKED",
    "• listed",
)


def _split_by_controls() -> str:
    broken = " ".join(token[:3] + "\x00" + token[3:] for token in TOKENS)
    return f"{CONTROL}{' '.join(TOKENS)}{CONTROL} {broken} {HOSTILE}{CONTROL}"


def _ten_kilobytes() -> str:
    text = ""
    while len(text) < 10_240:
        text += HOSTILE + " "
    return text


PAYLOADS = {
    "mentions, links and mrkdwn": HOSTILE,
    "control characters": _split_by_controls(),
    "10 kB": _ten_kilobytes(),
    "faked lines": "need it\n" + "\r\n".join(FAKED_LINES) + f"\u2028{HOSTILE}",
}

# Where a person reads text in a payload, and keys that hold none (ids, values, metadata).
NOT_READ = frozenset(
    {
        "action_id",
        "block_id",
        "callback_id",
        "external_id",
        "private_metadata",
        "value",
        "initial_value",
        "url",
        "image_url",
        "trigger_id",
        "view_id",
        "hash",
        "channel",
        "user",
        "ts",
        "thread_ts",
        "user_id",
    }
)
SHOWN_METHODS = (
    "chat.postMessage",
    "chat.update",
    "chat.postEphemeral",
    "views.open",
    "views.push",
    "views.update",
    "views.publish",
    "files.completeUploadExternal",
)


def fit(text: str, limit: int) -> str:
    """As much of `text` as an input of `max_length` `limit` takes."""
    return text[:limit]


def first_word(text: str) -> str:
    return text.split()[0]


class Typing(AimedRequests):
    """Signed requests from people, whose answers are kept for reading."""

    def __init__(self, events_url: str, response_url: str) -> None:
        super().__init__(events_url, response_url)
        self.answers: list[tuple[str, int, str]] = []  # (what was sent, status, body)

    async def deliver(self, body: str, content_type: str, **signing: Any) -> tuple[int, str]:
        status, answer = await super().deliver(body, content_type, **signing)
        self.answers.append((body[:200], status, answer))
        return status, answer


@pytest.fixture
def typing(access_bot: BotProcess, response_url: ResponseUrl) -> Typing:
    return Typing(f"{access_bot.url}/slack/events", response_url.url)


# Reading what was shown


def texts_read(value: Any) -> Iterator[str]:
    """Every string a person reads in a payload: text objects, message text, errors, comments."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in NOT_READ:
                continue
            if isinstance(item, str):
                if key in ("text", "initial_comment", "title", "alt_text"):
                    yield item
            else:
                yield from texts_read(item)
    elif isinstance(value, list):
        for item in value:
            yield from texts_read(item)


def errors_read(answer: dict[str, Any]) -> Iterator[str]:
    errors = answer.get("errors")
    if isinstance(errors, dict):
        yield from (str(v) for v in errors.values())


def block_texts(value: Any) -> Iterator[str]:
    """The text of every text object in blocks (not the message's own `text`)."""
    if isinstance(value, dict):
        if value.get("type") in ("mrkdwn", "plain_text") and isinstance(value.get("text"), str):
            yield value["text"]
        for key, item in value.items():
            if key not in NOT_READ:
                yield from block_texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from block_texts(item)


def shown(slack: FakeSlack, typing: Typing) -> list[tuple[str, dict[str, Any]]]:
    """(where, payload) for everything Outpost showed: Slack calls and HTTP answers."""
    found = [(c.method, c.params) for c in slack.calls if c.method in SHOWN_METHODS]
    for sent, status, body in typing.answers:
        if body.strip().startswith("{"):
            found.append((f"answer to {sent[:60]!r} ({status})", json.loads(body)))
    return found


def assert_all_shown_safely(slack: FakeSlack, typing: Typing, response_url: ResponseUrl) -> None:
    refused = [(c.method, c.error) for c in slack.calls if not c.ok]
    assert refused == [], f"Slack refused calls: {refused}"
    assert [(sent, status) for sent, status, _ in typing.answers if status != 200] == []
    assert response_url.posts == [], "Outpost fell back to the response_url, or hit an error"

    unescaped = []
    faked = []
    controls = []
    too_long = []
    invalid = []
    for where, payload in shown(slack, typing):
        read = [*texts_read(payload), *errors_read(payload)]
        for text in read:
            unescaped.extend(
                (where, token, text[max(0, text.find(token) - 60) : text.find(token) + 60])
                for token in FORBIDDEN
                if token in text
            )
            if UNSHOWABLE & set(text):
                controls.append((where, text[:120]))
            faked.extend(
                (where, line[:120])
                for line in text.splitlines()
                if line.lstrip("> ").startswith(tuple(map(_as_shown, FAKED_LINES)))
            )
        blocks = payload.get("blocks")
        if isinstance(payload.get("view"), dict):
            invalid.extend((where, e) for e in view_errors(payload["view"]))
            blocks = payload["view"].get("blocks")
        elif isinstance(blocks, list):
            invalid.extend((where, e) for e in block_kit_errors(blocks, surface="message"))
            if len(blocks) > 50:
                too_long.append((where, f"{len(blocks)} blocks"))
        too_long.extend(
            (where, f"a text of {len(text)} characters")
            for text in block_texts(blocks or [])
            if len(text) > 3000
        )
    assert unescaped == [], f"shown unescaped: {unescaped[:5]}"
    assert faked == [], f"a typed line passes for Outpost's own: {faked[:5]}"
    assert controls == [], f"shown with control characters: {controls[:5]}"
    assert invalid == [], f"invalid Block Kit: {invalid[:5]}"
    assert too_long == [], f"over Slack's limits: {too_long[:5]}"


def _as_shown(line: str) -> str:
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escaped_somewhere(slack: FakeSlack, typing: Typing) -> int:
    """How many payloads show the attacker's broadcast, escaped: the text did reach people."""
    return sum(
        any("&lt;!channel&gt;" in text for text in texts_read(payload))
        for _, payload in shown(slack, typing)
    )


# Waiting for what people see


def private_replies(slack: FakeSlack, user: str, channel: str = PLATFORM) -> list[SlackMessage]:
    return [m for m in slack.messages(channel) if m.ephemeral_to == user]


async def command(
    slack: FakeSlack, typing: Typing, text: str, *, user: str = "UENGINEER"
) -> tuple[int, str]:
    """Type `/account <text>` and wait for what it answers: in the HTTP answer, privately in
    the channel, or in a modal."""
    replies, modals = len(private_replies(slack, user)), len(slack.calls_to("views.open"))
    status, body = await typing.command(text, user=user)
    assert status == 200, body
    if not body:
        await eventually(
            lambda: (
                len(private_replies(slack, user)) > replies
                or len(slack.calls_to("views.open")) > modals
            ),
            what=f"an answer to /account {text[:40]!r}",
        )
    return status, body


async def form(slack: FakeSlack, typing: Typing, text: str, user: str) -> dict[str, Any]:
    """The new-account modal, once filled in."""
    updated = len(slack.calls_to("views.update"))
    await command(slack, typing, text, user=user)
    await eventually(lambda: len(slack.calls_to("views.update")) > updated, what="the form")
    return slack.views()[slack.calls_to("views.update")[-1].params["view_id"]]


def operation_card(slack: FakeSlack, name: str, *states: str) -> SlackMessage | None:
    for message in slack.messages(PLATFORM):
        if message.thread_ts is not None or message.ephemeral_to is not None:
            continue
        if message.user != slack.bot_user_id or f"`{name}`" not in block_text(message):
            continue
        thread = [block_text(m) for m in slack.thread(PLATFORM, message.ts)]
        for state in states:
            final = FINAL_LINES.get(state)
            if state in block_text(message) and (
                not final or any(final in line for line in thread)
            ):
                return message
    return None


async def new_operation(
    slack: FakeSlack,
    typing: Typing,
    org: Organization,
    hostile: str,
    name: str,
    *,
    states: tuple[str, ...] = ("Failed",),
) -> SlackMessage:
    view = await form(slack, typing, f"new {name}", "UENGINEER")
    sandbox = org.ous["Sandbox"]
    values = form_values(
        name=name,
        ou_id=sandbox,
        ou_label=option_label(view, sandbox),
        team=fit(hostile, 100),
        purpose=fit(hostile, 500),
    )
    assert await typing.submit_view(view, values) == (200, "")
    return await eventually(
        lambda: operation_card(slack, name, *states), what=f"{name} to read {states}"
    )


def newest_view(slack: FakeSlack, callback_id: str, opened_before: int) -> dict[str, Any]:
    calls = slack.calls_to("views.open")[opened_before:]
    opened = [c for c in calls if c.ok and c.params["view"].get("callback_id") == callback_id]
    assert opened, f"no {callback_id} modal was opened"
    metadata = opened[-1].params["view"].get("private_metadata", "")
    return next(
        v
        for v in reversed(slack.views().values())
        if v["callback_id"] == callback_id and v["private_metadata"] == metadata
    )


async def mention(
    typing: Typing, slack: FakeSlack, text: str, *, user: str, thread: SlackMessage | None
) -> SlackMessage:
    said = slack.add_message(
        PLATFORM,
        user=user,
        text=f"<@{slack.bot_user_id}> {text}",
        thread_ts=thread.ts if thread else None,
    )
    event: dict[str, Any] = {
        "type": "app_mention",
        "user": user,
        "text": said.text,
        "ts": said.ts,
        "channel": PLATFORM,
    }
    if thread is not None:
        event["thread_ts"] = thread.ts
    status, _ = await typing.event(event)
    assert status == 200
    return said


async def open_home(typing: Typing, slack: FakeSlack, user: str) -> None:
    published = len(slack.calls_to("views.publish"))
    status, _ = await typing.event(
        {"type": "app_home_opened", "user": user, "channel": "D" + user, "tab": "home"}
    )
    assert status == 200
    await eventually(
        lambda: len(slack.calls_to("views.publish")) > published, what=f"{user}'s home tab"
    )


# Operations: the form, commands about accounts, triage


@pytest.mark.parametrize("hostile", PAYLOADS.values(), ids=PAYLOADS.keys())
async def test_hostile_text_about_accounts_and_operations_is_shown_as_text(
    hostile: str,
    slack: FakeSlack,
    aws: ThreadedAwsFaultProxy,
    org: Organization,
    typing: Typing,
    response_url: ResponseUrl,
) -> None:
    for text in (hostile, f"show {hostile}", f"explain {hostile}", f"list {hostile}"):
        await command(slack, typing, text)
    await command(slack, typing, f"ops {hostile}", user="UOPS")

    view = await form(slack, typing, f"new {hostile}", "UENGINEER")
    sandbox = org.ous["Sandbox"]
    wrong = form_values(
        name=fit(hostile, 50),
        ou_id=sandbox,
        ou_label=option_label(view, sandbox),
        team=fit(hostile, 100),
        email=fit(hostile, 64),
        purpose=fit(hostile, 500),
    )
    status, body = await typing.submit_view(view, wrong)
    assert status == 200 and json.loads(body)["response_action"] == "errors"

    # Mark resolved, with its modal.
    aws.add(aws_error("CreateAccount", "AccessDeniedException", "Not allowed"))
    failed = await new_operation(slack, typing, org, hostile, "hostile-resolved")
    opened = len(slack.calls_to("views.open"))
    actions = next(b for b in failed.blocks if b.get("block_id") == BlockId.CARD_ACTIONS)
    resolve = next(e for e in actions["elements"] if e["action_id"] == ActionId.RESOLVE)
    await typing.click(ActionId.RESOLVE, resolve["value"], message_ts=failed.ts, user="UOPS")
    modal = await eventually(lambda: newest_view(slack, CallbackId.RESOLVE, opened))
    note = {BlockId.RESOLVE_NOTE: {ActionId.RESOLVE_NOTE: text_value(fit(hostile, 2000))}}
    assert await typing.submit_view(modal, note, user="UOPS") == (200, "")
    await eventually(lambda: operation_card(slack, "hostile-resolved", "resolved by hand"))

    # Mentions of the bot, in a failed operation's thread and elsewhere.
    aws.add(aws_error("CreateAccount", "AccessDeniedException", "Not allowed"))
    thread = await new_operation(slack, typing, org, hostile, "hostile-mentioned")
    await mention(typing, slack, hostile, user="UENGINEER", thread=thread)
    await eventually(lambda: slack.thread(PLATFORM, thread.ts)[-1].ephemeral_to == "UENGINEER")
    await mention(typing, slack, f"resolve {hostile}", user="UOPS", thread=thread)
    await eventually(lambda: operation_card(slack, "hostile-mentioned", "resolved by hand"))
    await mention(typing, slack, hostile, user="UOTHER", thread=None)
    await eventually(
        lambda: [m for m in slack.messages(PLATFORM) if m.ephemeral_to == "UOTHER"],
        what="a private answer to a mention outside a thread",
    )

    # An account made with hostile words in its tags, then shown, listed and looked into.
    made = await new_operation(
        slack, typing, org, hostile, "hostile-made", states=("Succeeded", "Failed")
    )
    await command(slack, typing, "show hostile-made")
    await command(slack, typing, "list")
    await command(slack, typing, "ops all", user="UOPS")
    calls = next(
        e
        for b in made.blocks
        if b.get("block_id") == BlockId.CARD_ACTIONS
        for e in b["elements"]
        if e["action_id"] == ActionId.SHOW_AWS_CALLS
    )
    opened = len(slack.calls_to("views.open"))
    await typing.click(ActionId.SHOW_AWS_CALLS, calls["value"], message_ts=made.ts)
    await eventually(lambda: len(slack.calls_to("views.open")) > opened, what="the AWS calls")
    for user in ("UENGINEER", "UOPS"):
        await open_home(typing, slack, user)

    await quiet(slack, aws)
    assert_all_shown_safely(slack, typing, response_url)
    assert escaped_somewhere(slack, typing) >= 10


# Break-glass: requests, decisions, extensions, direct grants, the audit trail


def grant_card_of(slack: FakeSlack, user: str, reading: str) -> SlackMessage | None:
    for card in grant_cards(slack):
        now = slack.message(AUDIT, card.ts)
        if f"for <@{user}>" in block_text(now) and reading in block_text(now):
            return now
    return None


async def card_of(slack: FakeSlack, user: str, reading: str) -> SlackMessage:
    return await eventually(
        lambda: grant_card_of(slack, user, reading), what=f"{user}'s card to read {reading!r}"
    )


async def click(typing: Typing, card: SlackMessage, action: ActionId, user: str) -> None:
    status, _ = await typing.click(
        action, button(card, action), channel=AUDIT, message_ts=card.ts, user=user
    )
    assert status == 200


async def deny(
    typing: Typing, slack: FakeSlack, card: SlackMessage, reason: str, *, user: str
) -> None:
    opened = len(slack.calls_to("views.open"))
    await click(typing, card, ActionId.DENY_ACCESS, user)
    modal = await eventually(lambda: newest_view(slack, CallbackId.DENY, opened))
    values = {BlockId.DENY_REASON: {ActionId.DENY_REASON: text_value(reason)}}
    assert await typing.submit_view(modal, values, user=user) == (200, "")


@pytest.mark.parametrize("hostile", PAYLOADS.values(), ids=PAYLOADS.keys())
async def test_hostile_text_about_break_glass_access_is_shown_as_text(
    hostile: str,
    slack: FakeSlack,
    aws: ThreadedAwsFaultProxy,
    org: Organization,
    typing: Typing,
    response_url: ResponseUrl,
) -> None:
    justification = fit(hostile, 1000)
    # By command: everything at once, the justification as typed (refused past 1000
    # characters), then as much as is accepted.
    await command(slack, typing, f"breakglass {hostile}")
    await command(slack, typing, f"breakglass {first_word(hostile)}")
    await command(slack, typing, f"breakglass billing-prod 1h {hostile}")
    if hostile != justification:
        await command(slack, typing, f"breakglass billing-prod 1h {justification}")
    requested = await card_of(slack, "UENGINEER", "Waiting for approval")

    # By the modal, with a ticket.
    opened = len(slack.calls_to("views.open"))
    await command(slack, typing, "breakglass", user="UOTHER")
    modal = await eventually(lambda: newest_view(slack, CallbackId.BREAKGLASS, opened))
    values = {
        BlockId.ACCESS_ACCOUNT: {
            ActionId.ACCESS_ACCOUNT: {
                "type": "external_select",
                "selected_option": {
                    "text": {"type": "plain_text", "text": "billing-prod"},
                    "value": org.account_id("billing-prod"),
                },
            }
        },
        BlockId.ACCESS_DURATION: {ActionId.ACCESS_DURATION: text_value("1h")},
        BlockId.ACCESS_JUSTIFICATION: {ActionId.ACCESS_JUSTIFICATION: text_value(justification)},
        BlockId.ACCESS_TICKET: {ActionId.ACCESS_TICKET: text_value(fit(hostile, 200))},
    }
    assert await typing.submit_view(modal, values, user="UOTHER") == (200, "")
    asked = await card_of(slack, "UOTHER", "Waiting for approval")
    await open_home(typing, slack, "UOPS")

    # Denied with a hostile reason, which the requester reads.
    await deny(typing, slack, requested, justification, user="UOPS")
    await card_of(slack, "UENGINEER", "Denied by")

    # Approved, then an extension asked for and denied, both with hostile reasons.
    await click(typing, asked, ActionId.APPROVE_ACCESS, "UOPS")
    active = await card_of(slack, "UOTHER", "Active until")
    opened = len(slack.calls_to("views.open"))
    await click(typing, active, ActionId.EXTEND_ACCESS, "UOTHER")
    modal = await eventually(lambda: newest_view(slack, CallbackId.EXTEND, opened))
    values = {
        BlockId.EXTEND_DURATION: {ActionId.EXTEND_DURATION: text_value("30m")},
        BlockId.EXTEND_REASON: {ActionId.EXTEND_REASON: text_value(justification)},
    }
    assert await typing.submit_view(modal, values, user="UOTHER") == (200, "")
    extension = await card_of(slack, "UOTHER", "Extension requested")
    await deny(typing, slack, extension, justification, user="UOPS2")
    await eventually(
        lambda: "Extension requested" not in block_text(slack.message(AUDIT, active.ts))
    )

    # A direct grant, and the commands about grants.
    await command(slack, typing, f"grant <@UOPS2> billing-prod 1h {hostile}", user="UOPS")
    if hostile != justification:
        await command(slack, typing, f"grant <@UOPS2> billing-prod 1h {justification}", user="UOPS")
    await card_of(slack, "UOPS2", "Active until")
    await command(slack, typing, f"revoke {hostile}")
    await command(slack, typing, f"audit {hostile}", user="UOPS")
    await command(slack, typing, "audit billing-prod 7", user="UOPS")
    await eventually(lambda: slack.files(slack.dm_channel("UOPS")), what="the audit CSV")
    for user in ("UENGINEER", "UOTHER", "UOPS", "UOPS2"):
        await open_home(typing, slack, user)

    await quiet(slack, aws)
    assert_all_shown_safely(slack, typing, response_url)
    assert escaped_somewhere(slack, typing) >= 10

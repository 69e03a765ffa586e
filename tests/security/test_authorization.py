"""Who may do what: every action on a grant or an operation, by every kind of person.

One table states the rules of the README: only ops approve or deny, nobody approves their own
request (no one is listed in BREAKGLASS_SELF_APPROVE_USERS here), ops may deny their own; a
direct grant is for ops only and never to oneself; the holder or ops revoke and extend; the
requester or ops retry and cancel; only ops mark resolved and read the audit trail.

Each case gets its own request, grant or operation (and its own account) on one bot process,
and drives the action as Slack sends it: a click on the card, a modal, a slash command. An
allowed action must do what it says; a refused one must tell the person why, privately, and
change nothing anyone can see: not the card, its thread, the audit channel, anybody's direct
messages, the account's assignments in Identity Center, or the AWS calls made.
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.emulator.aws_faults import aws_error, create_account_status
from bot.emulator.slack import FakeSlack, SlackMessage
from bot.ui.ids import ActionId, BlockId, CallbackId
from tests.security.conftest import security_center
from tests.support.access_fixtures import AccessDeployment
from tests.support.access_flows import (
    AUDIT,
    audit_lines,
    break_glass_bot,
    button,
    grant_cards,
    permission_set_arn,
    user_id,
)
from tests.support.aws_clients import fault_proxy
from tests.support.flows import FINAL_LINES, block_text, form_values, option_label
from tests.support.identity_center import IdentityCenter
from tests.support.organization import make_organization
from tests.support.slack_requests import SlackRequests, text_value
from tests.support.waiting import eventually, settled

pytestmark = pytest.mark.asyncio(loop_scope="module")

ENGINEER, OTHER, OPS, OPS_TWO = "UENGINEER", "UOTHER", "UOPS", "UOPS2"
PLATFORM = "CPLATFORM"
ACCOUNTS = 30  # one fresh account for each case about a grant
SO_FAR = re.compile(r"· [^·\n]* so far")
SETTLE = 0.6  # seconds to let a wrongly allowed action show: many outbox and sweep intervals

# Whose request, grant or operation it is, and who acts on it. For a direct grant, the owner
# is who would get the access; for the audit trail, who has a request on the account read.
ROLES = {
    "requester": (ENGINEER, ENGINEER),
    "other engineer": (ENGINEER, OTHER),
    "ops": (ENGINEER, OPS),
    "ops on their own": (OPS, OPS),
}

ALLOWED = None
ONLY_OPS_DECIDE = "Only ops can {verb} break-glass requests."
HOLDER_OR_OPS = "Only the person who has the access, or ops, can {verb} it."
REQUESTER_OR_OPS = "Only <@UENGINEER>, who asked for op-"

# action -> role -> None when allowed, else what the person is told.
MATRIX: dict[str, dict[str, str | None]] = {
    "approve": {
        "requester": ONLY_OPS_DECIDE.format(verb="approve"),
        "other engineer": ONLY_OPS_DECIDE.format(verb="approve"),
        "ops": ALLOWED,
        "ops on their own": "You cannot approve your own request: another ops member has to.",
    },
    "deny": {
        "requester": ONLY_OPS_DECIDE.format(verb="deny"),
        "other engineer": ONLY_OPS_DECIDE.format(verb="deny"),
        "ops": ALLOWED,
        "ops on their own": ALLOWED,
    },
    "grant": {
        "requester": "Only ops can grant access directly.",
        "other engineer": "Only ops can grant access directly.",
        "ops": ALLOWED,
        "ops on their own": "You cannot grant access to yourself",
    },
    "revoke button": {
        "requester": ALLOWED,
        "other engineer": HOLDER_OR_OPS.format(verb="revoke"),
        "ops": ALLOWED,
        "ops on their own": ALLOWED,
    },
    "revoke command": {
        "requester": ALLOWED,
        "other engineer": HOLDER_OR_OPS.format(verb="revoke"),
        "ops": ALLOWED,
        "ops on their own": ALLOWED,
    },
    "extend": {
        "requester": ALLOWED,
        "other engineer": HOLDER_OR_OPS.format(verb="extend"),
        "ops": ALLOWED,
        "ops on their own": ALLOWED,
    },
    "retry": {
        "requester": ALLOWED,
        "other engineer": REQUESTER_OR_OPS,
        "ops": ALLOWED,
        "ops on their own": ALLOWED,
    },
    "cancel": {
        "requester": ALLOWED,
        "other engineer": REQUESTER_OR_OPS,
        "ops": ALLOWED,
        "ops on their own": ALLOWED,
    },
    "resolve": {
        "requester": "Only ops can mark op-",
        "other engineer": "Only ops can mark op-",
        "ops": ALLOWED,
        "ops on their own": ALLOWED,
    },
    "audit": {
        "requester": "Only ops can read the audit trail of break-glass access.",
        "other engineer": "Only ops can read the audit trail of break-glass access.",
        "ops": ALLOWED,
        "ops on their own": ALLOWED,
    },
}

CASES = [
    pytest.param(action, role, told, id=f"{action}, {role}, {'refused' if told else 'allowed'}")
    for action, row in MATRIX.items()
    for role, told in row.items()
]


# The bot, and what a case needs of it


@dataclass
class Stage(AccessDeployment):
    """One bot for the module: each case takes a fresh account and makes its own objects."""

    accounts: list[tuple[str, str]]  # (name, id), unused ones
    serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def account(self) -> tuple[str, str]:
        return self.accounts.pop(0)

    def new_name(self) -> str:
        return f"authz-made-{next(self.serial):02d}"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stage(moto_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stage]:
    org = make_organization(moto_url)
    for number in range(1, ACCOUNTS + 1):
        name = f"authz-{number:02d}"
        org.client.create_account(AccountName=name, Email=f"aws+{name}@example.com")
    names = [f"authz-{number:02d}" for number in range(1, ACCOUNTS + 1)]
    ids = {a["Name"]: a["Id"] for a in org.accounts()}
    center = security_center(org, moto_url)
    data: Path = tmp_path_factory.mktemp("authorization")
    slack = FakeSlack()
    slack.add_channel(PLATFORM, name="platform")
    slack.add_user(ENGINEER, name="erin", email="erin@example.com")
    slack.add_user(OTHER, name="omar", email="omar@example.com")
    slack.add_user(OPS, name="olga", email="olga@example.com")
    with fault_proxy(moto_url) as aws:
        async with slack, break_glass_bot(aws, slack, data) as bot:
            requests = SlackRequests(f"{bot.url}/slack/events")
            yield Stage(bot, slack, aws, org, center, requests, [(n, ids[n]) for n in names])


@dataclass
class Target:
    """What a case acts on, where the person acts, and the card that shows it."""

    owner: str
    channel: str  # where the person acts, and so where they are told privately
    card: SlackMessage | None = None
    account: tuple[str, str] | None = None  # (name, id) of the account a grant is for
    grant_id: str = ""
    operation: str = ""  # the name of the account an operation creates
    running: bool = False  # its card is updated as AWS is polled, with the time so far


def holders_on(center: IdentityCenter, account_id: str) -> list[str]:
    pages = center.admin.get_paginator("list_account_assignments").paginate(
        InstanceArn=center.arn, AccountId=account_id, PermissionSetArn=permission_set_arn(center)
    )
    return sorted(raw["PrincipalId"] for page in pages for raw in page["AccountAssignments"])


def identity(stage: Stage, user: str) -> str:
    return user_id(stage.center, {ENGINEER: "erin", OTHER: "omar", OPS: "olga"}[user])


def told(slack: FakeSlack, user: str, channel: str) -> list[str]:
    return [m.text for m in slack.messages(channel) if m.ephemeral_to == user]


def direct_messages(slack: FakeSlack) -> int:
    return sum(
        1
        for user in (ENGINEER, OTHER, OPS, OPS_TWO)
        for m in slack.messages(slack.dm_channel(user))
    )


def current(slack: FakeSlack, card: SlackMessage) -> SlackMessage:
    return slack.message(card.channel, card.ts)


async def quiet(stage: Stage, target: Target, *, calm: float = 0.5) -> None:
    """Wait until Slack has not been called for `calm` seconds: earlier cases are told.

    A running operation's card is updated as AWS is polled; those updates do not count.
    """
    slack = stage.slack
    polled = target.card.ts if target.running and target.card is not None else None

    def calls() -> int:
        polls = [c for c in slack.calls_to("chat.update") if c.params.get("ts") == polled]
        return len(slack.calls) - len(polls)

    await settled(calls, calm=calm, what="the bot kept talking to Slack")


def newest_view(slack: FakeSlack, callback_id: str, opened_before: int) -> dict[str, Any]:
    """The modal opened by a views.open call after the first `opened_before` ones."""
    calls = slack.calls_to("views.open")[opened_before:]
    opened = [c for c in calls if c.ok and c.params["view"].get("callback_id") == callback_id]
    assert opened, f"no {callback_id} modal was opened"
    metadata = opened[-1].params["view"].get("private_metadata", "")
    views = [
        v
        for v in slack.views().values()
        if v["callback_id"] == callback_id and v["private_metadata"] == metadata
    ]
    return views[-1]


# Grants


def grant_card_for(slack: FakeSlack, account_name: str, reading: str) -> SlackMessage | None:
    for card in grant_cards(slack):
        shown = current(slack, card)
        if f" {account_name} (`" in block_text(shown) and reading in block_text(shown):
            return shown
    return None


async def pending_grant(stage: Stage, owner: str) -> Target:
    name, account_id = stage.account()
    status, _ = await stage.requests.command(
        f"breakglass {name} 1h checking the ledger by hand", user=owner
    )
    assert status == 200
    card = await eventually(
        lambda: grant_card_for(stage.slack, name, "Waiting for approval"),
        what=f"the request card for {name}",
    )
    grant_id = button(card, ActionId.REVOKE_ACCESS).partition("|")[0]
    await eventually(lambda: any(grant_id in line for line in audit_lines(stage.slack)))
    return Target(owner, AUDIT, card, (name, account_id), grant_id)


async def active_grant(stage: Stage, owner: str) -> Target:
    target = await pending_grant(stage, owner)
    assert target.card is not None and target.account is not None
    status, _ = await stage.requests.click(
        ActionId.APPROVE_ACCESS,
        button(target.card, ActionId.APPROVE_ACCESS),
        channel=AUDIT,
        message_ts=target.card.ts,
        user=OPS_TWO,
    )
    assert status == 200
    target.card = await active_card(stage, target.account[0])
    await access_given(stage, target)
    return target


async def active_card(stage: Stage, name: str) -> SlackMessage:
    """The grant card for the account `name` once the access is given."""
    return await eventually(
        lambda: grant_card_for(stage.slack, name, "Active until"), what=f"{name} active"
    )


async def click_card(stage: Stage, target: Target, action: ActionId, actor: str) -> None:
    assert target.card is not None
    status, _ = await stage.requests.click(
        action,
        button(target.card, action),
        channel=target.card.channel,
        message_ts=target.card.ts,
        user=actor,
    )
    assert status == 200


async def card_reads(stage: Stage, target: Target, text: str) -> SlackMessage:
    assert target.card is not None
    card = target.card

    def reading() -> SlackMessage | None:
        shown = current(stage.slack, card)
        return shown if text in block_text(shown) else None

    return await eventually(reading, what=f"the card to read {text!r}")


async def audit_line(stage: Stage, target: Target, text: str) -> str:
    lines = await eventually(
        lambda: [
            line for line in audit_lines(stage.slack) if target.grant_id in line and text in line
        ],
        what=f"an audit line with {text!r}",
    )
    return lines[0]


async def direct_message(stage: Stage, user: str, *words: str) -> None:
    """Wait for a direct message to `user` with all of `words`: the last a grant's change sends."""
    dm = stage.slack.dm_channel(user)
    await eventually(
        lambda: any(all(w in block_text(m) for w in words) for m in stage.slack.messages(dm)),
        what=f"a direct message to {user} with {words}",
    )


async def reply_to(stage: Stage, actor: str, channel: str, count: int) -> str:
    """The `count`-th private reply to `actor` in `channel` (counting from 1)."""
    replies = await eventually(
        lambda: (
            told(stage.slack, actor, channel)
            if len(told(stage.slack, actor, channel)) >= count
            else None
        ),
        what=f"a private reply to {actor}",
    )
    return replies[count - 1]


async def access_given(stage: Stage, target: Target) -> None:
    """The owner holds the access, the audit channel says so, and so does a DM to the owner."""
    assert target.account is not None
    assert holders_on(stage.center, target.account[1]) == [identity(stage, target.owner)]
    await audit_line(stage, target, "gave access")
    await direct_message(stage, target.owner, "You have break-glass access", target.grant_id)


class Action:
    """How a case makes its object, acts, and checks that an allowed action did its work."""

    async def prepare(self, stage: Stage, owner: str) -> Target:
        raise NotImplementedError

    async def act(self, stage: Stage, target: Target, actor: str) -> None:
        raise NotImplementedError

    async def done(self, stage: Stage, target: Target, actor: str, replies: int) -> None:
        raise NotImplementedError

    async def clean_up(self, stage: Stage, target: Target) -> None:
        """Leave nothing running for the next case."""


class ModalAction(Action):
    """An action whose button opens a modal, which the person who clicked then submits."""

    modal: CallbackId
    named: str  # the modal as the button names it

    async def act(self, stage: Stage, target: Target, actor: str) -> None:
        self.opened = len(stage.slack.calls_to("views.open"))
        await self.click(stage, target, actor)

    async def click(self, stage: Stage, target: Target, actor: str) -> None:
        raise NotImplementedError

    async def submit(self, stage: Stage, actor: str, values: dict[str, Any]) -> None:
        view = await eventually(
            lambda: newest_view(stage.slack, self.modal, self.opened),
            what=f"the {self.named} modal",
        )
        assert await stage.requests.submit_view(view, values, user=actor) == (200, "")


class Approve(Action):
    async def prepare(self, stage: Stage, owner: str) -> Target:
        return await pending_grant(stage, owner)

    async def act(self, stage: Stage, target: Target, actor: str) -> None:
        await click_card(stage, target, ActionId.APPROVE_ACCESS, actor)

    async def done(self, stage: Stage, target: Target, actor: str, replies: int) -> None:
        assert (await reply_to(stage, actor, target.channel, replies)).startswith("Approved")
        await card_reads(stage, target, f"approved by <@{actor}>")
        await card_reads(stage, target, "Active until")
        await access_given(stage, target)


class Deny(ModalAction):
    modal, named = CallbackId.DENY, "Deny"

    async def prepare(self, stage: Stage, owner: str) -> Target:
        return await pending_grant(stage, owner)

    async def click(self, stage: Stage, target: Target, actor: str) -> None:
        await click_card(stage, target, ActionId.DENY_ACCESS, actor)

    async def done(self, stage: Stage, target: Target, actor: str, replies: int) -> None:
        reason = "Use the read-only role for the ledger"
        values = {BlockId.DENY_REASON: {ActionId.DENY_REASON: text_value(reason)}}
        await self.submit(stage, actor, values)
        assert (await reply_to(stage, actor, target.channel, replies)).startswith("Denied")
        await card_reads(stage, target, f"Denied by <@{actor}>: “{reason}”")
        await eventually(
            lambda: [
                m
                for m in stage.slack.messages(stage.slack.dm_channel(target.owner))
                if reason in block_text(m)
            ],
            what="the requester told why",
        )
        await audit_line(stage, target, "denied")
        assert target.account is not None
        assert holders_on(stage.center, target.account[1]) == []


class Grant(Action):
    async def prepare(self, stage: Stage, owner: str) -> Target:
        return Target(owner, PLATFORM, account=stage.account())

    async def act(self, stage: Stage, target: Target, actor: str) -> None:
        assert target.account is not None
        status, _ = await stage.requests.command(
            f"grant <@{target.owner}> {target.account[0]} 1h restoring last night's backup",
            user=actor,
        )
        assert status == 200

    async def done(self, stage: Stage, target: Target, actor: str, replies: int) -> None:
        assert (await reply_to(stage, actor, target.channel, replies)).startswith("Granting")
        assert target.account is not None
        card = await active_card(stage, target.account[0])
        assert f"granted directly by <@{actor}>" in block_text(card)
        target.grant_id = button(card, ActionId.REVOKE_ACCESS)
        await access_given(stage, target)


class RevokeButton(Action):
    async def prepare(self, stage: Stage, owner: str) -> Target:
        return await active_grant(stage, owner)

    async def act(self, stage: Stage, target: Target, actor: str) -> None:
        await click_card(stage, target, ActionId.REVOKE_ACCESS, actor)

    async def done(self, stage: Stage, target: Target, actor: str, replies: int) -> None:
        assert (await reply_to(stage, actor, target.channel, replies)).startswith("Revoking")
        await card_reads(stage, target, f"revoked early by <@{actor}>, access removed")
        assert target.account is not None
        assert holders_on(stage.center, target.account[1]) == []
        await audit_line(stage, target, "revoked")
        await direct_message(stage, target.owner, "revoked your access", target.grant_id)


class RevokeCommand(RevokeButton):
    async def prepare(self, stage: Stage, owner: str) -> Target:
        target = await active_grant(stage, owner)
        target.channel = PLATFORM
        return target

    async def act(self, stage: Stage, target: Target, actor: str) -> None:
        status, _ = await stage.requests.command(f"revoke {target.grant_id}", user=actor)
        assert status == 200


class Extend(ModalAction):
    modal, named = CallbackId.EXTEND, "Extend"

    async def prepare(self, stage: Stage, owner: str) -> Target:
        return await active_grant(stage, owner)

    async def click(self, stage: Stage, target: Target, actor: str) -> None:
        await click_card(stage, target, ActionId.EXTEND_ACCESS, actor)

    async def done(self, stage: Stage, target: Target, actor: str, replies: int) -> None:
        values = {
            BlockId.EXTEND_DURATION: {ActionId.EXTEND_DURATION: text_value("30m")},
            BlockId.EXTEND_REASON: {ActionId.EXTEND_REASON: text_value("the restore is slow")},
        }
        await self.submit(stage, actor, values)
        assert (await reply_to(stage, actor, target.channel, replies)).startswith("Asked for 30m")
        card = await card_reads(stage, target, f"Extension requested by <@{actor}>: +30m")
        await audit_line(stage, target, "the restore is slow")
        await eventually(
            lambda: any(
                "asked to extend" in block_text(m) for m in stage.slack.thread(AUDIT, card.ts)
            ),
            what="the extension in the card's thread",
        )


# Operations


def operation_card(slack: FakeSlack, name: str, state: str) -> SlackMessage | None:
    """The card of the operation creating `name`, once it reads `state` and its thread is
    complete for that state."""
    for message in slack.messages(PLATFORM):
        if message.thread_ts is not None or message.ephemeral_to is not None:
            continue
        shown = block_text(message)
        if name not in shown or state not in shown:
            continue
        final = FINAL_LINES.get(state)
        thread = [block_text(m) for m in slack.thread(PLATFORM, message.ts)]
        if final and not any(final in line for line in thread):
            return None
        return message
    return None


async def operation(stage: Stage, owner: str, *, state: str) -> Target:
    """An operation of `owner`'s, as far as `state`: "Failed" or "step 2 of 3" (running)."""
    name = stage.new_name()
    updated = len(stage.slack.calls_to("views.update"))
    status, _ = await stage.requests.command(f"new {name}", user=owner)
    assert status == 200
    await eventually(
        lambda: len(stage.slack.calls_to("views.update")) > updated, what="the new-account form"
    )
    view = stage.slack.views()[stage.slack.calls_to("views.update")[-1].params["view_id"]]
    sandbox = stage.org.ous["Sandbox"]
    values = form_values(name=name, ou_id=sandbox, ou_label=option_label(view, sandbox))
    assert await stage.requests.submit_view(view, values, user=owner) == (200, "")
    card = await eventually(
        lambda: operation_card(stage.slack, name, state), what=f"{name} to read {state!r}"
    )
    return Target(owner, PLATFORM, card, operation=name, running=state.startswith("step"))


async def click_operation(stage: Stage, target: Target, label: str, actor: str) -> None:
    assert target.card is not None
    actions = next(b for b in target.card.blocks if b.get("block_id") == BlockId.CARD_ACTIONS)
    pressed = next(e for e in actions["elements"] if e["text"]["text"] == label)
    status, _ = await stage.requests.click(
        pressed["action_id"], pressed["value"], message_ts=target.card.ts, user=actor
    )
    assert status == 200


async def operation_reads(stage: Stage, target: Target, state: str) -> SlackMessage:
    return await eventually(
        lambda: operation_card(stage.slack, target.operation, state),
        what=f"{target.operation} to read {state!r}",
    )


def thread_of(stage: Stage, target: Target) -> list[str]:
    assert target.card is not None
    return [block_text(m) for m in stage.slack.thread(PLATFORM, target.card.ts)]


class Retry(Action):
    async def prepare(self, stage: Stage, owner: str) -> Target:
        stage.aws.add(aws_error("CreateAccount", "AccessDeniedException", "Not allowed here"))
        return await operation(stage, owner, state="Failed")

    async def act(self, stage: Stage, target: Target, actor: str) -> None:
        await click_operation(stage, target, "Retry", actor)

    async def done(self, stage: Stage, target: Target, actor: str, replies: int) -> None:
        assert (await reply_to(stage, actor, target.channel, replies)).startswith("Retrying")
        await operation_reads(stage, target, "Succeeded")
        assert any(f"<@{actor}> retried" in line for line in thread_of(stage, target))
        assert stage.org.account_named(target.operation) is not None


class Cancel(Action):
    async def prepare(self, stage: Stage, owner: str) -> Target:
        stage.aws.add(create_account_status("IN_PROGRESS", times=None))
        return await operation(stage, owner, state="step 2 of 3")

    async def act(self, stage: Stage, target: Target, actor: str) -> None:
        await click_operation(stage, target, "Cancel", actor)

    async def done(self, stage: Stage, target: Target, actor: str, replies: int) -> None:
        assert (await reply_to(stage, actor, target.channel, replies)).startswith("Cancelling")
        card = await operation_reads(stage, target, "Cancelled")
        assert f"by <@{actor}>" in block_text(card)

    async def clean_up(self, stage: Stage, target: Target) -> None:
        """The operation stays running once a Cancel is refused: cancel it for good."""
        if operation_card(stage.slack, target.operation, "Cancelled") is None:
            await click_operation(stage, target, "Cancel", OPS_TWO)
            await operation_reads(stage, target, "Cancelled")
        stage.aws.clear()


class Resolve(ModalAction):
    modal, named = CallbackId.RESOLVE, "Mark resolved"

    async def prepare(self, stage: Stage, owner: str) -> Target:
        stage.aws.add(aws_error("CreateAccount", "AccessDeniedException", "Not allowed here"))
        return await operation(stage, owner, state="Failed")

    async def click(self, stage: Stage, target: Target, actor: str) -> None:
        await click_operation(stage, target, "Mark resolved", actor)

    async def done(self, stage: Stage, target: Target, actor: str, replies: int) -> None:
        note = "Created the account by hand with the admin role"
        values = {BlockId.RESOLVE_NOTE: {ActionId.RESOLVE_NOTE: text_value(note)}}
        await self.submit(stage, actor, values)
        assert (await reply_to(stage, actor, target.channel, replies)).startswith("Marked")
        await operation_reads(stage, target, "resolved by hand")
        line = next(t for t in thread_of(stage, target) if "marked this resolved" in t)
        assert f"<@{actor}> marked this resolved by hand" in line and note in line


class Audit(Action):
    async def prepare(self, stage: Stage, owner: str) -> Target:
        target = await pending_grant(stage, owner)
        target.channel = PLATFORM
        return target

    async def act(self, stage: Stage, target: Target, actor: str) -> None:
        assert target.account is not None
        self.files = len(stage.slack.files(stage.slack.dm_channel(actor)))
        status, _ = await stage.requests.command(f"audit {target.account[0]} 7", user=actor)
        assert status == 200

    async def done(self, stage: Stage, target: Target, actor: str, replies: int) -> None:
        listing = await reply_to(stage, actor, target.channel, replies)
        assert listing.startswith("Audit trail: 1 event in")
        dm = stage.slack.dm_channel(actor)
        files = await eventually(
            lambda: stage.slack.files(dm)[self.files :], what="the CSV in a direct message"
        )
        csv = files[0].content.decode()
        assert target.grant_id in csv and "requested" in csv


ACTIONS: dict[str, Action] = {
    "approve": Approve(),
    "deny": Deny(),
    "grant": Grant(),
    "revoke button": RevokeButton(),
    "revoke command": RevokeCommand(),
    "extend": Extend(),
    "retry": Retry(),
    "cancel": Cancel(),
    "resolve": Resolve(),
    "audit": Audit(),
}


# What must not change when an action is refused


@dataclass(frozen=True)
class Seen:
    card: tuple[str, int, int] | None  # its text, how often updated, its thread's length
    holders: tuple[str, ...]
    aws: dict[str, int]
    audit_lines: int
    grant_cards: int
    messages: int  # chat.postMessage and chat.update calls: cards, threads, DMs, audit lines
    direct_messages: int
    modals: int
    files: int
    replies: int  # private replies to the person who acted, where they acted

    @classmethod
    def take(cls, stage: Stage, target: Target, actor: str) -> Seen:
        slack = stage.slack
        card = None
        updates = slack.calls_to("chat.update")
        if target.card is not None:
            shown = current(slack, target.card)
            text, updated = block_text(shown), shown.updates
            if target.running:
                # The time so far moves on as AWS is polled; the state and step must not.
                text, updated = SO_FAR.sub("…", text), 0
                updates = [c for c in updates if c.params.get("ts") != shown.ts]
            card = (text, updated, len(slack.thread(shown.channel, shown.ts)))
        return cls(
            card=card,
            holders=tuple(holders_on(stage.center, target.account[1])) if target.account else (),
            aws={
                op: len(stage.aws.calls_to(op))
                for op in (
                    "CreateAccountAssignment",
                    "DeleteAccountAssignment",
                    "CreateAccount",
                    "MoveAccount",
                )
            },
            audit_lines=len(audit_lines(slack)),
            grant_cards=len(grant_cards(slack)),
            messages=len(slack.calls_to("chat.postMessage")) + len(updates),
            direct_messages=direct_messages(slack),
            modals=len(slack.calls_to("views.open")),
            files=len(slack.all_files()),
            replies=len(told(slack, actor, target.channel)),
        )


async def assert_refused(stage: Stage, target: Target, actor: str, why: str, before: Seen) -> None:
    reply = await reply_to(stage, actor, target.channel, before.replies + 1)
    assert why in reply
    await asyncio.sleep(SETTLE)
    after = Seen.take(stage, target, actor)
    assert after.replies == before.replies + 1, told(stage.slack, actor, target.channel)
    assert after == replace(before, replies=after.replies)


@pytest.mark.parametrize(("action", "role", "refusal"), CASES)
async def test_who_may_do_what(stage: Stage, action: str, role: str, refusal: str | None) -> None:
    owner, actor = ROLES[role]
    driver = ACTIONS[action]
    target = await driver.prepare(stage, owner)
    try:
        await quiet(stage, target)
        before = Seen.take(stage, target, actor)
        await driver.act(stage, target, actor)
        if refusal is None:
            await driver.done(stage, target, actor, before.replies + 1)
        else:
            await assert_refused(stage, target, actor, refusal, before)
    finally:
        await driver.clean_up(stage, target)

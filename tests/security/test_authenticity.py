"""Only Slack's own, fresh requests act: everything else at `/slack/events` gets 401 and nothing.

Four requests are prepared as Slack would send them, each of which does something a person
sees: a slash command that files a break-glass request, a click on Approve, the submission of
the new-account form, and a mention of the bot. Each is then sent unauthentic (forged, stale,
unsigned, replayed) to the running bot, which must answer 401 and do nothing at all: no call
to Slack (no modal, card, message, ephemeral or direct message), no call to AWS, no grant, no
operation, and nothing sent to the response_url the request names. The same requests,
correctly signed, then do what they say, so the silence was the bot refusing them, not
requests that could not have acted anyway. Bodies Slack never sends are refused too, as bad
requests rather than server errors.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from bot.emulator.aws_faults import ThreadedAwsFaultProxy
from bot.emulator.slack import FakeSlack, SlackMessage
from bot.ui.ids import ActionId
from tests.security.conftest import AimedRequests, ResponseUrl
from tests.support.access_fixtures import AccessDeployment
from tests.support.access_flows import (
    AUDIT,
    audit_lines,
    button,
    card_reading,
    ephemerals,
    grant_cards,
    holders,
)
from tests.support.bot_process import BotProcess
from tests.support.flows import (
    block_text,
    cards,
    form_values,
    open_new_account_form,
    option_label,
)
from tests.support.identity_center import IdentityCenter
from tests.support.organization import Organization
from tests.support.slack_requests import SIGNING_SECRET, SlackRequests, sign
from tests.support.waiting import eventually, quiet

WINDOW = 300  # seconds: Slack's requests older (or newer) than this are refused
NEW_ACCOUNT = "authentic-check"


class Recorder(AimedRequests):
    """Builds the bodies SlackRequests would send, without sending them, with their
    response_url aimed at `response_url`."""

    def __init__(self, response_url: str) -> None:
        super().__init__("http://127.0.0.1:9/unused", response_url)
        self.built: list[tuple[str, str]] = []

    async def deliver(self, body: str, content_type: str, **signing: Any) -> tuple[int, str]:
        self.built.append((body, content_type))
        return 0, ""


@dataclass(frozen=True)
class Request:
    kind: str
    body: str
    content_type: str


@dataclass
class Stage:
    """What stands before the requests arrive: a pending request, an open form, a message."""

    card: SlackMessage  # UENGINEER's break-glass request, waiting for approval
    requests: list[Request]


async def send(
    bot: BotProcess, request: Request, headers: dict[str, str]
) -> tuple[int, dict[str, str]]:
    """POST `request` with exactly these Slack headers; returns the status and what was sent."""
    sent = {"Content-Type": request.content_type, **headers}
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{bot.url}/slack/events", data=request.body.encode(), headers=sent
        ) as response,
    ):
        await response.read()
        return response.status, sent


def signed(body: str, timestamp: int, secret: str = SIGNING_SECRET) -> dict[str, str]:
    return {
        "X-Slack-Request-Timestamp": str(timestamp),
        "X-Slack-Signature": sign(body, timestamp, secret),
    }


def signature_for(body: str, timestamp: str) -> str:
    """Slack's signature for any timestamp text, a number or not."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()


async def stage(
    slack: FakeSlack, requests: SlackRequests, org: Organization, response_url: ResponseUrl
) -> Stage:
    """Set the scene with genuine requests, and build the four requests the tests send."""
    status, _ = await requests.command(
        "breakglass billing-prod 1h investigating INC-42 in billing", user="UENGINEER"
    )
    assert status == 200
    card = await card_reading(slack, "Waiting for approval")
    await eventually(lambda: any("requested" in t for t in audit_lines(slack)))
    await eventually(lambda: ephemerals(slack, "UENGINEER", "CPLATFORM"))
    view = await open_new_account_form(slack, requests)
    spoken = slack.add_message("CPLATFORM", user="UENGINEER", text="<@UOUTPOST> help me")

    built = Recorder(response_url.url)
    await built.command("breakglass billing-prod 1h checking the invoices by hand", user="UOTHER")
    await built.click(
        ActionId.APPROVE_ACCESS,
        button(card, ActionId.APPROVE_ACCESS),
        channel=AUDIT,
        message_ts=card.ts,
        user="UOPS",
    )
    sandbox = org.ous["Sandbox"]
    values = form_values(name=NEW_ACCOUNT, ou_id=sandbox, ou_label=option_label(view, sandbox))
    await built.submit_view(view, values, user="UENGINEER")
    await built.event(
        {
            "type": "app_mention",
            "user": "UENGINEER",
            "text": spoken.text,
            "ts": spoken.ts,
            "channel": "CPLATFORM",
        }
    )
    kinds = ("command", "click", "view submission", "event")
    return Stage(card, [Request(k, *b) for k, b in zip(kinds, built.built, strict=True)])


def operation_cards(slack: FakeSlack) -> list[SlackMessage]:
    return [m for m in cards(slack) if m.user == slack.bot_user_id]


@dataclass
class World(AccessDeployment):
    """The running bot, everything it may touch, and where Slack's response URLs lead."""

    response_url: ResponseUrl


@pytest.fixture
def world(
    access_bot: BotProcess,
    slack: FakeSlack,
    aws: ThreadedAwsFaultProxy,
    org: Organization,
    center: IdentityCenter,
    access_requests: SlackRequests,
    response_url: ResponseUrl,
) -> World:
    return World(access_bot, slack, aws, org, center, access_requests, response_url)


@dataclass(frozen=True)
class Before:
    slack_calls: int
    aws_calls: int
    responses: int
    card: str
    grant_cards: int
    operation_cards: int
    accounts: int


def before(world: World, card: SlackMessage) -> Before:
    slack = world.slack
    return Before(
        slack_calls=len(slack.calls),
        aws_calls=len(world.aws.calls),
        responses=len(world.response_url.posts),
        card=block_text(slack.message(AUDIT, card.ts)),
        grant_cards=len(grant_cards(slack)),
        operation_cards=len(operation_cards(slack)),
        accounts=len(world.org.accounts()),
    )


async def assert_nothing_happened(world: World, then: Before, card: SlackMessage) -> None:
    """Nothing at all: no call to Slack or AWS, no answer to a response_url, nothing new."""
    slack = world.slack
    await asyncio.sleep(1.0)  # many outbox, engine and sweep intervals of the test settings
    made = slack.calls[then.slack_calls :]
    assert made == [], f"the bot called Slack: {[c.method for c in made]}"
    asked = world.aws.calls[then.aws_calls :]
    assert asked == [], f"the bot called AWS: {[c.operation for c in asked]}"
    assert world.response_url.posts[then.responses :] == [], "the bot answered a response_url"
    assert block_text(slack.message(AUDIT, card.ts)) == then.card
    assert len(grant_cards(slack)) == then.grant_cards
    assert len(operation_cards(slack)) == then.operation_cards
    assert len(world.org.accounts()) == then.accounts


async def assert_genuine_requests_act(world: World) -> None:
    """What the four requests do when Slack really sends them: each exactly once."""
    slack, aws = world.slack, world.aws
    await eventually(lambda: len(grant_cards(slack)) == 2, what="UOTHER's request card")
    told = await eventually(lambda: ephemerals(slack, "UOTHER", "CPLATFORM"))
    assert "waiting for ops to approve it" in told[0]
    await card_reading(slack, "Active until")
    assert len(holders(world.center)) == 1
    approved = await eventually(lambda: ephemerals(slack, "UOPS"))
    assert len(approved) == 1 and approved[0].startswith("Approved")
    await eventually(lambda: operation_cards(slack), what="the operation card")
    await eventually(lambda: world.org.account_named(NEW_ACCOUNT), what="the new account")
    assert len(aws.calls_to("CreateAccount")) == 1
    spoken = next(m for m in slack.messages("CPLATFORM") if m.user == "UENGINEER")
    # The mention outside an operation's thread: one private answer, nothing in a thread.
    answers = await eventually(
        lambda: [
            t for t in ephemerals(slack, "UENGINEER", "CPLATFORM") if "operation's thread" in t
        ]
    )
    assert len(answers) == 1 and "/account help" in answers[0]
    assert slack.thread("CPLATFORM", spoken.ts) == []
    assert world.response_url.posts == []


Forgery = Callable[[str, int], dict[str, str]]

FORGERIES: dict[str, Forgery] = {
    "signed with another secret": lambda body, now: signed(body, now, "not-the-signing-secret"),
    "body changed after signing": lambda body, now: {
        "X-Slack-Request-Timestamp": str(now),
        "X-Slack-Signature": sign(body.replace("UENGINEER", "UOTHER", 1) + "&x=1", now),
    },
    "stale timestamp, signed for it": lambda body, now: signed(body, now - WINDOW - 60),
    "future timestamp, signed for it": lambda body, now: signed(body, now + WINDOW + 60),
    "no X-Slack-Signature": lambda body, now: {"X-Slack-Request-Timestamp": str(now)},
    "no X-Slack-Request-Timestamp": lambda body, now: {
        "X-Slack-Signature": signed(body, now)["X-Slack-Signature"]
    },
    "no Slack headers at all": lambda body, now: {},
    "timestamp not a number": lambda body, now: {
        "X-Slack-Request-Timestamp": "soon",
        "X-Slack-Signature": sign(body, now),
    },
    "timestamp of 5000 digits": lambda body, now: {
        "X-Slack-Request-Timestamp": "9" * 5000,
        "X-Slack-Signature": signature_for(body, "9" * 5000),
    },
}


async def test_unauthentic_requests_get_401_and_change_nothing(world: World) -> None:
    scene = await stage(world.slack, world.requests, world.org, world.response_url)
    await quiet(world.slack, world.aws)
    then = before(world, scene.card)

    answered: dict[str, int] = {}
    for name, forgery in FORGERIES.items():
        for request in scene.requests:
            status, _ = await send(world.bot, request, forgery(request.body, int(time.time())))
            answered[f"{request.kind}, {name}"] = status
    assert {sent: status for sent, status in answered.items() if status != 401} == {}
    await assert_nothing_happened(world, then, scene.card)
    assert holders(world.center) == []
    assert world.org.account_named(NEW_ACCOUNT) is None

    for request in scene.requests:
        status, _ = await send(world.bot, request, signed(request.body, int(time.time())))
        assert status == 200, request.kind
    await assert_genuine_requests_act(world)


async def test_a_replayed_request_is_refused_once_its_timestamp_is_stale(world: World) -> None:
    scene = await stage(world.slack, world.requests, world.org, world.response_url)
    # Signed a few seconds before the window closes, so the replay can come just after it.
    signed_at = int(time.time()) - WINDOW + 6
    recorded: list[tuple[Request, dict[str, str]]] = []
    for request in scene.requests:
        headers = signed(request.body, signed_at)
        status, _ = await send(world.bot, request, headers)
        assert status == 200, f"the genuine {request.kind} was refused"
        recorded.append((request, headers))
    await assert_genuine_requests_act(world)

    await asyncio.sleep(max(0.0, signed_at + WINDOW + 1.5 - time.time()))
    await quiet(world.slack, world.aws)
    then = before(world, scene.card)
    for request, headers in recorded:
        status, _ = await send(world.bot, request, headers)
        assert status == 401, f"the replayed {request.kind} was answered {status}"
    await assert_nothing_happened(world, then, scene.card)
    assert len(holders(world.center)) == 1
    assert len(world.aws.calls_to("CreateAccount")) == 1
    answers = ephemerals(world.slack, "UENGINEER", "CPLATFORM")
    assert len([t for t in answers if "operation's thread" in t]) == 1  # the mention's, once


GARBAGE: dict[str, tuple[bytes, str]] = {
    "JSON cut short": (b'{"type": "event_callback", "event": {', "application/json"),
    "bytes that are not UTF-8": (b"payload=\xff\xfe\xfd", "application/x-www-form-urlencoded"),
    "a payload that is not JSON": (b"payload=%7Bnot-json", "application/x-www-form-urlencoded"),
}


async def test_bodies_slack_never_sends_are_refused_quietly(world: World) -> None:
    """Unsigned garbage is refused as a bad request, not met with a server error."""
    await quiet(world.slack, world.aws)
    calls = (len(world.slack.calls), len(world.aws.calls))
    answered: dict[str, int] = {}
    async with aiohttp.ClientSession() as session:
        for name, (body, content_type) in GARBAGE.items():
            headers = {"Content-Type": content_type, **signed(body.decode("latin-1"), 0)}
            url = f"{world.bot.url}/slack/events"
            async with session.post(url, data=body, headers=headers) as response:
                answered[name] = response.status
    assert {name: status for name, status in answered.items() if status not in (400, 401)} == {}
    await asyncio.sleep(0.5)
    assert (len(world.slack.calls), len(world.aws.calls)) == calls
    status, _ = await world.requests.command("help")
    assert status == 200

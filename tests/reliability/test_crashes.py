"""A bot killed (SIGKILL) at any point finishes what it started after a restart, exactly once.

Each test kills `python -m bot` at a chosen boundary of its work, restarts it on the same store,
and checks what people see: the account in AWS, the card and its thread, the access in
Identity Center.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.emulator.aws_faults import (
    FaultRule,
    ThreadedAwsFaultProxy,
    create_account_status,
    hold_response,
)
from bot.emulator.slack import FakeSlack, SlackMessage
from tests.support.access_flows import (
    AUDIT,
    break_glass_center,
    grant_cards,
    holders,
    permission_set_arn,
    user_id,
)
from tests.support.bot_fixtures import Deployment
from tests.support.bot_process import BotProcess
from tests.support.creation_story import (
    RESUMED,
    STORY,
    drained,
    operation_state,
    outbox_pending,
    story,
)
from tests.support.flows import block_text, card_reaching, cards, request_account, thread_texts
from tests.support.identity_center import IdentityCenter
from tests.support.organization import Organization
from tests.support.slack_requests import SlackRequests
from tests.support.stores import read_store
from tests.support.waiting import eventually

NAME = "payments-dev"
EMAIL = f"aws+{NAME}@example.com"
BASELINE_CHANNEL = "CBASELINE"


async def normal_run(slack: FakeSlack, requests: SlackRequests, org: Organization) -> list[str]:
    """The story an uninterrupted creation tells, in a channel of its own."""
    slack.add_channel(BASELINE_CHANNEL, name="baseline")
    await request_account(
        slack, requests, name="baseline-dev", ou_id=org.ous["Prod"], channel=BASELINE_CHANNEL
    )
    card = await card_reaching(slack, "Succeeded", channel=BASELINE_CHANNEL)
    return story(thread_texts(slack, card))


@dataclass(frozen=True)
class Run:
    """The creation under test, and the calls to AWS made before it (by the normal run)."""

    slack: FakeSlack
    aws: ThreadedAwsFaultProxy
    bot: BotProcess
    earlier: Counter[str]

    def calls_to(self, operation: str) -> int:
        return len(self.aws.calls_to(operation)) - self.earlier[operation]


@dataclass(frozen=True)
class Boundary:
    """Where the bot is killed: the faults that hold it there, and how to tell it got there."""

    faults: Callable[[], list[FaultRule]]
    reached: Callable[[Run], Awaitable[None]]
    resumed_at: int | None  # the step a restarted bot takes over half done, if any


async def create_sent(run: Run) -> None:
    # The proxy records a held call once moto has acted on it.
    await eventually(lambda: run.calls_to("CreateAccount"), what="CreateAccount to reach AWS")
    await drained(run.bot)


async def polling(run: Run) -> None:
    await eventually(
        lambda: run.calls_to("DescribeCreateAccountStatus") >= 3, what="the third status check"
    )
    await drained(run.bot)


async def move_sent(run: Run) -> None:
    await eventually(lambda: run.calls_to("MoveAccount"), what="MoveAccount to reach AWS")
    await drained(run.bot)


async def done_in_aws_only(run: Run) -> None:
    # Slack goes down while the last step runs, so the end reaches the store but not Slack.
    await eventually(lambda: run.calls_to("MoveAccount"), what="MoveAccount to reach AWS")
    await drained(run.bot)
    run.slack.set_down(True)
    await eventually(
        lambda: last_line_waits_for_slack(run.bot), what="the operation to end in the store"
    )
    card = run.slack.message("CPLATFORM", cards(run.slack)[0].ts)
    assert "Succeeded" not in block_text(card)


async def last_line_waits_for_slack(bot: BotProcess) -> bool:
    """The operation has succeeded, its last thread line is queued, and the outbox is between
    two tries, with no delivery under way."""
    waiting = await read_store(bot.env["DATABASE_URL"], lambda store: store.unclaimed_messages())
    return (
        await operation_state(bot, NAME) == "succeeded"
        and any(STORY["done"][0] in entry.message.model_dump_json() for entry in waiting)
        and any(entry.attempts > 0 for entry in waiting)
        and len(waiting) == await outbox_pending(bot)  # none of them claimed
    )


BOUNDARIES = {
    "create-sent": Boundary(lambda: [hold_response("CreateAccount", 60)], create_sent, 1),
    "polling": Boundary(
        lambda: [
            create_account_status("IN_PROGRESS", times=2),
            hold_response("DescribeCreateAccountStatus", 60),
        ],
        polling,
        2,
    ),
    "move-sent": Boundary(lambda: [hold_response("MoveAccount", 60)], move_sent, 3),
    "final-card": Boundary(lambda: [hold_response("MoveAccount", 3)], done_in_aws_only, None),
}


@pytest.mark.parametrize("where", list(BOUNDARIES))
async def test_a_creation_killed_at_a_step_boundary_finishes_once_after_restart(
    where: str,
    deployment: Deployment,
    slack: FakeSlack,
    org: Organization,
    aws: ThreadedAwsFaultProxy,
) -> None:
    boundary = BOUNDARIES[where]
    normal = await normal_run(slack, deployment.requests, org)
    assert normal == list(STORY), normal

    run = Run(slack, aws, deployment.bot, Counter(call.operation for call in aws.calls))
    for rule in boundary.faults():
        aws.add(rule)
    status, body = await deployment.request_account(NAME)
    assert status == 200, body
    await boundary.reached(run)
    deployment.kill()
    # Slack, still down, refuses any request the dead process had sent just before it died.
    await asyncio.sleep(0.5)
    slack.set_down(False)

    async with deployment.restarted() as restarted:
        # Longer than an outbox claim, in case the kill cut a delivery short.
        card = await card_reaching(slack, "Succeeded", timeout=90)
        await drained(restarted)

    assert await operation_state(restarted, NAME) == "succeeded"
    accounts = [a for a in org.accounts() if a["Email"] == EMAIL]
    assert len(accounts) == 1, accounts
    assert org.parent_of(accounts[0]["Id"]) == org.ous["Prod"]
    assert run.calls_to("CreateAccount") == 1
    assert len(cards(slack)) == 1
    thread = thread_texts(slack, card)
    told = story(thread)
    assert [step for step in told if step != "resumed"] == normal, told
    resumed = [text for text in thread if RESUMED in text]
    if boundary.resumed_at is None:
        assert resumed == []
    else:
        assert len(resumed) == 1, resumed
        assert f"at step {boundary.resumed_at}:" in resumed[0]


# Break-glass access held by three people when the bot dies, expiring while it is down.

SWEEP = 0.5
GRANT_SECONDS = 5
PEOPLE = {"UENGINEER": "erin", "UOTHER": "omar", "UOPS": "olga"}
GRANTER = {"UENGINEER": "UOPS", "UOTHER": "UOPS", "UOPS": "UOPS2"}  # nobody grants themselves
ALREADY_THERE = "UOPS"
ENDINGS = {
    "UENGINEER": "expired, access removed",
    "UOTHER": "expired, access removed",
    ALREADY_THERE: "the access that was there before stays",
}


@pytest.fixture
def center(org: Organization, moto_url: str) -> IdentityCenter:
    return break_glass_center(org, moto_url, {n: f"{n}@example.com" for n in PEOPLE.values()})


def card_of(slack: FakeSlack, person: str) -> str:
    """What the grant card for `person` reads now."""
    (card,) = [c for c in grant_cards(slack) if f"for <@{person}>" in block_text(c)]
    return block_text(slack.message(AUDIT, card.ts))


async def grants(bot: BotProcess) -> list[tuple[str, datetime | None]]:
    """Each grant's state and expiry, from the store."""
    found = await read_store(bot.env["DATABASE_URL"], lambda store: store.all_grants())
    return [(grant.state.value, grant.expires_at) for grant in found]


async def grant_states(bot: BotProcess, state: str) -> bool:
    """All three grants are in `state`."""
    return [found for found, _ in await grants(bot)] == [state] * 3


@pytest.mark.extra_env(SWEEP_INTERVAL=f"{SWEEP}s")
async def test_access_that_expired_while_the_bot_was_dead_is_revoked_once_at_restart(
    slack: FakeSlack,
    org: Organization,
    aws: ThreadedAwsFaultProxy,
    center: IdentityCenter,
    access_bot: BotProcess,
    tmp_path: Path,
) -> None:
    requests = SlackRequests(f"{access_bot.url}/slack/events")
    permission_set = permission_set_arn(center)
    principals = {person: user_id(center, name) for person, name in PEOPLE.items()}
    center.assign(permission_set, principals[ALREADY_THERE])

    answers = await asyncio.gather(
        *(
            requests.command(
                f"grant <@{person}|{name}> billing-prod {GRANT_SECONDS}s rotating the keys",
                user=GRANTER[person],
            )
            for person, name in PEOPLE.items()
        )
    )
    assert all(status == 200 for status, _ in answers), answers
    await eventually(lambda: grant_states(access_bot, "active"), what="three active grants")
    # Nothing is on its way to Slack when it dies: a message cut short waits out its claim.
    await drained(access_bot)
    access_bot.kill()
    expiries = [expires for _, expires in await grants(access_bot)]
    assert all(e is not None and e > datetime.now(UTC) for e in expiries), (
        "the grants expired before the bot was killed: the test could not set up its case"
    )
    assert sorted(holders(center)) == sorted(principals.values())

    last = max(e for e in expiries if e is not None)
    await asyncio.sleep((last - datetime.now(UTC)).total_seconds() + 0.5)
    assert sorted(holders(center)) == sorted(principals.values())  # nobody revoked them meanwhile

    async with access_bot.restarted(tmp_path / "restarted.log") as restarted:
        healthy = time.monotonic()
        created = {principals[person] for person in PEOPLE if person != ALREADY_THERE}
        await eventually(
            lambda: not created & set(holders(center)),
            timeout=30,
            what="the access Outpost gave to be revoked",
        )
        took = time.monotonic() - healthy
        await eventually(lambda: grant_states(restarted, "ended"), what="every grant to end")
        await eventually(
            lambda: all(ending in card_of(slack, person) for person, ending in ENDINGS.items()),
            what="every grant card to tell how it ended",
        )

    assert took <= SWEEP + 2, f"revoked {took:.1f}s after the restarted bot was healthy"
    assert len(aws.calls_to("DeleteAccountAssignment")) == 2
    assert holders(center) == [principals[ALREADY_THERE]]


# Killed between Slack taking a card and the bot recording where it is.


def finished_card(slack: FakeSlack) -> SlackMessage | None:
    """A card in #platform that reads "Succeeded", with its thread told to the end."""
    for card in cards(slack):
        message = slack.message(card.channel, card.ts)
        thread = thread_texts(slack, message)
        if "Succeeded" in block_text(message) and any(STORY["done"][0] in t for t in thread):
            return message
    return None


async def test_a_card_slack_took_just_before_a_kill_is_not_posted_again(
    deployment: Deployment, slack: FakeSlack, aws: ThreadedAwsFaultProxy
) -> None:
    # Slack posts the card at once, but its answer comes too late for the bot to hear it.
    # The creation is held at a known step meanwhile, so that the thread's story is known.
    slack.hold_next_answer("chat.postMessage", 60)
    aws.add(hold_response("CreateAccount", 60))
    status, body = await deployment.request_account(NAME)
    assert status == 200, body
    (posted,) = await eventually(lambda: cards(slack), what="the card to reach Slack")
    await eventually(lambda: aws.calls_to("CreateAccount"), what="CreateAccount to reach AWS")
    deployment.kill()

    async with deployment.restarted() as restarted:
        healthy = time.monotonic()
        card = await eventually(lambda: finished_card(slack), timeout=90, what="the card to end")
        took = time.monotonic() - healthy
        await drained(restarted)

    assert [c.ts for c in cards(slack)] == [posted.ts]
    assert card.ts == posted.ts
    told = [step for step in story(thread_texts(slack, card)) if step != "resumed"]
    assert told == list(STORY), told
    # The dead process's claim on the card lapses with its lease (ENGINE_LEASE is 1 s here).
    assert took < 15, f"the card was finished {took:.1f}s after the restart"

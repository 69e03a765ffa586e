"""Twenty account creations at once in a throttling storm: each retry is shown, and every
creation either gets through or, once the retries run out, says so in its thread."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.emulator.aws_faults import ThreadedAwsFaultProxy, random_throttle
from bot.emulator.slack import FakeSlack, SlackMessage
from tests.support.bot_fixtures import bot_in
from tests.support.flows import (
    FINAL_LINES,
    block_text,
    cards,
    form_values,
    open_new_account_form,
    option_label,
    thread_texts,
)
from tests.support.organization import Organization
from tests.support.slack_requests import SlackRequests
from tests.support.waiting import eventually

CREATIONS = 20
NAMES = [f"storm-{i:02d}" for i in range(CREATIONS)]
# A call throttled half the time runs out of 20 attempts once in a million: never, in practice,
# over the hundred or so calls of twenty creations.
MILD_ATTEMPTS = 20
RETRY_LINE = re.compile(r"`(\w+)` on `organizations:(\w+)`: attempt (\d+) of (\d+), retrying")


@pytest.fixture
async def storm_bot(
    tmp_path: Path,
    aws: ThreadedAwsFaultProxy,
    slack: FakeSlack,
    org: Organization,
    request: pytest.FixtureRequest,
) -> AsyncIterator[SlackRequests]:
    attempts: int = request.param
    async with bot_in(
        tmp_path,
        aws,
        slack.base_url,
        AWS_RETRY_ATTEMPTS=str(attempts),
        AWS_RETRY_BASE="0.01",
        AWS_RETRY_MAX="0.05",
    ) as process:
        yield SlackRequests(f"{process.url}/slack/events")


async def start_creations(
    slack: FakeSlack,
    requests: SlackRequests,
    org: Organization,
    aws: ThreadedAwsFaultProxy,
    *,
    probability: float,
) -> None:
    """Open the form once, let the storm start, then submit it for every name at once."""
    view = await open_new_account_form(slack, requests)
    label = option_label(view, org.ous["Sandbox"])
    aws.add(random_throttle(probability, seed=1234))
    answers = await asyncio.gather(
        *(
            requests.submit_view(
                view, form_values(name=name, ou_id=org.ous["Sandbox"], ou_label=label)
            )
            for name in NAMES
        )
    )
    assert answers == [(200, "")] * CREATIONS


async def all_cards_reaching(slack: FakeSlack, state: str) -> list[SlackMessage]:
    """Every creation's card once it reads `state` and its thread has its last line."""

    def probe() -> list[SlackMessage] | None:
        found = [slack.message(card.channel, card.ts) for card in cards(slack)]
        if len(found) < CREATIONS:
            return None
        for card in found:
            if state not in block_text(card):
                return None
            if not any(FINAL_LINES[state] in line for line in thread_texts(slack, card)):
                return None
        return found

    return await eventually(probe, timeout=90, what=f"{CREATIONS} cards reading {state!r}")


def name_on(card: SlackMessage) -> str:
    return next(name for name in NAMES if f"`{name}`" in block_text(card))


async def through_a_storm(
    slack: FakeSlack,
    storm_bot: SlackRequests,
    org: Organization,
    aws: ThreadedAwsFaultProxy,
    *,
    probability: float,
    state: str,
) -> list[SlackMessage]:
    """Every creation's card once it reads `state`, through a storm that throttles each call
    with `probability`: one card for each name."""
    await start_creations(slack, storm_bot, org, aws, probability=probability)
    cards = await all_cards_reaching(slack, state)
    assert sorted(name_on(card) for card in cards) == NAMES
    return cards


@pytest.mark.parametrize("storm_bot", [MILD_ATTEMPTS], indirect=True)
async def test_every_creation_gets_through_a_storm_that_throttles_half_the_calls(
    slack: FakeSlack, storm_bot: SlackRequests, org: Organization, aws: ThreadedAwsFaultProxy
) -> None:
    done = await through_a_storm(slack, storm_bot, org, aws, probability=0.5, state="Succeeded")

    for name in NAMES:
        account = org.account_named(name)
        assert account is not None, name
        assert org.parent_of(account["Id"]) == org.ous["Sandbox"]
    accepted = [call for call in aws.calls_to("CreateAccount") if not call.injected]
    assert len(accepted) == CREATIONS  # each CreateAccount got through exactly once

    lines = [line for card in done for line in thread_texts(slack, card)]
    retries = [RETRY_LINE.search(line) for line in lines]
    shown = Counter(match[2] for match in retries if match)
    assert shown["CreateAccount"] > 0, "the storm did not reach CreateAccount"
    # Every throttled call made for an operation is a line in its thread, with its attempt.
    for operation, count in shown.items():
        assert count == aws.injected_count(operation), operation
    for match in filter(None, retries):
        assert match[1] == "TooManyRequestsException"
        assert int(match[4]) == MILD_ATTEMPTS and int(match[3]) < MILD_ATTEMPTS
    assert not any("Retries exhausted" in line or " failed: " in line for line in lines)


@pytest.mark.parametrize("storm_bot", [3], indirect=True)
async def test_a_storm_that_never_ends_fails_every_creation_with_the_error_shown(
    slack: FakeSlack, storm_bot: SlackRequests, org: Organization, aws: ThreadedAwsFaultProxy
) -> None:
    failed = await through_a_storm(slack, storm_bot, org, aws, probability=1.0, state="Failed")

    for card in failed:
        assert "`TooManyRequestsException`" in block_text(card)
        thread = thread_texts(slack, card)
        retried = [m[3] for m in map(RETRY_LINE.search, thread) if m]
        assert retried == ["1", "2"], name_on(card)
        error = next(line for line in thread if "Retries exhausted" in line)
        assert "Retries exhausted after 3 attempts" in error
        assert "`organizations:CreateAccount`" in error
        assert "`TooManyRequestsException`" in error
        assert "Rate exceeded" in error
    assert len(aws.calls_to("CreateAccount")) == 3 * CREATIONS
    assert aws.injected_count("CreateAccount") == 3 * CREATIONS
    assert not any(org.account_named(name) for name in NAMES)

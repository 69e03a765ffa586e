"""`@Outpost status | retry | cancel | resolve <note> | explain` in an operation's thread."""

from __future__ import annotations

import json
import time

import pytest

from bot.emulator.aws_faults import ThreadedAwsFaultProxy
from bot.emulator.slack import FakeSlack, SlackMessage
from tests.support.flows import (
    block_text,
    card_reaching,
    creation_running,
    refused_creation,
    thread_texts,
)
from tests.support.organization import Organization
from tests.support.slack_requests import SlackRequests
from tests.support.waiting import eventually


async def mention(
    requests: SlackRequests, card: SlackMessage, text: str, *, user: str = "UENGINEER"
) -> None:
    status, _ = await requests.event(
        {
            "type": "app_mention",
            "user": user,
            "text": f"<@UOUTPOST> {text}",
            "ts": f"{time.time():.6f}",
            "channel": card.channel,
            "thread_ts": card.ts,
        }
    )
    assert status == 200


async def private_reply(slack: FakeSlack, user: str) -> SlackMessage:
    return (
        await eventually(
            lambda: [m for m in slack.messages("CPLATFORM") if m.ephemeral_to == user],
            what=f"a private reply to {user}",
        )
    )[0]


@pytest.fixture
async def card(
    slack: FakeSlack, requests: SlackRequests, org: Organization, aws: ThreadedAwsFaultProxy
) -> SlackMessage:
    """The card of a creation AWS refused for good: its thread is where Outpost is mentioned."""
    return await refused_creation(slack, requests, org, aws)


async def test_status_answers_in_the_thread(
    slack: FakeSlack, requests: SlackRequests, card: SlackMessage
) -> None:
    await mention(requests, card, "status")
    answer = await eventually(
        lambda: [t for t in thread_texts(slack, card) if "Last AWS call" in t], what="status"
    )
    assert "Failed at step 1 of 3" in answer[0]
    assert "`organizations:CreateAccount` → `ConstraintViolationException`" in answer[0]


async def test_explain_gives_the_catalog_entry_of_the_failure(
    slack: FakeSlack, requests: SlackRequests, card: SlackMessage
) -> None:
    await mention(requests, card, "explain")
    answer = await eventually(
        lambda: [
            m for m in slack.thread(card.channel, card.ts) if "What to do" in json.dumps(m.blocks)
        ],
        what="the explanation",
    )
    assert "ACCOUNT_NUMBER_LIMIT_EXCEEDED" in json.dumps(answer[0].blocks)


async def test_explain_with_a_code_explains_that_code(
    slack: FakeSlack, requests: SlackRequests, card: SlackMessage
) -> None:
    await mention(requests, card, "explain EMAIL_ALREADY_EXISTS")
    answer = await eventually(
        lambda: [m for m in slack.thread(card.channel, card.ts) if m.text.startswith("What ")],
        what="the explanation",
    )
    assert answer[0].text == "What EMAIL_ALREADY_EXISTS means"
    assert "Another AWS account" in json.dumps(answer[0].blocks)


async def test_retry_by_mention_follows_the_same_rules_as_the_button(
    slack: FakeSlack, requests: SlackRequests, card: SlackMessage
) -> None:
    await mention(requests, card, "retry", user="UOTHER")
    assert "Only <@UENGINEER>" in (await private_reply(slack, "UOTHER")).text
    await mention(requests, card, "retry")
    done = await card_reaching(slack, "Succeeded")
    assert any("<@UENGINEER> retried" in t for t in thread_texts(slack, done))


async def test_cancel_by_mention(
    slack: FakeSlack, requests: SlackRequests, org: Organization, aws: ThreadedAwsFaultProxy
) -> None:
    card = await creation_running(slack, requests, org, aws)
    await mention(requests, card, "cancel", user="UOPS")
    cancelled = await card_reaching(slack, "Cancelled")
    assert "by <@UOPS>" in block_text(cancelled)


async def test_resolve_by_mention_needs_ops_and_a_note(
    slack: FakeSlack, requests: SlackRequests, card: SlackMessage
) -> None:
    await mention(requests, card, "resolve quota raised by AWS Support")
    assert "Only ops can mark" in (await private_reply(slack, "UENGINEER")).text
    await mention(requests, card, "resolve", user="UOPS")
    assert "Say what was done" in (await private_reply(slack, "UOPS")).text
    await mention(requests, card, "resolve quota raised by AWS Support", user="UOPS")
    resolved = await card_reaching(slack, "resolved by hand")
    assert any("quota raised by AWS Support" in t for t in thread_texts(slack, resolved))


async def test_an_unknown_word_gets_the_thread_commands_privately(
    slack: FakeSlack, requests: SlackRequests, card: SlackMessage
) -> None:
    await mention(requests, card, "please help")
    reply = (await private_reply(slack, "UENGINEER")).text
    for word in ("status", "retry", "cancel", "resolve <note>", "explain"):
        assert f"`@Outpost {word}`" in reply


async def test_explain_after_a_retry_explains_the_error_met_before(
    slack: FakeSlack, requests: SlackRequests, card: SlackMessage
) -> None:
    await mention(requests, card, "retry")
    done = await card_reaching(slack, "Succeeded")
    await mention(requests, done, "explain")
    answer = await eventually(
        lambda: [m for m in slack.thread(card.channel, card.ts) if m.text.startswith("What ")],
        what="the explanation",
    )
    shown = json.dumps(answer[0].blocks)
    assert "ACCOUNT_NUMBER_LIMIT_EXCEEDED" in shown
    assert "retried since" in shown
    assert not [m for m in slack.messages("CPLATFORM") if "no AWS error" in m.text]


async def test_a_mention_outside_an_operations_thread_is_answered_privately(
    slack: FakeSlack, requests: SlackRequests
) -> None:
    ts = f"{time.time():.6f}"
    status, _ = await requests.event(
        {
            "type": "app_mention",
            "user": "UENGINEER",
            "text": "<@UOUTPOST> status",
            "ts": ts,
            "channel": "CPLATFORM",
        }
    )
    assert status == 200
    reply = (await private_reply(slack, "UENGINEER")).text
    assert "operation's thread" in reply
    assert "`@Outpost status`" in reply
    assert "/account help" in reply
    # Nothing for the whole channel to read: no help posted in a thread under the mention.
    assert [m for m in slack.messages("CPLATFORM") if m.ephemeral_to is None] == []

"""Events: the App Home tab and mentions are answered, never met with silence."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from bot.domain.operations import TriageKind
from bot.emulator.aws_faults import ThreadedAwsFaultProxy, aws_error, create_account_status
from bot.emulator.slack import FakeSlack, SlackMessage
from bot.emulator.slack_requests import event_payload, new_event_id
from tests.support.bot_fixtures import bot_in
from tests.support.bot_process import BotProcess
from tests.support.flows import (
    card_reaching,
    cards,
    payments_dev_card,
    request_account,
    thread_texts,
)
from tests.support.organization import Organization
from tests.support.slack_requests import SlackRequests
from tests.support.stores import read_store
from tests.support.waiting import eventually


async def test_opening_the_home_tab_publishes_what_outpost_can_do(
    slack: FakeSlack, requests: SlackRequests
) -> None:
    status, _ = await requests.event(
        {"type": "app_home_opened", "user": "UENGINEER", "channel": "DHOME", "tab": "home"}
    )
    assert status == 200
    home = await eventually(lambda: slack.published_home("UENGINEER"), what="the home tab")
    assert "/account new" in json.dumps(home["blocks"])


async def test_a_mention_outside_an_operations_thread_is_answered_privately(
    slack: FakeSlack, requests: SlackRequests
) -> None:
    mention = slack.add_message("CPLATFORM", user="UENGINEER", text="<@UOUTPOST> hello")
    status, _ = await requests.event(
        {
            "type": "app_mention",
            "user": "UENGINEER",
            "text": "<@UOUTPOST> hello",
            "ts": mention.ts,
            "channel": "CPLATFORM",
        }
    )
    assert status == 200
    replies = await eventually(
        lambda: [m for m in slack.messages("CPLATFORM") if m.ephemeral_to == "UENGINEER"],
        what="a private answer",
    )
    assert "/account help" in replies[0].text
    assert slack.thread("CPLATFORM", mention.ts) == []


async def open_home(slack: FakeSlack, requests: SlackRequests, user: str) -> str:
    before = len(slack.calls_to("views.publish"))
    await requests.event({"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"})
    await eventually(lambda: len(slack.calls_to("views.publish")) > before, what="the home tab")
    home = slack.published_home(user)
    assert home is not None
    return json.dumps(home["blocks"], ensure_ascii=False)


async def test_home_shows_my_accounts_and_ops_see_what_needs_them(
    slack: FakeSlack, requests: SlackRequests, org: Organization, aws: ThreadedAwsFaultProxy
) -> None:
    await request_account(slack, requests, name="payments-dev", ou_id=org.ous["Sandbox"])
    await card_reaching(slack, "Succeeded")
    aws.add(create_account_status("FAILED", failure_reason="EMAIL_ALREADY_EXISTS"))
    await request_account(slack, requests, name="payments-stg", ou_id=org.ous["Sandbox"])
    await eventually(
        lambda: [c for c in cards(slack) if "payments-stg" in c.text and "failed" in c.text],
        what="the second creation to fail",
    )

    mine = await open_home(slack, requests, "UENGINEER")
    account = org.account_named("payments-dev")
    assert account is not None and f"`{account['Id']}` `payments-dev`" in mine
    assert "Nothing in flight." in mine
    assert "Needs ops" not in mine

    theirs = await open_home(slack, requests, "UOTHER")
    assert "None created through Outpost yet." in theirs

    ops = await open_home(slack, requests, "UOPS")
    assert "Needs ops" in ops
    assert "`payments-stg` · *failed*" in ops and "last error `EMAIL_ALREADY_EXISTS`" in ops


# Slack delivers an event again when it had no answer within 3 s (or got an error): the same
# event_id, with X-Slack-Retry-Num. Outpost acts on each event once.


def mention_in(slack: FakeSlack, text: str = "<@UOUTPOST> hello") -> dict[str, str]:
    """A person mentions Outpost in #platform: the event Slack sends for it."""
    message = slack.add_message("CPLATFORM", user="UENGINEER", text=text)
    return {
        "type": "app_mention",
        "user": "UENGINEER",
        "text": text,
        "ts": message.ts,
        "channel": "CPLATFORM",
    }


def private_answers(slack: FakeSlack) -> list[SlackMessage]:
    """What Outpost told the engineer privately in #platform: a mention outside an operation's
    thread is answered that way."""
    return [m for m in slack.messages("CPLATFORM") if m.ephemeral_to == "UENGINEER"]


async def answered(slack: FakeSlack, requests: SlackRequests) -> None:
    """A mention sent now is answered: whatever was delivered before has been dealt with."""
    before = len(private_answers(slack))
    await requests.event(mention_in(slack, "<@UOUTPOST> are you there?"))
    await eventually(lambda: len(private_answers(slack)) > before, what="the later answer")


async def test_an_event_delivered_again_by_slack_is_answered_once(
    slack: FakeSlack, requests: SlackRequests
) -> None:
    event, event_id = mention_in(slack), new_event_id()
    answers = await asyncio.gather(
        requests.event(event, event_id=event_id),
        requests.event(event, event_id=event_id, retry=1),
    )
    assert [status for status, _ in answers] == [200, 200]
    await requests.event(event, event_id=event_id, retry=2)
    await answered(slack, requests)
    assert len(private_answers(slack)) == 2  # the event's, and the later mention's


async def test_an_event_delivered_again_after_a_restart_is_not_answered_again(
    slack: FakeSlack, bot: BotProcess, tmp_path: Path
) -> None:
    event, event_id = mention_in(slack), new_event_id()
    await SlackRequests(f"{bot.url}/slack/events").event(event, event_id=event_id)
    await eventually(lambda: private_answers(slack), what="the answer")
    await bot.stop()

    async with bot.restarted(tmp_path / "restarted.log") as restarted:
        requests = SlackRequests(f"{restarted.url}/slack/events")
        status, _ = await requests.event(event, event_id=event_id, retry=1)
        assert status == 200
        await answered(slack, requests)
    assert len(private_answers(slack)) == 2  # the event's, and the later mention's


async def test_distinct_events_for_the_same_message_are_each_answered(
    slack: FakeSlack, requests: SlackRequests
) -> None:
    """Only the event id says a delivery is a repeat: two events are two answers."""
    event = mention_in(slack)
    await requests.event(event)
    await requests.event(event)
    await eventually(lambda: len(private_answers(slack)) == 2, what="two answers")


async def test_a_retry_mention_delivered_again_is_acted_on_once(
    slack: FakeSlack,
    requests: SlackRequests,
    org: Organization,
    aws: ThreadedAwsFaultProxy,
    bot: BotProcess,
) -> None:
    too_many = aws_error("CreateAccount", "ConstraintViolationException", "Too many accounts.")
    card = await payments_dev_card(slack, requests, org, aws, too_many, reaching="Failed")
    aws.add(create_account_status("IN_PROGRESS", times=None))  # the retried creation runs on
    retry, event_id = in_thread(card, "retry"), new_event_id()

    await requests.event(retry, event_id=event_id)
    await eventually(lambda: retried_lines(slack, card), what="the retry in the thread")
    await requests.event(retry, event_id=event_id, retry=1)
    await requests.event(in_thread(card, "status"))
    await eventually(
        lambda: [t for t in thread_texts(slack, card) if "Last AWS call" in t], what="status"
    )

    async def all_told() -> bool:
        return await pending_messages(bot) == 0

    await eventually(all_told, what="the thread to be told all")
    assert len(retried_lines(slack, card)) == 1
    assert await retries_recorded(bot) == 1


def in_thread(card: SlackMessage, word: str) -> dict[str, str]:
    return {
        "type": "app_mention",
        "user": "UENGINEER",
        "text": f"<@UOUTPOST> {word}",
        "ts": f"{time.time():.6f}",
        "channel": card.channel,
        "thread_ts": card.ts,
    }


def retried_lines(slack: FakeSlack, card: SlackMessage) -> list[str]:
    return [t for t in thread_texts(slack, card) if "<@UENGINEER> retried" in t]


async def pending_messages(bot: BotProcess) -> int:
    return await read_store(bot.env["DATABASE_URL"], lambda store: store.pending_count())


async def retries_recorded(bot: BotProcess) -> int:
    (operation,) = await read_store(
        bot.env["DATABASE_URL"], lambda store: store.recent_operations(10)
    )
    return sum(action.kind is TriageKind.RETRY for action in operation.actions)


async def test_an_event_sent_again_over_the_socket_is_answered_once(
    tmp_path: Path, aws: ThreadedAwsFaultProxy, slack: FakeSlack, org: Organization
) -> None:
    async with bot_in(tmp_path, aws, slack.base_url, SLACK_APP_TOKEN=slack.app_token):
        event = mention_in(slack)
        payload = event_payload(event, event_id=new_event_id())
        for _ in range(2):
            await slack.socket_send("events_api", payload)
        later = mention_in(slack, "<@UOUTPOST> are you there?")
        await slack.socket_send("events_api", event_payload(later))
        await eventually(lambda: len(private_answers(slack)) > 1, what="the later answer")
    assert len(private_answers(slack)) == 2  # the event's, and the later mention's

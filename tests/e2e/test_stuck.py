"""A stalled operation calls on-call once, and can be retried or cancelled from the alert."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.emulator.aws_faults import ThreadedAwsFaultProxy
from bot.emulator.slack import FakeSlack, SlackMessage
from bot.emulator.slack_requests import message_actions_payload
from tests.support.bot_fixtures import bot_in
from tests.support.bot_process import BotProcess
from tests.support.flows import card_reaching, creation_running, thread_texts
from tests.support.organization import Organization
from tests.support.slack_requests import SlackRequests
from tests.support.waiting import eventually

STUCK_AFTER = 1.5


@pytest.fixture
async def stuck_process(
    tmp_path: Path, aws: ThreadedAwsFaultProxy, slack: FakeSlack, org: Organization
) -> AsyncIterator[BotProcess]:
    slack.add_usergroup("S0OPS", handle="ops", users=["UOPS"])
    async with bot_in(
        tmp_path,
        aws,
        slack.base_url,
        OPS_USERGROUP="S0OPS",
        STUCK_AFTER=str(STUCK_AFTER),
        STUCK_CHECK_INTERVAL="0.1",
        # Checks back off to once every 10 s: the stall outlasts STUCK_AFTER.
        CREATE_POLL_INTERVAL="10",
        CREATE_POLL_MAX_INTERVAL="10",
    ) as process:
        yield process


@pytest.fixture
def stuck_bot(stuck_process: BotProcess) -> SlackRequests:
    return SlackRequests(f"{stuck_process.url}/slack/events")


def alerts(slack: FakeSlack, card: SlackMessage) -> list[SlackMessage]:
    return [m for m in slack.thread(card.channel, card.ts) if "looks stuck" in m.text]


async def stalled(
    slack: FakeSlack, requests: SlackRequests, org: Organization, aws: ThreadedAwsFaultProxy
) -> SlackMessage:
    card = await creation_running(slack, requests, org, aws)
    await eventually(lambda: alerts(slack, card), timeout=10, what="the stuck alert")
    return card


@pytest.fixture
async def card(
    slack: FakeSlack, stuck_bot: SlackRequests, org: Organization, aws: ThreadedAwsFaultProxy
) -> SlackMessage:
    """The card of a creation that stalls at step 2, once ops have been alerted."""
    return await stalled(slack, stuck_bot, org, aws)


def the_alert(
    slack: FakeSlack, card: SlackMessage
) -> tuple[SlackMessage, dict[str, Any], dict[str, Any]]:
    """The one stuck alert in `card`'s thread, with its Retry now and Cancel buttons."""
    (alert,) = alerts(slack, card)
    retry, cancel = alert.blocks[1]["elements"][:2]
    return alert, retry, cancel


async def press(
    bot: SlackRequests, card: SlackMessage, button: dict[str, Any], *, user: str = "UENGINEER"
) -> None:
    """`user` clicking `button`, reported as Slack reports a click on `card`."""
    await bot.click(button["action_id"], button["value"], message_ts=card.ts, user=user)


def ops_click(slack: FakeSlack, alert: SlackMessage, button: dict[str, Any]) -> dict[str, Any]:
    """UOPS clicking `button` on `alert` as their client shows the alert now."""
    return message_actions_payload(
        {"type": "button", "action_id": button["action_id"], "value": button["value"]},
        user="UOPS",
        channel=alert.channel,
        message=slack.message_payload(alert.channel, alert.ts),
    )


async def test_one_alert_calls_ops_with_the_step_and_the_last_aws_response(
    slack: FakeSlack, stuck_bot: SlackRequests, card: SlackMessage
) -> None:
    await asyncio.sleep(STUCK_AFTER * 0.8)  # the stall goes on, within one STUCK_AFTER
    (alert,) = alerts(slack, card)
    assert "<!subteam^S0OPS>" in alert.text
    assert "no progress at step 2 of 3 (Wait for AWS to finish creating it)" in alert.text
    assert "Last AWS response: `organizations:CreateAccount` → ok, request id `" in alert.text


async def test_retry_from_the_alert_checks_again_and_finishes(
    slack: FakeSlack, stuck_bot: SlackRequests, aws: ThreadedAwsFaultProxy, card: SlackMessage
) -> None:
    aws.clear()  # AWS has finished meanwhile
    _, retry, _ = the_alert(slack, card)
    await press(stuck_bot, card, retry, user="UOPS")
    done = await card_reaching(slack, "Succeeded")
    assert any("<@UOPS> retried" in line for line in thread_texts(slack, done))


async def test_cancel_from_the_alert(
    slack: FakeSlack, stuck_bot: SlackRequests, card: SlackMessage
) -> None:
    _, _, cancel = the_alert(slack, card)
    await press(stuck_bot, card, cancel)
    await card_reaching(slack, "Cancelled")


async def test_a_late_click_on_the_alert_is_answered_in_its_thread(
    slack: FakeSlack, stuck_bot: SlackRequests, card: SlackMessage
) -> None:
    alert, retry, cancel = the_alert(slack, card)
    await press(stuck_bot, card, cancel)
    await card_reaching(slack, "Cancelled")

    late = ops_click(slack, alert, retry)
    status, _ = await stuck_bot.interaction(late)

    assert status == 200
    answer = await eventually(
        lambda: [m for m in slack.messages(card.channel) if m.ephemeral_to == "UOPS"],
        what="the answer to the late click",
    )
    assert "was cancelled" in answer[-1].text
    assert answer[-1].thread_ts == card.ts


def has_buttons(message: SlackMessage) -> bool:
    return any(block["type"] == "actions" for block in message.blocks)


async def test_the_alert_drops_its_buttons_once_cancelled_from_it(
    slack: FakeSlack, stuck_bot: SlackRequests, card: SlackMessage
) -> None:
    alert, _, cancel = the_alert(slack, card)
    clicked = ops_click(slack, alert, cancel)
    await stuck_bot.interaction(clicked)
    await card_reaching(slack, "Cancelled")
    shown = await eventually(
        lambda: [m for m in alerts(slack, card) if not has_buttons(m)],
        what="the alert without its buttons",
    )
    assert "looks stuck" in shown[0].text
    assert "<@UOPS> chose cancel" in json.dumps(shown[0].blocks)


def card_cancel_button(slack: FakeSlack, card: SlackMessage) -> dict[str, Any]:
    return next(
        e
        for b in slack.message(card.channel, card.ts).blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["text"]["text"] == "Cancel"
    )


def settled_alerts(slack: FakeSlack, card: SlackMessage) -> list[SlackMessage]:
    return [m for m in alerts(slack, card) if not has_buttons(m)]


async def test_the_alert_loses_its_buttons_once_cancelled_from_the_card(
    slack: FakeSlack, stuck_bot: SlackRequests, card: SlackMessage
) -> None:
    await press(stuck_bot, card, card_cancel_button(slack, card), user="UOPS")
    await card_reaching(slack, "Cancelled")

    # Nobody touches the alert: its Retry now and Cancel go all the same.
    (shown,) = await eventually(
        lambda: settled_alerts(slack, card), what="the alert without its buttons"
    )
    assert "looks stuck" in shown.text
    note = shown.blocks[-1]
    assert note["type"] == "context"
    assert "moved on: <@UOPS> chose cancel; it was cancelled." in note["elements"][0]["text"]


async def test_the_alert_loses_its_buttons_when_the_operation_succeeds_after_a_restart(
    slack: FakeSlack,
    stuck_process: BotProcess,
    org: Organization,
    aws: ThreadedAwsFaultProxy,
    tmp_path: Path,
) -> None:
    card = await stalled(slack, SlackRequests(f"{stuck_process.url}/slack/events"), org, aws)
    first = alerts(slack, card)[0]
    # The process that posted the alert dies; AWS finishes the creation meanwhile.
    stuck_process.kill()
    aws.clear()

    async with stuck_process.restarted(tmp_path / "restarted.log"):
        await card_reaching(slack, "Succeeded")
        # The stall went on across the restart, so it may have been alerted again: every
        # alert goes, the one the dead process posted included.
        shown = await eventually(
            lambda: alerts(slack, card) if not any(map(has_buttons, alerts(slack, card))) else None,
            what="every alert without its buttons",
        )

    assert shown[0].ts == first.ts
    for alert in shown:
        assert "looks stuck" in alert.text
        # Settled when the first card refresh after the stall is delivered: as the account
        # is moved into its OU, or once that is done too.
        note = alert.blocks[-1]["elements"][0]["text"]
        assert re.fullmatch(r"`op-\w+` moved on: it (is running again|has succeeded)\.", note)


async def test_a_stale_alert_button_says_when_and_goes(
    slack: FakeSlack, stuck_bot: SlackRequests, card: SlackMessage
) -> None:
    # A client still showing the alert as it was posted, with Retry now.
    alert, retry, _ = the_alert(slack, card)
    late = ops_click(slack, alert, retry)
    # Cancelled from the card, not from the alert.
    await press(stuck_bot, card, card_cancel_button(slack, card))
    await card_reaching(slack, "Cancelled")

    await stuck_bot.interaction(late)
    answer = await eventually(
        lambda: [m for m in slack.messages(card.channel) if m.ephemeral_to == "UOPS"],
        what="the answer to the stale click",
    )
    assert "a moment ago" not in answer[-1].text
    assert "<!date^" in answer[-1].text and "was cancelled" in answer[-1].text
    await eventually(
        lambda: [m for m in alerts(slack, card) if not has_buttons(m)],
        what="the alert without its buttons",
    )

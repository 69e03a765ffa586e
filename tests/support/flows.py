"""What a user does in Slack, step by step, for end-to-end tests."""

from __future__ import annotations

from typing import Any

from bot.emulator.aws_faults import (
    FaultRule,
    ThreadedAwsFaultProxy,
    account_limit_reached,
    aws_error,
    create_account_status,
)
from bot.emulator.slack import FakeSlack, SlackMessage
from tests.support.organization import Organization
from tests.support.slack_requests import SlackRequests, select_value, text_value
from tests.support.waiting import eventually


async def open_new_account_form(
    slack: FakeSlack, requests: SlackRequests, text: str = "new", *, channel: str = "CPLATFORM"
) -> dict[str, Any]:
    """Type `/account <text>` and return the modal once the bot has filled it in."""
    before = len(slack.calls_to("views.update"))
    status, body = await requests.command(text, channel=channel)
    assert status == 200, body
    await eventually(
        lambda: len(slack.calls_to("views.update")) > before, what="the modal to be filled in"
    )
    view_id = slack.calls_to("views.open")[-1].params.get("view_id") or next(iter(slack.views()))
    update = slack.calls_to("views.update")[-1]
    assert update.ok, update.error
    view_id = update.params["view_id"]
    return slack.views()[view_id]


def form_values(
    *,
    name: str,
    ou_id: str,
    ou_label: str,
    team: str = "payments",
    email: str | None = None,
    purpose: str = "staging for the payments API",
) -> dict[str, dict[str, Any]]:
    return {
        "account_name": {"account_name_input": text_value(name)},
        "organizational_unit": {"organizational_unit_select": select_value(ou_id, ou_label)},
        "team": {"team_input": text_value(team)},
        "root_email": {"root_email_input": text_value(email)},
        "purpose": {"purpose_input": text_value(purpose)},
    }


def option_label(view: dict[str, Any], ou_id: str) -> str:
    block = next(b for b in view["blocks"] if b.get("block_id") == "organizational_unit")
    options = block["element"].get("options") or [
        option for group in block["element"]["option_groups"] for option in group["options"]
    ]
    return str(next(o["text"]["text"] for o in options if o["value"] == ou_id))


def cards(slack: FakeSlack, channel: str = "CPLATFORM") -> list[SlackMessage]:
    return [m for m in slack.messages(channel) if m.thread_ts is None and m.ephemeral_to is None]


def block_text(message: SlackMessage) -> str:
    """All the text a person reads in a message."""
    parts = [message.text]
    for block in message.blocks:
        for key in ("text",):
            if isinstance(block.get(key), dict):
                parts.append(block[key]["text"])
        parts.extend(f["text"] for f in block.get("fields", []))
        for element in block.get("elements", []):
            text = element.get("text", "")
            parts.append(text["text"] if isinstance(text, dict) else text)
    return "\n".join(parts)


# The last thread line of a finished operation. A card is rendered from the latest state when
# it is delivered, so it can read "Succeeded" before the thread lines queued ahead of it arrive.
FINAL_LINES = {"Succeeded": ":tada: Done", "Failed": " failed: "}


async def card_reaching(
    slack: FakeSlack, state: str, *, channel: str = "CPLATFORM", timeout: float = 30.0
) -> SlackMessage:
    """The first card in `channel` once it reads `state` (e.g. "Succeeded") and its thread is
    complete."""

    def probe() -> SlackMessage | None:
        found = cards(slack, channel)
        if not found:
            return None
        card = slack.message(channel, found[0].ts)
        if state not in block_text(card):
            return None
        final = FINAL_LINES.get(state)
        if final and not any(final in text for text in thread_texts(slack, card)):
            return None
        return card

    return await eventually(probe, timeout=timeout, what=f"a card reading {state!r}")


def thread_texts(slack: FakeSlack, card: SlackMessage) -> list[str]:
    return [block_text(m) for m in slack.thread(card.channel, card.ts)]


def card_button(card: SlackMessage, label: str) -> dict[str, str]:
    """The button labelled `label` among the card's actions."""
    actions = next(b for b in card.blocks if b.get("block_id") == "card_actions")
    return next(e for e in actions["elements"] if e["text"]["text"] == label)


async def press(requests: SlackRequests, card: SlackMessage, label: str, user: str) -> None:
    """`user` clicks the card's button labelled `label`; Slack is answered at once."""
    pressed = card_button(card, label)
    status, _ = await requests.click(
        pressed["action_id"], pressed["value"], message_ts=card.ts, user=user
    )
    assert status == 200


async def told(slack: FakeSlack, user: str, *, count: int = 1) -> str:
    """The `count`th private answer to `user` in the platform channel, once it is there."""

    def ephemeral() -> list[SlackMessage]:
        found = [m for m in slack.messages("CPLATFORM") if m.ephemeral_to == user]
        return found if len(found) >= count else []

    return (await eventually(ephemeral, what=f"a reply to {user}"))[count - 1].text


async def request_account(
    slack: FakeSlack,
    requests: SlackRequests,
    *,
    name: str,
    ou_id: str,
    email: str | None = None,
    team: str = "payments",
    purpose: str = "staging for the payments API",
    channel: str = "CPLATFORM",
) -> tuple[int, str]:
    """Type `/account new <name>`, fill in the form and submit it; returns Slack's answer."""
    view = await open_new_account_form(slack, requests, f"new {name}", channel=channel)
    values = form_values(
        name=name,
        ou_id=ou_id,
        ou_label=option_label(view, ou_id),
        email=email,
        team=team,
        purpose=purpose,
    )
    return await requests.submit_view(view, values)


async def payments_dev_card(
    slack: FakeSlack,
    requests: SlackRequests,
    org: Organization,
    aws: ThreadedAwsFaultProxy,
    *faults: FaultRule,
    ou: str = "Sandbox",
    reaching: str,
) -> SlackMessage:
    """The card of payments-dev, asked for in `ou` while AWS answers with `faults`, once it
    reads `reaching`."""
    for fault in faults:
        aws.add(fault)
    await request_account(slack, requests, name="payments-dev", ou_id=org.ous[ou])
    return await card_reaching(slack, reaching)


async def refused_creation(
    slack: FakeSlack, requests: SlackRequests, org: Organization, aws: ThreadedAwsFaultProxy
) -> SlackMessage:
    """The card of payments-dev, asked for while AWS refuses it for good, once it reads Failed."""
    return await payments_dev_card(
        slack, requests, org, aws, account_limit_reached(), reaching="Failed"
    )


async def denied_creation(
    slack: FakeSlack, requests: SlackRequests, org: Organization, aws: ThreadedAwsFaultProxy
) -> SlackMessage:
    """The card of payments-dev, asked for while the bot may not create accounts, once it reads
    Failed: a failure a Retry can get past."""
    denied = aws_error("CreateAccount", "AccessDeniedException", "Not allowed")
    return await payments_dev_card(slack, requests, org, aws, denied, reaching="Failed")


async def creation_running(
    slack: FakeSlack, requests: SlackRequests, org: Organization, aws: ThreadedAwsFaultProxy
) -> SlackMessage:
    """The card of payments-dev, asked for while AWS never finishes creating it, at step 2."""
    never_done = create_account_status("IN_PROGRESS", times=None)
    return await payments_dev_card(slack, requests, org, aws, never_done, reaching="step 2 of 3")

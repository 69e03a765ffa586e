"""`/account ops`: what on-call looks at first."""

from __future__ import annotations

from bot.emulator.aws_faults import ThreadedAwsFaultProxy
from bot.emulator.slack import FakeSlack, SlackMessage
from tests.support.flows import cards, denied_creation, request_account
from tests.support.organization import Organization
from tests.support.slack_requests import SlackRequests
from tests.support.waiting import eventually


async def ops(slack: FakeSlack, requests: SlackRequests, text: str, user: str) -> SlackMessage:
    before = len([m for m in slack.messages("CPLATFORM") if m.ephemeral_to == user])
    status, _ = await requests.command(f"ops {text}".strip(), user=user)
    assert status == 200
    answers = await eventually(
        lambda: [m for m in slack.messages("CPLATFORM") if m.ephemeral_to == user][before:],
        what="the ops listing",
    )
    return answers[0]


def shown(message: SlackMessage) -> str:
    return (
        "\n".join(b["text"]["text"] for b in message.blocks if isinstance(b.get("text"), dict))
        or message.text
    )


async def test_failed_and_finished_operations_are_where_on_call_expects_them(
    slack: FakeSlack, requests: SlackRequests, org: Organization, aws: ThreadedAwsFaultProxy
) -> None:
    await denied_creation(slack, requests, org, aws)
    await request_account(slack, requests, name="payments-stg", ou_id=org.ous["Sandbox"])
    await eventually(
        lambda: [c for c in cards(slack) if "payments-stg" in c.text and "succeeded" in c.text],
        what="the second account to be created",
    )

    attention = shown(await ops(slack, requests, "", "UOPS"))
    assert "`payments-dev` · *failed*" in attention
    assert "last error `AccessDeniedException`" in attention
    assert "by <@UENGINEER>" in attention and "|thread>" in attention
    assert "payments-stg" not in attention

    everything = shown(await ops(slack, requests, "all", "UOPS"))
    assert "payments-dev" in everything and "`payments-stg` · *succeeded*" in everything
    assert "payments-dev" in shown(await ops(slack, requests, "failed", "UOPS"))
    assert "None right now." in shown(await ops(slack, requests, "mine", "UOTHER"))
    assert "None right now." in shown(await ops(slack, requests, "stuck", "UOPS"))


async def test_an_unknown_filter_says_what_is_accepted(
    slack: FakeSlack, requests: SlackRequests
) -> None:
    answer = await ops(slack, requests, "broken", "UOPS")
    assert "`stuck`, `failed`, `mine`, `all`" in answer.text

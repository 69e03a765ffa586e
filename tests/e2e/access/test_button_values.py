"""A signed click whose button value Outpost did not build is answered and changes nothing.

Slack hands back a button's value as the card gave it, but a click may come from a card of
another app, or be forged by someone holding the signing secret's output: whatever value it
carries, the person is told privately that the button is out of date or not Outpost's, and
no grant, operation or modal is touched.
"""

from __future__ import annotations

import asyncio

import pytest

from bot.emulator.aws_faults import ThreadedAwsFaultProxy
from bot.emulator.slack import FakeSlack
from bot.ui.ids import ActionId
from tests.support.access_flows import AUDIT, button, ephemerals, holders, requested
from tests.support.flows import block_text
from tests.support.identity_center import IdentityCenter
from tests.support.slack_requests import SlackRequests
from tests.support.waiting import eventually

OUT_OF_DATE = "This button is out of date, or it is not one of Outpost's"

GARBAGE = ["DROP TABLE grants", "op-", "op-1a2b3c4d|failed|again", "{}", "x" * 3000, "bg-1a2b|"]


@pytest.mark.parametrize(
    "action",
    [
        ActionId.RETRY,
        ActionId.CANCEL,
        ActionId.RESOLVE,
        ActionId.REQUEST_AGAIN,
        ActionId.SHOW_AWS_CALLS,
        ActionId.APPROVE_ACCESS,
        ActionId.DENY_ACCESS,
        ActionId.REVOKE_ACCESS,
        ActionId.EXTEND_ACCESS,
    ],
)
async def test_a_value_outpost_never_built_is_answered_as_out_of_date(
    action: ActionId,
    slack: FakeSlack,
    requests: SlackRequests,
    aws: ThreadedAwsFaultProxy,
) -> None:
    for value in GARBAGE:
        status, _ = await requests.click(action, value, channel="CPLATFORM", user="UOPS")
        assert status == 200
    told = await eventually(
        lambda: found if len(found := ephemerals(slack, "UOPS", "CPLATFORM")) >= 6 else None,
        what="an answer to each click",
    )
    assert all(OUT_OF_DATE in text for text in told), told
    assert slack.calls_to("views.open") == []
    assert aws.calls_to("CreateAccount") == []


async def test_a_grant_s_id_with_a_field_outpost_never_wrote_changes_nothing(
    slack: FakeSlack, requests: SlackRequests, center: IdentityCenter
) -> None:
    """The id of a real pending request, with a mark that is not "withdraw": not Revoke now."""
    card = await requested(slack, requests, "billing-prod 1h investigating INC-123 in billing")
    grant_id = button(card, ActionId.REVOKE_ACCESS).partition("|")[0]
    for action, value in [
        (ActionId.REVOKE_ACCESS, f"{grant_id}|everything"),
        (ActionId.APPROVE_ACCESS, f"{grant_id}|all-of-it"),
        (ActionId.EXTEND_ACCESS, f"{grant_id}|4h"),
    ]:
        status, _ = await requests.click(
            action, value, channel=AUDIT, message_ts=card.ts, user="UENGINEER"
        )
        assert status == 200
    told = await eventually(
        lambda: found if len(found := ephemerals(slack, "UENGINEER", AUDIT)) >= 3 else None,
        what="an answer to each click",
    )
    assert all(OUT_OF_DATE in text for text in told), told
    await asyncio.sleep(0.3)  # what a click would have started has had time to show
    assert "Waiting for approval" in block_text(slack.message(AUDIT, card.ts))
    assert holders(center) == []

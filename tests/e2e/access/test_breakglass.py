"""Break-glass access end to end: the bot process, moto's Identity Center, the fake Slack API.

Requests are filed with the slash command, decided with the card's buttons as Slack sends
them, and checked where an ops engineer would look: the assignment in Identity Center, the
card, the audit channel and the requester's direct messages.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bot.emulator.aws_faults import ThreadedAwsFaultProxy, rewrite_json
from bot.emulator.slack import FakeSlack, SlackMessage
from bot.ui.ids import ActionId
from tests.support.access_flows import (
    AUDIT,
    PERMISSION_SET,
    audit_lines,
    button,
    card_reading,
    click,
    direct_messages,
    ephemerals,
    grant_cards,
    holders,
    permission_set_arn,
    request,
    requested,
    user_id,
)
from tests.support.bot_process import BotProcess
from tests.support.flows import block_text, thread_texts
from tests.support.identity_center import IdentityCenter
from tests.support.slack_requests import SlackRequests
from tests.support.waiting import eventually


async def refused_and_still_waiting(
    slack: FakeSlack, center: IdentityCenter, card: SlackMessage, user: str, why: str
) -> None:
    """`user` is told `why`; a moment later nobody has access and the card still waits."""
    refusal = await eventually(lambda: ephemerals(slack, user))
    assert why in refusal[0]
    await asyncio.sleep(0.5)
    assert holders(center) == []
    assert "Waiting for approval" in block_text(slack.message(AUDIT, card.ts))


async def test_request_approve_grant_and_revoke(
    slack: FakeSlack, requests: SlackRequests, center: IdentityCenter
) -> None:
    card = await requested(slack, requests, "billing-prod 1h investigating INC-123 in billing")
    assert "investigating INC-123" in block_text(card)
    # The approver sees what they approve.
    assert f"*Permission set*\n`{PERMISSION_SET}`" in block_text(card)
    told = await eventually(lambda: ephemerals(slack, "UENGINEER", "CPLATFORM"))
    assert "waiting for ops to approve it" in told[0]

    await click(requests, card, ActionId.APPROVE_ACCESS, "UOPS")
    card = await card_reading(slack, "Active until")
    erin = user_id(center, "erin")
    assert holders(center) == [erin]
    dm = await eventually(
        lambda: [t for t in direct_messages(slack, "UENGINEER") if "example.awsapps.com" in t]
    )
    assert "<!date^" in dm[0]
    assert PERMISSION_SET in dm[0]

    await click(requests, card, ActionId.REVOKE_ACCESS, "UENGINEER")
    card = await card_reading(slack, "access removed")
    assert holders(center) == []
    await eventually(lambda: any("revoked" in t for t in audit_lines(slack)))
    lines = audit_lines(slack)
    assert any("requested break-glass access" in t for t in lines)
    assert any("approved" in t and "<@UOPS>" in t for t in lines)
    assert any("gave access" in t for t in lines)
    assert "Approve" not in str(card.blocks)


async def test_nobody_approves_their_own_request(
    slack: FakeSlack, requests: SlackRequests, center: IdentityCenter
) -> None:
    card = await requested(
        slack, requests, "billing-prod 30m rotating the database password", user="UOPS"
    )
    assert "Waiting for approval by <@UOPS2> ·" in block_text(card)
    await click(requests, card, ActionId.APPROVE_ACCESS, "UOPS")
    await refused_and_still_waiting(slack, center, card, "UOPS", "cannot approve your own request")


async def test_only_ops_approve(
    slack: FakeSlack, requests: SlackRequests, center: IdentityCenter
) -> None:
    card = await requested(slack, requests, "billing-prod 30m reading the billing exports")
    await click(requests, card, ActionId.APPROVE_ACCESS, "UOTHER")
    await refused_and_still_waiting(slack, center, card, "UOTHER", "Only ops")


async def test_two_approvals_at_once_grant_once(
    slack: FakeSlack,
    requests: SlackRequests,
    center: IdentityCenter,
    aws: ThreadedAwsFaultProxy,
) -> None:
    card = await requested(slack, requests, "billing-prod 1h restoring last night's backup")
    value = button(card, ActionId.APPROVE_ACCESS)
    await asyncio.gather(
        click(requests, card, ActionId.APPROVE_ACCESS, "UOPS", value),
        click(requests, card, ActionId.APPROVE_ACCESS, "UOPS2", value),
    )
    await card_reading(slack, "Active until")
    refusals = await eventually(
        lambda: (
            ephemerals(slack, "UOPS") + ephemerals(slack, "UOPS2")
            if len(ephemerals(slack, "UOPS") + ephemerals(slack, "UOPS2")) == 2
            else None
        )
    )
    assert sum("already approved by" in t for t in refusals) == 1
    assert len(aws.calls_to("CreateAccountAssignment")) == 1
    assert len(holders(center)) == 1
    await eventually(lambda: any("gave access" in t for t in audit_lines(slack)))
    assert sum(" approved " in t for t in audit_lines(slack)) == 1


async def test_access_that_was_there_survives_expiry(
    slack: FakeSlack,
    requests: SlackRequests,
    center: IdentityCenter,
    aws: ThreadedAwsFaultProxy,
) -> None:
    erin = user_id(center, "erin")
    center.assign(permission_set_arn(center), erin)
    card = await requested(slack, requests, "billing-prod 2s checking the cost explorer")
    await click(requests, card, ActionId.APPROVE_ACCESS, "UOPS")
    await card_reading(slack, "already there")
    await card_reading(slack, "Ended")
    assert holders(center) == [erin]
    assert aws.calls_to("CreateAccountAssignment") == []
    assert aws.calls_to("DeleteAccountAssignment") == []
    await eventually(lambda: any("there before stays" in t for t in audit_lines(slack)))


async def test_a_grant_that_expires_while_the_bot_is_stopped_is_revoked_at_start(
    slack: FakeSlack,
    requests: SlackRequests,
    center: IdentityCenter,
    bot: BotProcess,
    tmp_path: Path,
) -> None:
    card = await requested(slack, requests, "billing-prod 3s a short look at the invoices")
    await click(requests, card, ActionId.APPROVE_ACCESS, "UOPS")
    await card_reading(slack, "Active until")
    assert len(holders(center)) == 1
    await bot.stop()
    await asyncio.sleep(3.5)
    assert len(holders(center)) == 1  # nobody revoked it while Outpost was down

    async with bot.restarted(tmp_path / "restarted.log"):
        await card_reading(slack, "expired, access removed")
        assert holders(center) == []


async def test_a_failed_assignment_is_shown_with_its_reason(
    slack: FakeSlack,
    requests: SlackRequests,
    center: IdentityCenter,
    aws: ThreadedAwsFaultProxy,
) -> None:
    reason = (
        "Received a 403 status error: User: arn:aws:sts::1:assumed-role/AWSServiceRoleForSSO "
        "is not authorized to perform: iam:CreateRole with an explicit deny in a service "
        "control policy"
    )

    def failed(body: dict[str, Any]) -> dict[str, Any]:
        body["AccountAssignmentCreationStatus"].update(Status="FAILED", FailureReason=reason)
        return body

    aws.add(rewrite_json("CreateAccountAssignment", failed))
    card = await requested(slack, requests, "billing-prod 1h investigating the failed deploy")
    await click(requests, card, ActionId.APPROVE_ACCESS, "UOPS")
    card = await card_reading(slack, "Failed")
    thread = await eventually(
        lambda: [t for t in thread_texts(slack, card) if "SCP_DENIED" in t] or None
    )
    assert "explicit deny in a service control policy" in thread[0]
    assert "service control policy" in thread[0]
    # What AWS may have created despite the failure is not left behind.
    assert holders(center) == []
    dm = await eventually(
        lambda: [t for t in direct_messages(slack, "UENGINEER") if "could not give you" in t]
    )
    assert "SCP_DENIED" in dm[0] or "service control policy" in dm[0]
    assert not any("revoked your access" in t for t in direct_messages(slack, "UENGINEER"))


async def test_a_second_request_for_the_same_access_is_refused(
    slack: FakeSlack, requests: SlackRequests
) -> None:
    await request(requests, "billing-prod 1h investigating INC-123 in billing")
    await card_reading(slack, "Waiting for approval")
    await request(requests, "billing-prod 2h the same incident, more time")
    told = await eventually(
        lambda: [t for t in ephemerals(slack, "UENGINEER", "CPLATFORM") if "already" in t]
    )
    assert "waiting for approval" in told[0]
    assert len(grant_cards(slack)) == 1

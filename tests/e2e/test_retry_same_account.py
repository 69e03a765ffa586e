"""A Retry keeps the promise of one account per name: an old failed creation is not started
again while another operation creates, or has created, the same account."""

from __future__ import annotations

import re

from bot.emulator.aws_faults import ThreadedAwsFaultProxy, create_account_status
from bot.emulator.slack import FakeSlack
from tests.support.flows import block_text, cards, denied_creation, press, request_account, told
from tests.support.organization import Organization
from tests.support.slack_requests import SlackRequests
from tests.support.waiting import eventually


async def test_retry_of_a_failed_creation_is_refused_while_another_creates_the_same_account(
    slack: FakeSlack, requests: SlackRequests, org: Organization, aws: ThreadedAwsFaultProxy
) -> None:
    failed = await denied_creation(slack, requests, org, aws)
    aws.add(create_account_status("IN_PROGRESS", times=None))
    status, _ = await request_account(
        slack, requests, name="payments-dev", ou_id=org.ous["Sandbox"]
    )
    assert status == 200
    running = await eventually(
        lambda: [c for c in cards(slack) if c.ts != failed.ts and "step 2 of 3" in block_text(c)],
        what="the second operation waiting on AWS",
    )
    other = re.findall(r"op-[0-9a-f]+", block_text(running[0]))[0]

    await press(requests, failed, "Retry", "UENGINEER")

    reply = await told(slack, "UENGINEER")
    assert other in reply
    assert "payments-dev" in reply
    assert "Failed" in block_text(slack.message(failed.channel, failed.ts))
    assert len(aws.calls_to("CreateAccount")) == 2

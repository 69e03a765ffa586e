"""Where an operation's card goes, and what a second request for the same account gets."""

from __future__ import annotations

import json

from bot.emulator.aws_faults import ThreadedAwsFaultProxy, create_account_status
from bot.emulator.slack import FakeSlack
from tests.support.flows import block_text, card_reaching, request_account
from tests.support.organization import Organization
from tests.support.slack_requests import SlackRequests
from tests.support.waiting import eventually


async def test_card_goes_to_the_requester_when_the_channel_refuses_it(
    slack: FakeSlack, requests: SlackRequests, org: Organization
) -> None:
    view_channel = "CPRIVATE"  # private, and Outpost is not a member
    await request_account(
        slack, requests, name="payments-dev", ou_id=org.ous["Sandbox"], channel=view_channel
    )
    dm = slack.dm_channel("UENGINEER")
    card = await card_reaching(slack, "Succeeded", channel=dm)
    assert "payments-dev" in block_text(card)
    assert slack.messages(view_channel) == []


async def test_a_second_request_for_an_account_being_created_is_refused(
    slack: FakeSlack, requests: SlackRequests, org: Organization, aws: ThreadedAwsFaultProxy
) -> None:
    aws.add(create_account_status("IN_PROGRESS", times=None))
    first = await request_account(slack, requests, name="payments-dev", ou_id=org.ous["Sandbox"])
    assert first == (200, "")
    await eventually(lambda: aws.calls_to("CreateAccount"), what="the first CreateAccount")
    _, body = await request_account(slack, requests, name="payments-dev", ou_id=org.ous["Sandbox"])
    errors = json.loads(body)["errors"]
    assert "is creating an account named payments-dev" in errors["account_name"]
    assert len(aws.calls_to("CreateAccount")) == 1


async def test_a_name_outpost_just_used_is_refused_before_aws_lists_it(
    slack: FakeSlack, requests: SlackRequests, org: Organization
) -> None:
    first = await request_account(slack, requests, name="payments-dev", ou_id=org.ous["Sandbox"])
    assert first == (200, "")
    await card_reaching(slack, "Succeeded")
    # Outpost's own record answers, whether or not the account list read by the form has it.
    _, body = await request_account(
        slack, requests, name="payments-dev", ou_id=org.ous["Sandbox"], email="x+1@example.com"
    )
    errors = json.loads(body)["errors"]
    assert "created an account named payments-dev" in errors["account_name"]

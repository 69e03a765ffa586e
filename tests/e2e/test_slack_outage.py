"""Slack going down never blocks the AWS work, and nothing said in the meantime is lost."""

from __future__ import annotations

from bot.emulator.aws_faults import ThreadedAwsFaultProxy, create_account_status
from bot.emulator.slack_api import FakeSlack
from tests.support.flows import card_reaching, request_account, thread_texts
from tests.support.organization import Organization
from tests.support.slack_requests import SlackRequests
from tests.support.waiting import eventually


async def test_account_is_created_while_slack_is_down_and_the_thread_catches_up_in_order(
    slack: FakeSlack, requests: SlackRequests, org: Organization, aws: ThreadedAwsFaultProxy
) -> None:
    aws.add(create_account_status("IN_PROGRESS", times=2))
    status, _ = await request_account(slack, requests, name="payments-dev", ou_id=org.ous["Prod"])
    assert status == 200
    slack.set_down(True)

    def moved() -> bool:
        account = org.account_named("payments-dev")
        return account is not None and org.parent_of(account["Id"]) == org.ous["Prod"]

    await eventually(moved, what="the account in its OU while Slack is down")
    refused = len([c for c in slack.calls if not c.ok])
    slack.set_down(False)

    card = await card_reaching(slack, "Succeeded")
    thread = thread_texts(slack, card)
    steps = ["`CreateAccount` accepted", "AWS created account", "Moved the account", "Done"]
    positions = [next(i for i, t in enumerate(thread) if s in t) for s in steps]
    assert positions == sorted(positions)
    assert len(thread) == len(steps)
    assert refused > 0, "the outage was not exercised: no call reached Slack while it was down"

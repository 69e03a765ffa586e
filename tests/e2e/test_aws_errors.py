"""AWS faults during account creation and listing: retried when transient and shown as AWS
said them; an answer that is not AWS's is shown as the error it is, never as an empty one."""

from __future__ import annotations

import json

from bot.emulator.aws_faults import (
    ThreadedAwsFaultProxy,
    create_account_status,
    garbage_answer,
    throttle,
)
from bot.emulator.slack import FakeSlack
from tests.support.flows import (
    block_text,
    payments_dev_card,
    refused_creation,
    thread_texts,
)
from tests.support.organization import Organization
from tests.support.slack_requests import SlackRequests
from tests.support.waiting import eventually


async def test_throttled_create_account_is_retried_and_each_retry_shown(
    slack: FakeSlack, requests: SlackRequests, org: Organization, aws: ThreadedAwsFaultProxy
) -> None:
    card = await payments_dev_card(
        slack, requests, org, aws, throttle("CreateAccount", times=3), reaching="Succeeded"
    )

    retries = [t for t in thread_texts(slack, card) if "retrying in" in t]
    assert len(retries) == 3
    for attempt, line in enumerate(retries, start=1):
        assert "`TooManyRequestsException` on `organizations:CreateAccount`" in line
        assert f"attempt {attempt} of 5, retrying in" in line
    assert len([a for a in org.accounts() if a["Name"] == "payments-dev"]) == 1


async def test_constraint_violation_is_shown_with_its_reason_and_not_retried(
    slack: FakeSlack, requests: SlackRequests, org: Organization, aws: ThreadedAwsFaultProxy
) -> None:
    card = await refused_creation(slack, requests, org, aws)
    assert "step 1 of 3" in block_text(card)
    assert "ConstraintViolationException" in block_text(card)
    error = next(t for t in thread_texts(slack, card) if "failed" in t)
    for shown in (
        "organizations:CreateAccount",
        "ConstraintViolationException",
        "ACCOUNT_NUMBER_LIMIT_EXCEEDED",
        "You have exceeded the allowed number of AWS accounts.",
        "*HTTP status*\n400",
        "*Request id*",
    ):
        assert shown in error
    assert len(aws.calls_to("CreateAccount")) == 1
    assert org.account_named("payments-dev") is None


async def test_slow_creation_is_polled_until_it_succeeds(
    slack: FakeSlack, requests: SlackRequests, org: Organization, aws: ThreadedAwsFaultProxy
) -> None:
    slow = create_account_status("IN_PROGRESS", times=3)
    card = await payments_dev_card(slack, requests, org, aws, slow, ou="Prod", reaching="Succeeded")

    account = org.account_named("payments-dev")
    assert account is not None
    assert org.parent_of(account["Id"]) == org.ous["Prod"]
    assert len(aws.calls_to("DescribeCreateAccountStatus")) == 4
    assert any("after 3 status checks" in t for t in thread_texts(slack, card))


async def test_failed_creation_shows_its_failure_reason(
    slack: FakeSlack, requests: SlackRequests, org: Organization, aws: ThreadedAwsFaultProxy
) -> None:
    email_taken = create_account_status("FAILED", failure_reason="EMAIL_ALREADY_EXISTS")
    card = await payments_dev_card(slack, requests, org, aws, email_taken, reaching="Failed")

    assert "step 2 of 3" in block_text(card)
    error = next(t for t in thread_texts(slack, card) if "failed" in t)
    assert "EMAIL_ALREADY_EXISTS" in error
    assert aws.calls_to("MoveAccount") == []


async def test_an_unreadable_account_listing_shows_the_error_not_an_empty_list(
    slack: FakeSlack, requests: SlackRequests, aws: ThreadedAwsFaultProxy
) -> None:
    aws.add(garbage_answer("ListAccountsForParent", "html", times=None))
    status, body = await requests.command("list", user="UENGINEER")
    assert status == 200, body

    (answer,) = await eventually(
        lambda: [m for m in slack.messages("CPLATFORM") if m.ephemeral_to == "UENGINEER"],
        what="the answer to /account list",
    )
    shown = json.dumps(answer.blocks, ensure_ascii=False)
    assert "No accounts" not in shown
    assert "Outpost could not list the accounts" in shown
    assert "`organizations:ListAccountsForParent`" in shown
    assert "`UnreadableAnswer`" in shown
    assert "What it means:" in shown
    # Retried like any transient error before it was shown.
    assert len(aws.calls_to("ListAccountsForParent")) >= 5

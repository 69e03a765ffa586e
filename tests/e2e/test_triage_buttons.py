"""The card's Retry, Cancel and Mark resolved buttons: who may use them, and what they do."""

from __future__ import annotations

import asyncio
import json

from bot.emulator.aws_faults import ThreadedAwsFaultProxy, create_account_status
from bot.emulator.slack import FakeSlack, SlackMessage
from tests.support.flows import (
    block_text,
    card_reaching,
    creation_running,
    denied_creation,
    payments_dev_card,
    press,
    request_account,
    thread_texts,
    told,
)
from tests.support.organization import Organization
from tests.support.slack_requests import SlackRequests, text_value
from tests.support.waiting import eventually


class TestRetry:
    async def test_another_engineer_is_refused_and_nothing_changes(
        self, slack, requests, org, aws
    ) -> None:
        card = await denied_creation(slack, requests, org, aws)
        await press(requests, card, "Retry", "UOTHER")
        assert "Only <@UENGINEER>, who asked for op-" in await told(slack, "UOTHER")
        assert "Failed" in block_text(slack.message(card.channel, card.ts))
        assert len(aws.calls_to("CreateAccount")) == 1

    async def test_the_requester_retries_and_the_account_is_created(
        self, slack, requests, org, aws
    ) -> None:
        card = await denied_creation(slack, requests, org, aws)
        await press(requests, card, "Retry", "UENGINEER")
        done = await card_reaching(slack, "Succeeded")
        assert org.account_named("payments-dev") is not None
        assert any("<@UENGINEER> retried" in line for line in thread_texts(slack, done))

    async def test_ops_may_retry_someone_else_s_operation(self, slack, requests, org, aws) -> None:
        card = await denied_creation(slack, requests, org, aws)
        await press(requests, card, "Retry", "UOPS")
        await card_reaching(slack, "Succeeded")


class TestCancel:
    async def stalled(self, slack, requests, org, aws) -> SlackMessage:
        return await creation_running(slack, requests, org, aws)

    async def test_another_engineer_is_refused(self, slack, requests, org, aws) -> None:
        card = await self.stalled(slack, requests, org, aws)
        await press(requests, card, "Cancel", "UOTHER")
        assert "Only <@UENGINEER>" in await told(slack, "UOTHER")
        assert "Running" in block_text(slack.message(card.channel, card.ts))

    async def test_the_requester_cancels_and_the_thread_says_what_aws_did(
        self, slack, requests, org, aws
    ) -> None:
        card = await self.stalled(slack, requests, org, aws)
        await press(requests, card, "Cancel", "UENGINEER")
        assert "it stops before its next step" in await told(slack, "UENGINEER")
        cancelled = await card_reaching(slack, "Cancelled")
        line = next(t for t in thread_texts(slack, cancelled) if "cancelled this operation" in t)
        assert "<@UENGINEER> cancelled this operation before step 2" in line
        assert "CreateAccount request `car-" in line and "not undone" in line
        # Stopped: no more status checks, although AWS still says IN_PROGRESS.
        polls = len(aws.calls_to("DescribeCreateAccountStatus"))
        await asyncio.sleep(1.0)  # several poll intervals of the test configuration
        assert len(aws.calls_to("DescribeCreateAccountStatus")) == polls


class TestMarkResolved:
    async def test_only_ops_may_mark_resolved(self, slack, requests, org, aws) -> None:
        card = await denied_creation(slack, requests, org, aws)
        await press(requests, card, "Mark resolved", "UENGINEER")
        assert "Only ops can mark" in await told(slack, "UENGINEER")
        assert len(slack.calls_to("views.open")) == 1  # the new-account modal only

    async def test_ops_note_is_required_then_recorded_in_the_thread(
        self, slack, requests, org, aws
    ) -> None:
        card = await denied_creation(slack, requests, org, aws)
        await press(requests, card, "Mark resolved", "UOPS")
        opened = await eventually(lambda: slack.calls_to("views.open")[1:], what="the modal")
        view = opened[0].params["view"]
        values = {"resolve_note": {"resolve_note_input": text_value("done")}}
        _, body = await requests.submit_view(view, values, user="UOPS")
        assert "10 characters or more" in json.loads(body)["errors"]["resolve_note"]

        note = "Raised the account quota with AWS Support <!channel>, created it by hand."
        values = {"resolve_note": {"resolve_note_input": text_value(note)}}
        assert await requests.submit_view(view, values, user="UOPS") == (200, "")
        resolved = await card_reaching(slack, "resolved by hand")
        line = next(t for t in thread_texts(slack, resolved) if "marked this resolved" in t)
        assert "<@UOPS> marked this resolved by hand" in line
        assert "Raised the account quota" in line and "<!channel>" not in line


async def test_retry_after_aws_failed_the_creation_asks_for_a_new_one(
    slack: FakeSlack, requests: SlackRequests, org: Organization, aws: ThreadedAwsFaultProxy
) -> None:
    internal = create_account_status("FAILED", failure_reason="INTERNAL_FAILURE")
    card = await payments_dev_card(slack, requests, org, aws, internal, reaching="Failed")
    await press(requests, card, "Retry", "UENGINEER")
    done = await card_reaching(slack, "Succeeded")
    # Back to step 1, not to re-reading the FAILED request. (moto really created the account
    # whose status the proxy turned into FAILED, so step 1 finds it rather than sending again.)
    assert any(
        "retried: running step 1 (Ask AWS Organizations" in line
        for line in thread_texts(slack, done)
    )


class TestEmailAlreadyUsed:
    """AWS refuses the root email: retrying the same request cannot work, a new one can."""

    async def failed(self, slack, requests, org, aws) -> SlackMessage:
        aws.add(create_account_status("FAILED", failure_reason="EMAIL_ALREADY_EXISTS"))
        await request_account(
            slack,
            requests,
            name="payments-dev",
            ou_id=org.ous["Sandbox"],
            email="taken@example.com",
            team="payments",
            purpose="staging for the payments API",
        )
        return await card_reaching(slack, "Failed")

    async def test_the_card_offers_a_new_request_instead_of_retry(
        self, slack, requests, org, aws
    ) -> None:
        card = await self.failed(slack, requests, org, aws)
        labels = [
            e["text"]["text"]
            for b in card.blocks
            if b.get("block_id") == "card_actions"
            for e in b["elements"]
        ]
        assert "Retry" not in labels
        assert "New request, other email" in labels

        before = len(slack.calls_to("views.update"))
        await press(requests, card, "New request, other email", "UENGINEER")
        await eventually(
            lambda: len(slack.calls_to("views.update")) > before, what="the form to be filled in"
        )
        update = slack.calls_to("views.update")[-1]
        assert update.ok, update.error
        view = slack.views()[update.params["view_id"]]
        inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
        assert inputs["account_name"]["initial_value"] == "payments-dev"
        assert inputs["team"]["initial_value"] == "payments"
        assert inputs["purpose"]["initial_value"] == "staging for the payments API"
        assert inputs["organizational_unit"]["initial_option"]["value"] == org.ous["Sandbox"]
        assert "initial_value" not in inputs["root_email"]

    async def test_the_error_block_names_the_call_that_reported_it(
        self, slack, requests, org, aws
    ) -> None:
        card = await self.failed(slack, requests, org, aws)
        failure = next(t for t in thread_texts(slack, card) if "EMAIL_ALREADY_EXISTS" in t)
        assert "describe-create-account-status" in failure
        assert "`organizations:DescribeCreateAccountStatus`" in failure
        assert "*Request id*" not in failure
        assert "*CreateAccountRequestId*\n`car-" in failure

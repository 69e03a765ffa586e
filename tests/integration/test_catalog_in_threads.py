"""Every catalogued AWS error, injected at the HTTP level in front of moto, produces the full
error block: in the operation's thread for the account-creation calls, and in a block Slack
accepts for the other services' calls (which later features make).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from slack_sdk.web.async_client import AsyncWebClient

from bot.aws.caller import AwsCaller
from bot.aws.catalog import ErrorEntry, ReasonEntry, Retry, catalog
from bot.aws.errors import AwsCallError
from bot.aws.organizations import OrganizationsGateway
from bot.clock import Clock, SystemClock
from bot.domain.operations import AwsFailure, Operation
from bot.emulator.aws_faults import ThreadedAwsFaultProxy, aws_error, create_account_status
from bot.emulator.slack import FakeSlack
from bot.engine.account_creation import AccountCreation, NewAccounts, PollSchedule
from bot.engine.runner import Runner
from bot.slack.narrator import OutboxNarrator
from bot.slack.outbox import OutboxWorker
from bot.ui.failure import advice_for, failure_blocks
from bot.ui.text import escape
from tests.integration.conftest import FAST_RETRIES
from tests.support.organization import Organization
from tests.support.stores import InspectableStore
from tests.unit.factories import account_request, operation

QUICK = timedelta(milliseconds=10)
MESSAGE = "AWS's own words <with> & marks"
# Not HTTP answers: connection failures are raised by botocore, InternalError by Outpost.
NOT_FROM_HTTP = {
    "EndpointConnectionError",
    "ConnectionClosedError",
    "ReadTimeoutError",
    "ConnectTimeoutError",
    "InternalError",
}


def status_for(entry: ErrorEntry) -> int:
    return 500 if entry.retry is Retry.TRANSIENT else 400


@dataclass
class Pipeline:
    slack: FakeSlack
    engine: NewAccounts
    store: InspectableStore

    async def failed_creation(self, org: Organization) -> str:
        """The thread of a new account's creation once its error block has arrived."""
        return await self.failed_thread(await self.engine.submit(new_account(org)))

    async def failed_thread(self, submitted: Operation, timeout: float = 10.0) -> str:
        """The operation's thread once its error block has arrived."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            card = await self.store.get_card(submitted.id)
            if card is not None:
                replies = self.slack.thread(card.channel, card.ts)
                text = json.dumps([m.blocks for m in replies], ensure_ascii=False)
                if "failed:" in text:
                    return text
            await asyncio.sleep(0.01)
        raise AssertionError(f"no error block in the thread of {submitted.id}")


@pytest.fixture
async def pipeline(
    store: InspectableStore, gateway: OrganizationsGateway, org: Organization, clock: Clock
) -> AsyncIterator[Pipeline]:
    async with FakeSlack() as slack:
        slack.add_channel("CPLATFORM", name="platform")
        slack.add_user("UENGINEER", name="erin", email="erin@example.com")
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url, retry_handlers=[])
        outbox = OutboxWorker(store, client, poll_interval=QUICK, retry_max=QUICK * 10, clock=clock)
        store.on_messages_committed(outbox.wake)
        narrator = OutboxNarrator(store)
        workflow = AccountCreation(gateway, store, narrator, PollSchedule(QUICK, QUICK * 5), clock)
        runner = Runner(workflow, poll_interval=QUICK, lease=timedelta(5), clock=clock)
        await outbox.start()
        await runner.start()
        yield Pipeline(slack, NewAccounts(store, narrator, runner), store)
        await runner.stop()
        await outbox.stop()


def new_account(org: Organization) -> Operation:
    request = account_request(ou_id=org.ous["Prod"], ou_name="Prod")
    return operation(at=datetime.now(UTC), request=request)


def create_account_failure(**fields: Any) -> AwsFailure:
    """What the error block of a failed CreateAccount is expected to show."""
    return AwsFailure(service="organizations", operation="CreateAccount", **fields)


def assert_full_block(shown: str, failure: AwsFailure) -> None:
    advice = advice_for(failure)
    for part in (
        f"`{failure.service}:{failure.operation}`",
        f"`{failure.code}`",
        escape(MESSAGE) if failure.reason != failure.code else failure.code,
        "*Request id*",
        "*Attempts*",
        escape(advice.meaning)[:60],
        str(advice.doc),
        "The same call by hand",
    ):
        assert part in shown, part
    if failure.reason and failure.reason != failure.code:
        assert f"`{failure.reason}`" in shown


ORGANIZATIONS_ERRORS = [
    e
    for e in catalog().errors
    if e.service in ("organizations", "*") and e.code not in NOT_FROM_HTTP
]
REASONS = [r for r in catalog().reasons if r.field.endswith("Exception.Reason")]
FAILURE_REASONS = [r for r in catalog().reasons if r.field == "CreateAccountStatus.FailureReason"]


@pytest.mark.parametrize("entry", ORGANIZATIONS_ERRORS, ids=lambda e: f"{e.service}:{e.code}")
async def test_error_codes_on_create_account(
    entry: ErrorEntry, pipeline: Pipeline, org: Organization, aws: ThreadedAwsFaultProxy
) -> None:
    aws.add(aws_error("CreateAccount", entry.code, MESSAGE, status=status_for(entry), times=None))
    shown = await pipeline.failed_creation(org)
    failure = create_account_failure(
        code=entry.code,
        message=MESSAGE,
        http_status=status_for(entry),
    )
    assert_full_block(shown, failure)
    assert "aws organizations create-account" in shown
    assert "*HTTP status*" in shown


@pytest.mark.parametrize("entry", REASONS, ids=lambda r: f"{r.field}:{r.value}")
async def test_reasons_given_with_an_error(
    entry: ReasonEntry, pipeline: Pipeline, org: Organization, aws: ThreadedAwsFaultProxy
) -> None:
    code = entry.field.removesuffix(".Reason")
    aws.add(aws_error("CreateAccount", code, MESSAGE, extra={"Reason": entry.value}))
    shown = await pipeline.failed_creation(org)
    failure = create_account_failure(
        code=code,
        message=MESSAGE,
        reason=entry.value,
        http_status=400,
    )
    assert advice_for(failure) == entry
    assert_full_block(shown, failure)


@pytest.mark.parametrize("entry", FAILURE_REASONS, ids=lambda r: r.value)
async def test_failure_reasons_of_a_failed_creation(
    entry: ReasonEntry, pipeline: Pipeline, org: Organization, aws: ThreadedAwsFaultProxy
) -> None:
    aws.add(create_account_status("FAILED", failure_reason=entry.value))
    shown = await pipeline.failed_creation(org)
    failure = create_account_failure(
        code=entry.value,
        message="",
        reason=entry.value,
    )
    assert advice_for(failure) == entry
    assert f"`{entry.value}`" in shown
    assert escape(entry.meaning)[:60] in shown
    assert str(entry.doc) in shown
    assert "aws organizations describe-create-account-status" in shown


# One real call per service, made through the same caller as every other AWS call.
SERVICE_CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "sso-admin": ("ListInstances", {}),
    "identitystore": ("ListUsers", {"IdentityStoreId": "d-1234567890"}),
    "sts": ("GetCallerIdentity", {}),
    "scheduler": ("DeleteSchedule", {"Name": "outpost-grant-1"}),
}
SERVICE_ERRORS = [e for e in catalog().errors if e.service in SERVICE_CALLS]


@pytest.mark.parametrize("entry", SERVICE_ERRORS, ids=lambda e: f"{e.service}:{e.code}")
async def test_error_codes_of_the_other_services(
    entry: ErrorEntry, aws: ThreadedAwsFaultProxy
) -> None:
    operation_name, params = SERVICE_CALLS[entry.service]
    client = boto3.client(
        entry.service,
        endpoint_url=aws.url,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}),
    )
    aws.add(aws_error("*", entry.code, MESSAGE, status=status_for(entry), times=None))
    with pytest.raises(AwsCallError) as raised:
        await AwsCaller(FAST_RETRIES, SystemClock())(
            client, entry.service, operation_name, **params
        )
    failure = raised.value.failure
    assert (failure.code, failure.message) == (entry.code, MESSAGE)
    assert advice_for(failure) == entry
    assert failure.cli is not None and failure.cli.startswith(f"aws {entry.service} ")
    async with FakeSlack() as slack:
        slack.add_channel("CPLATFORM", name="platform")
        web = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
        blocks = failure_blocks(":x: *failed*", failure)
        await web.chat_postMessage(channel="CPLATFORM", text="failed", blocks=blocks)
        (posted,) = slack.messages("CPLATFORM")
    shown = json.dumps(posted.blocks, ensure_ascii=False)
    assert_full_block(shown, failure)
    assert "--region eu-west-1" in shown


ASSIGNMENT_REASONS = [
    r for r in catalog().reasons if r.field == "AccountAssignmentOperationStatus.FailureReason"
]


@pytest.mark.parametrize("entry", ASSIGNMENT_REASONS, ids=lambda r: r.value)
def test_assignment_failure_reasons_render(entry: ReasonEntry) -> None:
    """These arrive in a status body, not as an HTTP error: the break-glass flow reads them."""
    failure = AwsFailure(
        service="sso-admin",
        operation="CreateAccountAssignment",
        code=entry.value,
        message="AWS's FailureReason text",
        reason=entry.value,
    )
    assert advice_for(failure) == entry
    shown = json.dumps(failure_blocks("x", failure), ensure_ascii=False)
    assert escape(entry.meaning)[:60] in shown

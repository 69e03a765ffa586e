"""The account cache: one shared read that a caller's timeout does not stop."""

from __future__ import annotations

import asyncio
import gc
from typing import Any, cast

import pytest

from bot.aws.directory import AccountDirectory
from bot.aws.errors import AwsCallError
from bot.aws.organizations import OrganizationsGateway
from bot.domain.accounts import AccountSummary
from tests.unit.factories import aws_failure

ACCOUNTS = [
    AccountSummary(id="111111111111", name="payments-prod", email="a@example.com", status="ACTIVE"),
    AccountSummary(id="222222222222", name="billing-prod", email="b@example.com", status="ACTIVE"),
]


class SlowOrganizations:
    """ListAccounts that answers only once released; each answer is the next in `answers`."""

    def __init__(self, *answers: list[AccountSummary] | Exception) -> None:
        self.answers = list(answers)
        self.calls = 0
        self.release = asyncio.Event()

    async def accounts(self) -> list[AccountSummary]:
        answer = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        await self.release.wait()
        if isinstance(answer, Exception):
            raise answer
        return list(answer)


def directory(organizations: SlowOrganizations) -> AccountDirectory:
    return AccountDirectory(cast(OrganizationsGateway, organizations))


async def settled(found: AccountDirectory) -> None:
    """Until the read in flight (if any) has finished and its callbacks have run."""
    for _ in range(100):
        if found._reading is None:
            return
        await asyncio.sleep(0)
    raise AssertionError("the read never finished")


async def test_a_read_that_outlasts_the_budget_still_fills_the_cache() -> None:
    organizations = SlowOrganizations(ACCOUNTS)
    found = directory(organizations)
    with pytest.raises(TimeoutError):
        await found.accounts(within=0.01)
    organizations.release.set()
    assert await found.accounts(within=1) == ACCOUNTS
    assert organizations.calls == 1
    assert await found.accounts(within=0.01) == ACCOUNTS
    assert organizations.calls == 1


async def test_a_later_caller_joins_the_read_still_running() -> None:
    organizations = SlowOrganizations(ACCOUNTS)
    found = directory(organizations)
    with pytest.raises(TimeoutError):
        await found.accounts(within=0.01)
    waiting = asyncio.create_task(found.accounts(within=5))
    await asyncio.sleep(0.01)
    organizations.release.set()
    assert await waiting == ACCOUNTS
    assert organizations.calls == 1


async def test_concurrent_callers_share_one_read() -> None:
    organizations = SlowOrganizations(ACCOUNTS)
    found = directory(organizations)
    callers = [
        asyncio.create_task(found.accounts(within=5)),
        asyncio.create_task(found.accounts(within=5)),
        asyncio.create_task(found.refresh()),
    ]
    await asyncio.sleep(0.01)
    organizations.release.set()
    assert await asyncio.gather(*callers) == [ACCOUNTS, ACCOUNTS, ACCOUNTS]
    assert organizations.calls == 1


async def test_a_failed_read_is_not_reused() -> None:
    failure = AwsCallError(aws_failure(operation="ListAccounts", code="AccessDeniedException"))
    organizations = SlowOrganizations(failure, ACCOUNTS)
    organizations.release.set()
    found = directory(organizations)
    with pytest.raises(AwsCallError):
        await found.accounts(within=1)
    assert await found.accounts(within=1) == ACCOUNTS
    assert organizations.calls == 2


async def test_a_read_that_fails_after_every_caller_gave_up_is_not_reported_unhandled() -> None:
    failure = AwsCallError(aws_failure(operation="ListAccounts", code="ThrottlingException"))
    organizations = SlowOrganizations(failure, ACCOUNTS)
    found = directory(organizations)
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    try:
        with pytest.raises(TimeoutError):
            await found.accounts(within=0.01)
        organizations.release.set()
        await settled(found)
        gc.collect()
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(previous)
    assert reported == []
    # The next caller starts a new read rather than getting the old failure.
    assert await found.accounts(within=1) == ACCOUNTS
    assert organizations.calls == 2

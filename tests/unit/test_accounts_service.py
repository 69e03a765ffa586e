"""Asking for a new account: what a request must pass before it is stored, and what is stored."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import cast

import pytest

from bot.aws.directory import AccountDirectory
from bot.aws.errors import AwsCallError
from bot.clock import FakeClock
from bot.domain.accounts import AccountSummary
from bot.domain.operations import AwsFailure, Operation
from bot.engine.account_creation import NewAccounts
from bot.services.accounts import Accounts, AccountsUnchecked, AccountTaken
from bot.store import open_store
from bot.store.base import AccountAlreadyRequested, Store
from bot.store.deadline import WriteDeadline
from tests.unit.factories import account_request

PAYMENTS = AccountSummary(
    id="111111111111", name="payments-staging", email="old@example.com", status="ACTIVE"
)


class Directory:
    """The organization's accounts, or what goes wrong reading them."""

    def __init__(self, *accounts: AccountSummary, error: Exception | None = None) -> None:
        self.listed = list(accounts)
        self.error = error

    async def accounts(self, *, within: float) -> list[AccountSummary]:
        if self.error is not None:
            raise self.error
        return self.listed


class Engine:
    """Stores what is submitted, as NewAccounts does, without running it."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def submit(self, operation: Operation, *, deadline: WriteDeadline) -> Operation:
        return await self.store.insert_operation(operation, deadline=deadline)


@pytest.fixture
async def store() -> AsyncIterator[Store]:
    opened = await open_store("memory://", clock=FakeClock())
    yield opened
    await opened.close()


def accounts(store: Store, directory: Directory, channel: str | None = None) -> Accounts:
    return Accounts(
        store,
        cast(AccountDirectory, directory),
        cast(NewAccounts, Engine(store)),
        FakeClock(),
        operations_channel=channel,
    )


class TestSubmit:
    async def test_a_request_is_stored_for_its_card_channel(self, store: Store) -> None:
        desk = accounts(store, Directory(), channel="COPS")
        submitted = await desk.submit(account_request(), "UENGINEER", "CPLATFORM", within=2)
        assert (submitted.requester, submitted.card_channel) == ("UENGINEER", "COPS")
        assert submitted.origin_channel == "CPLATFORM"
        assert await store.get_operation(submitted.id) == submitted

    async def test_a_name_or_email_the_organization_has_stores_nothing(self, store: Store) -> None:
        other = AccountSummary(
            id="333333333333",
            name="ledger",
            email="AWS+payments-staging@example.com",
            status="ACTIVE",
        )
        desk = accounts(store, Directory(PAYMENTS, other))
        with pytest.raises(AccountTaken) as taken:
            await desk.submit(account_request(), "UENGINEER", "CPLATFORM", within=2)
        assert taken.value.named == PAYMENTS and taken.value.emailed == other
        assert await store.recent_operations(10) == []

    async def test_accounts_aws_cannot_list_stop_the_request(self, store: Store) -> None:
        failure = AwsFailure(
            service="organizations", operation="ListAccounts", code="AccessDenied", message="no"
        )
        for error, said in ((AwsCallError(failure), failure), (TimeoutError(), None)):
            desk = accounts(store, Directory(error=error))
            with pytest.raises(AccountsUnchecked) as unchecked:
                await desk.submit(account_request(), "UENGINEER", "CPLATFORM", within=2)
            assert unchecked.value.failure == said
        assert await store.recent_operations(10) == []

    async def test_two_requests_at_once_make_one_operation(self, store: Store) -> None:
        desk = accounts(store, Directory())
        outcomes = await asyncio.gather(
            desk.submit(account_request(), "UENGINEER", "CPLATFORM", within=2),
            desk.submit(account_request(), "UOTHER", "CPLATFORM", within=2),
            return_exceptions=True,
        )
        assert sum(isinstance(o, Operation) for o in outcomes) == 1
        assert sum(isinstance(o, AccountAlreadyRequested) for o in outcomes) == 1
        assert len(await store.recent_operations(10)) == 1

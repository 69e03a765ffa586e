"""Finding the account a break-glass command names: the account, or a typed error and its words."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.domain.accounts import AccountSummary
from bot.domain.inventory import AccountNotFound, AccountsTooSlow, SeveralAccounts
from bot.services.inventory import find_account
from bot.ui.account_lookup import account_lookup_problem


def account(account_id: str, name: str) -> AccountSummary:
    return AccountSummary(id=account_id, name=name, email=f"{name}@example.com", status="ACTIVE")


BILLING = account("222222222222", "billing-prod")
SEARCH = account("333333333333", "search-prod")
SEARCH_TWIN = account("444444444444", "search-prod")


class Directory:
    def __init__(self, *accounts: AccountSummary, slow: bool = False) -> None:
        self.accounts, self.slow = list(accounts), slow

    async def accounts_with(
        self, wanted: Callable[[AccountSummary], bool], *, within: float
    ) -> list[AccountSummary]:
        if self.slow:
            raise TimeoutError
        return self.accounts


class TestFound:
    async def test_by_name(self) -> None:
        assert await find_account(Directory(BILLING, SEARCH), "billing-prod", within=1) == BILLING

    async def test_by_id(self) -> None:
        assert await find_account(Directory(BILLING, SEARCH), "333333333333", within=1) == SEARCH


class TestNotFound:
    async def test_a_name_near_another_is_told_with_it(self) -> None:
        with pytest.raises(AccountNotFound) as raised:
            await find_account(Directory(BILLING), "biling-prod", within=1)
        assert account_lookup_problem(raised.value) == (
            "No account named `biling-prod` is in the organization. Did you mean `billing-prod`?"
        )

    async def test_an_id_in_a_modal_is_plain_text(self) -> None:
        with pytest.raises(AccountNotFound) as raised:
            await find_account(Directory(BILLING), "999999999999", within=1)
        assert account_lookup_problem(raised.value, plain=True) == (
            "No account “999999999999” is in the organization."
        )

    async def test_a_name_shared_by_two_asks_for_the_id(self) -> None:
        with pytest.raises(SeveralAccounts) as raised:
            await find_account(Directory(SEARCH, SEARCH_TWIN), "search-prod", within=1)
        assert account_lookup_problem(raised.value) == (
            "Several accounts are named `search-prod`: `333333333333`, `444444444444`. "
            "Use the account id."
        )

    async def test_a_slow_organization_asks_to_try_again(self) -> None:
        with pytest.raises(AccountsTooSlow) as raised:
            await find_account(Directory(slow=True), "billing-prod", within=1)
        assert "try again in a moment" in account_lookup_problem(raised.value)

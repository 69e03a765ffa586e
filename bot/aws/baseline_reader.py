"""An account's alternate contacts and its budget, read for `/account show`.

Alternate contacts are read with AWS Account Management from the management account, which
names the member account by `AccountId`; for the management account itself AWS wants no
`AccountId`. The budget Outpost keeps for an account lives in the management account, named
`outpost-<account id>`. "Not set" and "no budget" are what AWS says (ResourceNotFoundException,
NotFoundException), never an answer read as empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.aws.caller import AwsCaller
from bot.aws.errors import AwsCallError
from bot.domain.access_review import (
    AlternateContact,
    AlternateContacts,
    Budget,
    ContactKind,
    NoBudget,
    Spend,
    budget_name,
)

ACCOUNT = "account"
BUDGETS = "budgets"


@dataclass(frozen=True)
class BaselineReader:
    account: Any  # a boto3 account client
    budgets: Any  # a boto3 budgets client
    call: AwsCaller

    async def contacts(self, account_id: str, *, management: bool) -> AlternateContacts:
        """The security, operations and billing contacts; the first refusal fails them all
        (they are refused for the same reason: a permission, or trusted access off)."""
        found = {
            kind.value.lower(): await self.contact(account_id, kind, management=management)
            for kind in ContactKind
        }
        return AlternateContacts(**found)

    async def contact(
        self, account_id: str, kind: ContactKind, *, management: bool
    ) -> AlternateContact | None:
        named: dict[str, Any] = {} if management else {"AccountId": account_id}
        try:
            response = await self.call(
                self.account,
                ACCOUNT,
                "GetAlternateContact",
                AlternateContactType=kind.value,
                **named,
            )
        except AwsCallError as error:
            if error.failure.code == "ResourceNotFoundException":
                return None
            raise
        raw = response["AlternateContact"]
        return AlternateContact(
            kind=kind,
            name=raw.get("Name", ""),
            title=raw.get("Title", ""),
            email=raw.get("EmailAddress", ""),
            phone=raw.get("PhoneNumber", ""),
        )

    async def budget(self, account_id: str, management_account_id: str) -> Budget | NoBudget:
        name = budget_name(account_id)
        try:
            response = await self.call(
                self.budgets,
                BUDGETS,
                "DescribeBudget",
                AccountId=management_account_id,
                BudgetName=name,
            )
        except AwsCallError as error:
            if error.failure.code == "NotFoundException":
                return NoBudget(name=name)
            raise
        raw = response["Budget"]
        spend = raw.get("CalculatedSpend") or {}
        return Budget(
            name=raw["BudgetName"],
            time_unit=raw["TimeUnit"],
            limit=_spend(raw.get("BudgetLimit")),
            actual=_spend(spend.get("ActualSpend")),
            forecast=_spend(spend.get("ForecastedSpend")),
        )


def _spend(raw: dict[str, Any] | None) -> Spend | None:
    if not raw or "Amount" not in raw:
        return None
    return Spend(amount=str(raw["Amount"]), unit=str(raw.get("Unit", "")))

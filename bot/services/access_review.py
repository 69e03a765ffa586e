"""Who can get in to an account, its contacts and its budget: the access part of `/account show`.

Three reads, each answered on its own: Identity Center's assignments on the account (with
names, and Outpost's own access marked from the account's team tags, `TEAM_PERMISSION_SET` and
the open break-glass grants), the alternate contacts, and the budget. A read AWS refuses gives
that part as the failure AWS gave, and the others are still answered: an organization without
trusted access for AWS Account Management still sees who can get in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from bot.aws.errors import AwsCallError
from bot.aws.identity_center import IdentityCenterMissing
from bot.domain.access_review import (
    AccountAccess,
    AccountReview,
    AlternateContacts,
    Budget,
    NoBudget,
    NoIdentityCenter,
    OutpostAccess,
    Principal,
    PrincipalKind,
    ProvisionedSet,
    account_access,
    principals_named,
)
from bot.domain.grants import Grant
from bot.domain.identity_center import IdentityCenterInstance
from bot.domain.inventory import AccountDetails
from bot.domain.operations import AwsFailure

T = TypeVar("T")


class AssignmentReader(Protocol):
    async def instance(self) -> IdentityCenterInstance: ...

    async def provisioned(
        self, account_id: str, instance: IdentityCenterInstance
    ) -> list[ProvisionedSet]: ...

    async def principals(
        self, wanted: Sequence[tuple[PrincipalKind, str]], instance: IdentityCenterInstance
    ) -> dict[tuple[PrincipalKind, str], Principal]: ...


class ContactsAndBudget(Protocol):
    async def contacts(self, account_id: str, *, management: bool) -> AlternateContacts: ...

    async def budget(self, account_id: str, management_account_id: str) -> Budget | NoBudget: ...


class GrantsOnAccount(Protocol):
    async def open_grants_on(self, account_id: str) -> list[Grant]: ...


class ManagementLookup(Protocol):
    async def id(self) -> str: ...


@dataclass(frozen=True)
class AccessReview:
    assignments: AssignmentReader
    baseline: ContactsAndBudget
    grants: GrantsOnAccount  # the break-glass desk
    management: ManagementLookup
    team_permission_set: str | None  # TEAM_PERMISSION_SET

    async def review(self, details: AccountDetails) -> AccountReview:
        account_id = details.account.id
        access, contacts, budget = await asyncio.gather(
            _or_failure(self._access(details)),
            _or_failure(self._contacts(account_id)),
            _or_failure(self._budget(account_id)),
        )
        return AccountReview(access=access, contacts=contacts, budget=budget)

    async def _access(self, details: AccountDetails) -> AccountAccess | NoIdentityCenter:
        try:
            instance = await self.assignments.instance()
        except IdentityCenterMissing:
            return NoIdentityCenter()
        provisioned, grants = await asyncio.gather(
            self.assignments.provisioned(details.account.id, instance),
            self.grants.open_grants_on(details.account.id),
        )
        wanted = principals_named(a for p in provisioned for a in p.assignments)
        principals = await self.assignments.principals(wanted, instance)
        outpost = OutpostAccess(
            team=details.team,
            team_group_id=details.team_group_id,
            team_permission_set=self.team_permission_set,
            grants=tuple(grants),
        )
        return account_access(provisioned, principals, outpost)

    async def _contacts(self, account_id: str) -> AlternateContacts:
        management = account_id == await self.management.id()
        return await self.baseline.contacts(account_id, management=management)

    async def _budget(self, account_id: str) -> Budget | NoBudget:
        return await self.baseline.budget(account_id, await self.management.id())


async def _or_failure(read: Awaitable[T]) -> T | AwsFailure:
    try:
        return await read
    except AwsCallError as error:
        return error.failure

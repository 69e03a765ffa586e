"""Reading the organization for `/account show` and `/account list`.

Both answer from AWS Organizations as it is now, through the retrying gateway, and add what only
Outpost's store knows: who asked for an account, when, for which team, and the break-glass
access asked for on it. This sits between
the handlers, which only parse, call and post, and the gateway, which knows AWS but not the store.

`/account list` reads accounts OU by OU (`ListAccountsForParent`) rather than `ListAccounts`
plus one `ListParents` per account: for 300 accounts in 10 OUs that is about 40 calls instead of
about 315. Teams come from the store (one query), not from one `ListTagsForResource` per account.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.aws.errors import AwsCallError
from bot.aws.organizations import OrganizationsGateway
from bot.clock import Clock
from bot.domain.accounts import AccountSummary
from bot.domain.grants import Grant
from bot.domain.inventory import (
    AccountDetails,
    AccountListing,
    AccountNotFound,
    AccountsTooSlow,
    OuNode,
    SeveralAccounts,
    build_listing,
    clean_query,
    closest,
    closest_ous,
    is_account_id,
    matching_accounts,
    ou_scope,
    teams_by_account,
)
from bot.domain.operations import Operation
from bot.store.base import Store

# `/account show` shows at most GRANTS_SHOWN grants of an account (and how many more), open or
# ended within RECENT_GRANT_DAYS.
GRANTS_SHOWN = 10
RECENT_GRANT_DAYS = 30
# To find them it reads at most this many audit events and ended grants of the account.
TRAIL_READ = 500
GRANTS_READ = GRANTS_SHOWN + 1

# ListAccountsForParent calls in flight at once: quick for big organizations, gentle on
# Organizations' request rate (throttling is retried anyway).
PARALLEL_READS = 4


@dataclass
class ManagementAccount:
    """The organization's management account, read from AWS once: it never changes."""

    organizations: OrganizationsGateway
    _id: str | None = None

    async def id(self) -> str:
        if self._id is None:
            self._id = await self.organizations.management_account_id()
        return self._id


@dataclass(frozen=True)
class Found:
    details: AccountDetails
    operations: list[Operation]  # on this account, newest first


@dataclass(frozen=True)
class Several:
    """Account names are not unique in an organization: the person must pick by id."""

    query: str
    matches: list[AccountSummary]


@dataclass(frozen=True)
class NotFound:
    query: str
    searched: str  # what was searched, in words
    closest: list[str]  # account names


Lookup = Found | Several | NotFound


@dataclass(frozen=True)
class UnknownOu:
    ou_filter: str
    closest: list[str]  # OU names


async def look_up(organizations: OrganizationsGateway, store: Store, query: str) -> Lookup:
    """Find an account by 12-digit id, or by name or root email ignoring case."""
    if is_account_id(query):
        try:
            account = await organizations.account(query)
        except AwsCallError as error:
            if error.failure.code != "AccountNotFoundException":
                raise
            return NotFound(query, "the organization for this account id (DescribeAccount)", [])
        return await _found(organizations, store, account)
    accounts = await organizations.accounts()
    matches = matching_accounts(query, accounts)
    if not matches:
        searched = (
            f"the names and root emails of the organization's {len(accounts)} accounts "
            "(ListAccounts), ignoring case"
        )
        return NotFound(query, searched, closest(query, [a.name for a in accounts]))
    if len(matches) > 1:
        return Several(query, matches)
    return await _found(organizations, store, matches[0])


async def _found(
    organizations: OrganizationsGateway, store: Store, account: AccountSummary
) -> Found:
    chain, tags, operations = await asyncio.gather(
        organizations.ancestry(account.id),
        organizations.tags_of(account.id),
        store.operations_for_account(account.id),
    )
    details = AccountDetails(account=account, ou_path=chain[-1].path, tags=tags)
    return Found(details, operations)


async def account_grants(
    store: Store, account_id: str, now: datetime, *, days: int = RECENT_GRANT_DAYS
) -> list[Grant]:
    """Break-glass grants on the account: every open one, then those that ended in the last
    `days` days, newest first. Those are found through the audit trail, which names each."""
    recent = await store.audit_events(now - timedelta(days=days), account_id, limit=TRAIL_READ)
    open_grants = await store.open_grants(account_id=account_id)
    seen = {grant.id for grant in open_grants}
    ended: list[Grant] = []
    for event in recent:  # newest first
        if event.grant_id in seen or len(ended) >= GRANTS_READ:
            continue
        seen.add(event.grant_id)
        grant = await store.get_grant(event.grant_id)
        if grant is not None and grant.state.finished:
            ended.append(grant)
    return [*reversed(open_grants), *ended]


async def account_listing(
    organizations: OrganizationsGateway, store: Store, ou_filter: str
) -> AccountListing | UnknownOu:
    """Every account of the organization, or of the OUs named `ou_filter` and those below."""
    tree = await organizations.ou_tree()
    scope = ou_scope(tree, ou_filter) if ou_filter else tree
    if not scope:
        return UnknownOu(ou_filter, closest_ous(ou_filter, tree))
    by_parent = await _accounts_by_parent(organizations, scope)
    account_ids = [account.id for accounts in by_parent.values() for account in accounts]
    teams = teams_by_account(await store.operations_for_accounts(account_ids))
    return build_listing(ou_filter, scope, by_parent, teams)


async def _accounts_by_parent(
    organizations: OrganizationsGateway, scope: Sequence[OuNode]
) -> dict[str, list[AccountSummary]]:
    gate = asyncio.Semaphore(PARALLEL_READS)

    async def read(node: OuNode) -> tuple[str, list[AccountSummary]]:
        async with gate:
            return node.id, await organizations.accounts_in(node.id)

    return dict(await asyncio.gather(*(read(node) for node in scope)))


# Finding the one account a person named, for break-glass


@dataclass(frozen=True)
class Inventory:
    """`/account show` and `/account list`, over the gateway and the store they read."""

    organizations: OrganizationsGateway
    store: Store
    clock: Clock

    async def look_up(self, query: str) -> Lookup:
        return await look_up(self.organizations, self.store, query)

    async def grants(self, account_id: str) -> list[Grant]:
        return await account_grants(self.store, account_id, self.clock.now())

    async def listing(self, ou_filter: str) -> AccountListing | UnknownOu:
        return await account_listing(self.organizations, self.store, ou_filter)


ACCOUNT_LOOKUP_ERRORS = (AccountNotFound, SeveralAccounts, AccountsTooSlow, AwsCallError)


class Directory(Protocol):
    async def accounts_with(
        self, wanted: Callable[[AccountSummary], bool], *, within: float
    ) -> list[AccountSummary]: ...


async def find_account(directory: Directory, typed: str, *, within: float) -> AccountSummary:
    """The account a word names (id or name), or one of ACCOUNT_LOOKUP_ERRORS.

    `within` is how long listing the accounts may take: Slack waits only 3 s for the answer to
    a modal submission, while a slash command is answered before the lookup.
    """
    query = clean_query(typed)

    def named(account: AccountSummary) -> bool:
        if is_account_id(query):
            return account.id == query
        return bool(matching_accounts(query, [account]))

    try:
        accounts = await directory.accounts_with(named, within=within)
    except TimeoutError:
        raise AccountsTooSlow("listing the organization's accounts took too long") from None
    if is_account_id(query):
        by_id = [a for a in accounts if a.id == query]
        if by_id:
            return by_id[0]
        raise AccountNotFound(query, by_id=True, near=[])
    found = matching_accounts(query, accounts)
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise SeveralAccounts(query, [a.id for a in found])
    raise AccountNotFound(query, by_id=False, near=closest(query, [a.name for a in accounts]))

"""AWS Organizations, as Outpost uses it: read OUs and accounts, create and place accounts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.aws.caller import AwsCaller, Watchers
from bot.domain.accounts import (
    AccountSummary,
    CreationState,
    CreationStatus,
    OrganizationalUnit,
)
from bot.domain.inventory import MAX_OU_DEPTH, ROOT_NAME, OuNode, path_of

SERVICE = "organizations"


@dataclass(frozen=True)
class OrganizationsGateway:
    client: Any  # a boto3 organizations client
    call: AwsCaller

    def watched_by(self, watchers: Watchers) -> OrganizationsGateway:
        return replace(self, call=self.call.watched_by(watchers))

    def _pages(self, operation: str, key: str, **params: Any) -> AsyncIterator[Any]:
        return self.call.pages(self.client, SERVICE, operation, key, **params)

    async def root_id(self) -> str:
        roots = [root async for root in self._pages("ListRoots", "Roots")]
        return str(roots[0]["Id"])

    async def destinations(self) -> list[OrganizationalUnit]:
        """Where a new account can go: the root itself, then every OU."""
        root = await self.root_id()
        return [OrganizationalUnit(id=root, name="Root", path="Root")] + (
            await self._units_below(root)
        )

    async def organizational_units(self) -> list[OrganizationalUnit]:
        """Every OU in the organization, breadth first, with its path from the root."""
        return await self._units_below(await self.root_id())

    async def _units_below(self, root: str) -> list[OrganizationalUnit]:
        found: list[OrganizationalUnit] = []
        parents = [(root, "Root")]
        while parents:
            parent_id, parent_path = parents.pop(0)
            async for unit in self._pages(
                "ListOrganizationalUnitsForParent", "OrganizationalUnits", ParentId=parent_id
            ):
                path = f"{parent_path} / {unit['Name']}"
                found.append(OrganizationalUnit(id=unit["Id"], name=unit["Name"], path=path))
                parents.append((unit["Id"], path))
        return found

    async def accounts(self) -> list[AccountSummary]:
        return [
            AccountSummary(id=a["Id"], name=a["Name"], email=a["Email"], status=a["Status"])
            async for a in self._pages("ListAccounts", "Accounts")
        ]

    async def create_account(
        self, *, name: str, email: str, tags: dict[str, str]
    ) -> CreationStatus:
        response = await self.call(
            self.client,
            SERVICE,
            "CreateAccount",
            idempotent=False,
            AccountName=name,
            Email=email,
            Tags=[{"Key": key, "Value": value} for key, value in tags.items()],
        )
        return _creation_status(response["CreateAccountStatus"])

    async def creation_status(self, request_id: str) -> CreationStatus:
        response = await self.call(
            self.client, SERVICE, "DescribeCreateAccountStatus", CreateAccountRequestId=request_id
        )
        return _creation_status(response["CreateAccountStatus"])

    async def creations_named(
        self, account_name: str, *, requested_since: datetime
    ) -> list[CreationStatus]:
        """Creations asked for with this name since then that have not failed, newest first.

        Names are not unique in an organization: callers must check that what they find is
        theirs.
        """
        found = [
            _creation_status(status)
            async for status in self._pages(
                "ListCreateAccountStatus",
                "CreateAccountStatuses",
                States=["IN_PROGRESS", "SUCCEEDED"],
            )
            if status["AccountName"] == account_name
            and status["RequestedTimestamp"] >= requested_since
        ]
        return sorted(found, key=lambda s: s.requested_at or requested_since, reverse=True)

    async def management_account_id(self) -> str:
        """The organization's management account (DescribeOrganization's MasterAccountId)."""
        response = await self.call(self.client, SERVICE, "DescribeOrganization")
        return str(response["Organization"]["MasterAccountId"])

    async def account(self, account_id: str) -> AccountSummary:
        response = await self.call(self.client, SERVICE, "DescribeAccount", AccountId=account_id)
        raw = response["Account"]
        return AccountSummary(
            id=raw["Id"], name=raw["Name"], email=raw["Email"], status=raw["Status"]
        )

    async def parent_of(self, account_id: str) -> str:
        parents = [p async for p in self._pages("ListParents", "Parents", ChildId=account_id)]
        return str(parents[0]["Id"])

    async def move_account(self, account_id: str, *, source: str, destination: str) -> None:
        await self.call(
            self.client,
            SERVICE,
            "MoveAccount",
            AccountId=account_id,
            SourceParentId=source,
            DestinationParentId=destination,
        )

    # Reading the organization for `/account show` and `/account list`.

    async def ou_tree(self) -> list[OuNode]:
        """The root, then every OU breadth first, each with its parent."""
        root = await self.root_id()
        tree = [OuNode(id=root, name=ROOT_NAME, path=ROOT_NAME)]
        for node in tree:  # grows as it goes: each OU's children are read in turn
            async for unit in self._pages(
                "ListOrganizationalUnitsForParent", "OrganizationalUnits", ParentId=node.id
            ):
                tree.append(
                    OuNode(
                        id=unit["Id"],
                        name=unit["Name"],
                        path=path_of([node.path, unit["Name"]]),
                        parent_id=node.id,
                    )
                )
        return tree

    async def accounts_in(self, parent_id: str) -> list[AccountSummary]:
        """The accounts directly in a root or OU, not those in the OUs below it."""
        return [
            _account_summary(raw)
            async for raw in self._pages("ListAccountsForParent", "Accounts", ParentId=parent_id)
        ]

    async def ancestry(self, child_id: str) -> list[OuNode]:
        """The root and each OU above an account or OU, from the root down."""
        above: list[tuple[str, str]] = []  # (id, name), nearest first
        current = child_id
        for _ in range(MAX_OU_DEPTH + 1):
            parents = [p async for p in self._pages("ListParents", "Parents", ChildId=current)]
            parent = parents[0]
            if parent["Type"] == "ROOT":
                above.append((parent["Id"], ROOT_NAME))
                break
            response = await self.call(
                self.client,
                SERVICE,
                "DescribeOrganizationalUnit",
                OrganizationalUnitId=parent["Id"],
            )
            above.append((parent["Id"], response["OrganizationalUnit"]["Name"]))
            current = parent["Id"]
        chain: list[OuNode] = []
        for unit_id, name in reversed(above):
            parent_node = chain[-1] if chain else None
            chain.append(
                OuNode(
                    id=unit_id,
                    name=name,
                    path=path_of([parent_node.path, name]) if parent_node else name,
                    parent_id=parent_node.id if parent_node else None,
                )
            )
        return chain

    async def tags_of(self, resource_id: str) -> dict[str, str]:
        return {
            tag["Key"]: tag["Value"]
            async for tag in self._pages("ListTagsForResource", "Tags", ResourceId=resource_id)
        }


def _account_summary(raw: dict[str, Any]) -> AccountSummary:
    return AccountSummary(id=raw["Id"], name=raw["Name"], email=raw["Email"], status=raw["Status"])


def _creation_status(raw: dict[str, Any]) -> CreationStatus:
    return CreationStatus(
        request_id=raw["Id"],
        account_name=raw["AccountName"],
        state=CreationState(raw["State"]),
        account_id=raw.get("AccountId"),  # only once the account exists
        failure_reason=raw.get("FailureReason"),  # only when it failed
        requested_at=raw["RequestedTimestamp"],
    )

"""IAM Identity Center, read for an access review: who is assigned what on one account.

`/account show` lists every permission set provisioned to an account and each group and user
assigned it, by name. AWS names principals by id only, so each id is looked up in the
identity store (DescribeGroup, DescribeUser); a review of a busy account would otherwise ask
for the same names again and again, so found names are kept a while in a small cache. Every
call goes through the one retrying `AwsCaller`, like the other gateways.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from bot.aws.caller import AwsCaller
from bot.aws.errors import AwsCallError
from bot.aws.identity_center import IDENTITY_STORE, SSO_ADMIN, IdentityCenterGateway
from bot.domain.access_review import Assignment, Principal, PrincipalKind, ProvisionedSet
from bot.domain.identity_center import IdentityCenterInstance, PermissionSet

# Names are kept this long (seconds), for at most this many principals.
NAMES_FRESH_FOR = 600.0
NAMES_KEPT = 2000
# Identity store and sso-admin calls in flight at once for one review.
PARALLEL_READS = 4


@dataclass
class NameCache:
    """Principals found recently, oldest dropped first; an id not found is never kept."""

    fresh_for: float = NAMES_FRESH_FOR
    kept: int = NAMES_KEPT
    _found: OrderedDict[tuple[str, PrincipalKind, str], tuple[float, Principal]] = field(
        default_factory=OrderedDict
    )

    def get(self, store_id: str, kind: PrincipalKind, principal_id: str) -> Principal | None:
        key = (store_id, kind, principal_id)
        entry = self._found.get(key)
        if entry is None:
            return None
        found_at, principal = entry
        if time.monotonic() - found_at >= self.fresh_for:
            del self._found[key]
            return None
        return principal

    def put(self, store_id: str, principal: Principal) -> None:
        key = (store_id, principal.kind, principal.id)
        self._found[key] = (time.monotonic(), principal)
        self._found.move_to_end(key)
        while len(self._found) > self.kept:
            self._found.popitem(last=False)


@dataclass(frozen=True)
class AccountAccessGateway:
    identity_center: IdentityCenterGateway  # finds the instance
    sso_admin: Any  # a boto3 sso-admin client
    identity_store: Any  # a boto3 identitystore client
    call: AwsCaller
    names: NameCache = field(default_factory=NameCache)

    async def instance(self) -> IdentityCenterInstance:
        """The organization's instance; IdentityCenterMissing when there is none."""
        return await self.identity_center.instance()

    async def provisioned(
        self, account_id: str, instance: IdentityCenterInstance
    ) -> list[ProvisionedSet]:
        """Each permission set provisioned to the account, with its assignments there."""
        arns = [
            arn
            async for arn in self.call.pages(
                self.sso_admin,
                SSO_ADMIN,
                "ListPermissionSetsProvisionedToAccount",
                "PermissionSets",
                InstanceArn=instance.arn,
                AccountId=account_id,
            )
        ]
        gate = asyncio.Semaphore(PARALLEL_READS)

        async def read(arn: str) -> ProvisionedSet:
            async with gate:
                permission_set = await self._permission_set(arn, instance)
                assignments = await self._assignments(account_id, arn, instance)
            return ProvisionedSet(permission_set=permission_set, assignments=tuple(assignments))

        return list(await asyncio.gather(*(read(arn) for arn in dict.fromkeys(arns))))

    async def principals(
        self, wanted: Sequence[tuple[PrincipalKind, str]], instance: IdentityCenterInstance
    ) -> dict[tuple[PrincipalKind, str], Principal]:
        """The principals the identity store still has, by (kind, id); the others left out."""
        gate = asyncio.Semaphore(PARALLEL_READS)

        async def read(kind: PrincipalKind, principal_id: str) -> Principal | None:
            async with gate:
                return await self.principal(kind, principal_id, instance)

        found = await asyncio.gather(*(read(kind, pid) for kind, pid in wanted))
        return {(p.kind, p.id): p for p in found if p is not None}

    async def principal(
        self, kind: PrincipalKind, principal_id: str, instance: IdentityCenterInstance
    ) -> Principal | None:
        """The group or user with this id, or None when the identity store has no such one."""
        store_id = instance.identity_store_id
        cached = self.names.get(store_id, kind, principal_id)
        if cached is not None:
            return cached
        operation, id_param = _DESCRIBE[kind]
        asked: dict[str, Any] = {id_param: principal_id}
        try:
            raw = await self.call(
                self.identity_store,
                IDENTITY_STORE,
                operation,
                IdentityStoreId=store_id,
                **asked,
            )
        except AwsCallError as error:
            if _no_such_principal(error, kind):
                return None
            raise
        principal = Principal(
            kind=kind,
            id=principal_id,
            name=raw.get("DisplayName") or raw.get("UserName") or principal_id,
            user_name=raw.get("UserName") if kind is PrincipalKind.USER else None,
        )
        self.names.put(store_id, principal)
        return principal

    async def _permission_set(self, arn: str, instance: IdentityCenterInstance) -> PermissionSet:
        response = await self.call(
            self.sso_admin,
            SSO_ADMIN,
            "DescribePermissionSet",
            InstanceArn=instance.arn,
            PermissionSetArn=arn,
        )
        raw = response["PermissionSet"]
        return PermissionSet(arn=raw.get("PermissionSetArn", arn), name=raw["Name"])

    async def _assignments(
        self, account_id: str, arn: str, instance: IdentityCenterInstance
    ) -> list[Assignment]:
        return [
            Assignment(kind=PrincipalKind(raw["PrincipalType"]), principal_id=raw["PrincipalId"])
            async for raw in self.call.pages(
                self.sso_admin,
                SSO_ADMIN,
                "ListAccountAssignments",
                "AccountAssignments",
                InstanceArn=instance.arn,
                AccountId=account_id,
                PermissionSetArn=arn,
            )
        ]


_DESCRIBE = {
    PrincipalKind.GROUP: ("DescribeGroup", "GroupId"),
    PrincipalKind.USER: ("DescribeUser", "UserId"),
}


def _no_such_principal(error: AwsCallError, kind: PrincipalKind) -> bool:
    """The identity store has no such group or user; not a missing identity store, which
    AWS also answers with ResourceNotFoundException (ResourceType IDENTITY_STORE)."""
    if error.failure.code != "ResourceNotFoundException":
        return False
    cause = error.__cause__
    while cause is not None and not isinstance(cause, ClientError):
        cause = cause.__cause__
    if cause is None:
        return True
    said = cause.response.get("ResourceType") or cause.response.get("Error", {}).get("ResourceType")
    return said in (None, kind.value)

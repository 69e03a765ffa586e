"""IAM Identity Center, as Outpost uses it: find users and groups, grant and revoke access.

Access to an account is an account assignment (a user or a group, a permission set, an account)
in the organization's Identity Center instance. Break-glass access is a user's; a team's access
to its own accounts is its group's. Creating or deleting one is asynchronous: AWS accepts the
request and answers with a request id whose status is then polled. Every call goes through the
one retrying `AwsCaller`, so each is retried under the catalog's policy and recorded with its
request id, like the Organizations gateway's.

Identity Center answers only in its home Region: the clients must be built for that Region.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass, replace
from typing import Any

from botocore.exceptions import ClientError

from bot.aws.caller import AwsCaller, Watchers
from bot.aws.errors import AwsCallError
from bot.domain.errors import NotFound
from bot.domain.identity_center import (
    AssignmentState,
    AssignmentStatus,
    Group,
    IdentityCenterInstance,
    PermissionSet,
)

SSO_ADMIN = "sso-admin"
IDENTITY_STORE = "identitystore"
USER = "USER"
GROUP = "GROUP"
# How many existing permission set names a PermissionSetNotFound lists.
NAMES_SHOWN = 20


class IdentityCenterMissing(NotFound):
    """ListInstances found no Identity Center instance."""

    def __init__(self) -> None:
        super().__init__(
            "IAM Identity Center is not enabled in this region/organization: ListInstances "
            "found no instance. Enable it in the management account, and check that "
            "AWS_REGION is Identity Center's home Region."
        )


class PermissionSetNotFound(NotFound):
    """No permission set has the name asked for; the message lists the names that exist."""

    def __init__(self, name: str, existing: list[str]) -> None:
        super().__init__(f"No permission set is named {name!r}. {_names_shown(existing)}")
        self.name = name
        self.existing = existing


def _names_shown(names: list[str]) -> str:
    if not names:
        return "This Identity Center instance has no permission sets."
    shown = ", ".join(sorted(names)[:NAMES_SHOWN])
    more = len(names) - NAMES_SHOWN
    return f"Permission sets: {shown}" + (f" and {more} more." if more > 0 else ".")


@dataclass(frozen=True)
class IdentityCenterGateway:
    sso_admin: Any  # a boto3 sso-admin client
    identity_store: Any  # a boto3 identitystore client
    call: AwsCaller

    def watched_by(self, watchers: Watchers) -> IdentityCenterGateway:
        return replace(self, call=self.call.watched_by(watchers))

    def _pages(self, operation: str, key: str, **params: Any) -> AsyncGenerator[Any, None]:
        return self.call.pages(self.sso_admin, SSO_ADMIN, operation, key, **params)

    async def instance(self) -> IdentityCenterInstance:
        """The organization's Identity Center instance (the first one ListInstances gives)."""
        async with aclosing(self._pages("ListInstances", "Instances")) as instances:
            async for raw in instances:
                return IdentityCenterInstance(
                    arn=raw["InstanceArn"], identity_store_id=raw["IdentityStoreId"]
                )
        raise IdentityCenterMissing()

    # Permission sets

    async def permission_set(
        self, name_or_arn: str, instance: IdentityCenterInstance
    ) -> PermissionSet:
        """The permission set with this ARN, or else with exactly this name (case counts).

        An ARN that does not exist fails as AWS says (AwsCallError); a name that does not
        raises PermissionSetNotFound.
        """
        if name_or_arn.startswith("arn:"):
            return await self._describe_permission_set(name_or_arn, instance)
        return await self._permission_set_named(name_or_arn, instance)

    async def _permission_set_named(
        self, name: str, instance: IdentityCenterInstance
    ) -> PermissionSet:
        """ListPermissionSets gives only ARNs: describe each until the name matches."""
        seen: list[str] = []
        async with aclosing(
            self._pages("ListPermissionSets", "PermissionSets", InstanceArn=instance.arn)
        ) as arns:
            async for arn in arns:
                permission_set = await self._describe_permission_set(arn, instance)
                if permission_set.name == name:
                    return permission_set
                seen.append(permission_set.name)
        raise PermissionSetNotFound(name, seen)

    async def _describe_permission_set(
        self, arn: str, instance: IdentityCenterInstance
    ) -> PermissionSet:
        response = await self.call(
            self.sso_admin,
            SSO_ADMIN,
            "DescribePermissionSet",
            InstanceArn=instance.arn,
            PermissionSetArn=arn,
        )
        raw = response["PermissionSet"]
        return PermissionSet(arn=raw.get("PermissionSetArn", arn), name=raw["Name"])

    # Users

    async def user_id_for_email(self, email: str, instance: IdentityCenterInstance) -> str | None:
        """The Identity Center user with this email, or else with it as user name; or None.

        GetUserId matches exactly, so the email is tried as given and then lower-cased.
        """
        spellings = list(dict.fromkeys([email, email.lower()]))
        for path in ("emails.value", "userName"):
            for value in spellings:
                user_id = await self._user_id(path, value, instance)
                if user_id is not None:
                    return user_id
        return None

    async def _user_id(self, path: str, value: str, instance: IdentityCenterInstance) -> str | None:
        try:
            response = await self.call(
                self.identity_store,
                IDENTITY_STORE,
                "GetUserId",
                IdentityStoreId=instance.identity_store_id,
                AlternateIdentifier={
                    "UniqueAttribute": {"AttributePath": path, "AttributeValue": value}
                },
            )
        except AwsCallError as error:
            if _no_such_user(error):
                return None
            raise
        return str(response["UserId"])

    # Groups

    async def groups(self, instance: IdentityCenterInstance) -> list[Group]:
        """Every group of the identity store (ListGroups filters by exact name only)."""
        return [
            _group(raw)
            async for raw in self.call.pages(
                self.identity_store,
                IDENTITY_STORE,
                "ListGroups",
                "Groups",
                IdentityStoreId=instance.identity_store_id,
            )
        ]

    async def group(self, group_id: str, instance: IdentityCenterInstance) -> Group | None:
        """The group with this id, or None when the identity store has none."""
        try:
            raw = await self.call(
                self.identity_store,
                IDENTITY_STORE,
                "DescribeGroup",
                IdentityStoreId=instance.identity_store_id,
                GroupId=group_id,
            )
        except AwsCallError as error:
            if error.failure.code == "ResourceNotFoundException" and _resource_type(error) in (
                None,
                GROUP,
            ):
                return None
            raise
        return _group(raw)

    # Account assignments

    async def assignments(
        self, account_id: str, permission_set_arn: str, instance: IdentityCenterInstance
    ) -> list[str]:
        """The ids of the users (not groups) given this permission set in this account."""
        return await self._principals(USER, account_id, permission_set_arn, instance)

    async def group_assignments(
        self, account_id: str, permission_set_arn: str, instance: IdentityCenterInstance
    ) -> list[str]:
        """The ids of the groups given this permission set in this account."""
        return await self._principals(GROUP, account_id, permission_set_arn, instance)

    async def _principals(
        self,
        kind: str,
        account_id: str,
        permission_set_arn: str,
        instance: IdentityCenterInstance,
    ) -> list[str]:
        return [
            raw["PrincipalId"]
            async for raw in self._pages(
                "ListAccountAssignments",
                "AccountAssignments",
                InstanceArn=instance.arn,
                AccountId=account_id,
                PermissionSetArn=permission_set_arn,
            )
            if raw["PrincipalType"] == kind
        ]

    async def create_group_assignment(
        self,
        account_id: str,
        permission_set_arn: str,
        group_id: str,
        instance: IdentityCenterInstance,
    ) -> AssignmentStatus:
        """Ask AWS to give the group the permission set in the account; poll `creation_status`.

        Not idempotent as far as Outpost can tell: look at `group_assignments` before asking
        again after an outcome that is unknown.
        """
        return await self._change_assignment(
            _CREATION, account_id, permission_set_arn, group_id, instance, principal_type=GROUP
        )

    async def create_assignment(
        self,
        account_id: str,
        permission_set_arn: str,
        user_id: str,
        instance: IdentityCenterInstance,
    ) -> AssignmentStatus:
        """Ask AWS to give the user the permission set in the account; poll `creation_status`.

        Sent again only when AWS turned it away: when the outcome is unknown, look at
        `assignments` before asking again.
        """
        return await self._change_assignment(
            _CREATION, account_id, permission_set_arn, user_id, instance
        )

    async def creation_status(
        self, request_id: str, instance: IdentityCenterInstance
    ) -> AssignmentStatus:
        return await self._change_status(_CREATION, request_id, instance)

    async def delete_assignment(
        self,
        account_id: str,
        permission_set_arn: str,
        user_id: str,
        instance: IdentityCenterInstance,
    ) -> AssignmentStatus:
        """Ask AWS to take the permission set in the account from the user; poll `deletion_status`.

        Sent again only when AWS turned it away, as `create_assignment`.
        """
        return await self._change_assignment(
            _DELETION, account_id, permission_set_arn, user_id, instance
        )

    async def deletion_status(
        self, request_id: str, instance: IdentityCenterInstance
    ) -> AssignmentStatus:
        return await self._change_status(_DELETION, request_id, instance)

    async def _change_assignment(
        self,
        change: _AssignmentChange,
        account_id: str,
        permission_set_arn: str,
        principal_id: str,
        instance: IdentityCenterInstance,
        *,
        principal_type: str = USER,
    ) -> AssignmentStatus:
        response = await self.call(
            self.sso_admin,
            SSO_ADMIN,
            change.operation,
            idempotent=False,
            InstanceArn=instance.arn,
            TargetId=account_id,
            TargetType="AWS_ACCOUNT",
            PermissionSetArn=permission_set_arn,
            PrincipalType=principal_type,
            PrincipalId=principal_id,
        )
        return _assignment_status(
            response[change.status_key],
            account_id=account_id,
            permission_set_arn=permission_set_arn,
            principal_id=principal_id,
        )

    async def _change_status(
        self, change: _AssignmentChange, request_id: str, instance: IdentityCenterInstance
    ) -> AssignmentStatus:
        asked: dict[str, Any] = {change.request_id_param: request_id}
        response = await self.call(
            self.sso_admin, SSO_ADMIN, change.describe, InstanceArn=instance.arn, **asked
        )
        return _assignment_status(response[change.status_key])


@dataclass(frozen=True)
class _AssignmentChange:
    """The names AWS gives one kind of asynchronous assignment change (create or delete)."""

    operation: str
    describe: str
    request_id_param: str
    status_key: str


_CREATION = _AssignmentChange(
    operation="CreateAccountAssignment",
    describe="DescribeAccountAssignmentCreationStatus",
    request_id_param="AccountAssignmentCreationRequestId",
    status_key="AccountAssignmentCreationStatus",
)
_DELETION = _AssignmentChange(
    operation="DeleteAccountAssignment",
    describe="DescribeAccountAssignmentDeletionStatus",
    request_id_param="AccountAssignmentDeletionRequestId",
    status_key="AccountAssignmentDeletionStatus",
)


def _assignment_status(
    raw: dict[str, Any],
    *,
    account_id: str | None = None,
    permission_set_arn: str | None = None,
    principal_id: str | None = None,
) -> AssignmentStatus:
    """AWS's AccountAssignmentOperationStatus; what was sent fills in what AWS leaves out."""
    return AssignmentStatus(
        request_id=raw["RequestId"],
        state=AssignmentState(raw["Status"]),
        failure_reason=raw.get("FailureReason"),
        account_id=raw.get("TargetId", account_id),
        permission_set_arn=raw.get("PermissionSetArn", permission_set_arn),
        principal_id=raw.get("PrincipalId", principal_id),
    )


def _group(raw: dict[str, Any]) -> Group:
    return Group(
        id=raw["GroupId"],
        name=raw.get("DisplayName") or raw["GroupId"],
        description=raw.get("Description") or "",
    )


def _no_such_user(error: AwsCallError) -> bool:
    """GetUserId found no user; not a missing identity store, which is a real error."""
    if error.failure.code != "ResourceNotFoundException":
        return False
    return _resource_type(error) in (None, USER)


def _resource_type(error: BaseException) -> str | None:
    """The ResourceType AWS gave with the ClientError behind an AwsCallError, if any."""
    cause = error.__cause__
    while cause is not None and not isinstance(cause, ClientError):
        cause = cause.__cause__
    if cause is None:
        return None
    found = cause.response.get("ResourceType") or cause.response.get("Error", {}).get(
        "ResourceType"
    )
    return str(found) if found else None

"""IAM Identity Center, as break-glass access uses it: find the user, grant and revoke access.

Access to an account is an account assignment (user, permission set, account) in the
organization's Identity Center instance. Creating or deleting one is asynchronous: AWS accepts
the request and answers with a request id whose status is then polled. Every call goes through
the one retrying `AwsCaller`, so each is retried under the catalog's policy and recorded with its
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
    IdentityCenterInstance,
    PermissionSet,
)

SSO_ADMIN = "sso-admin"
IDENTITY_STORE = "identitystore"
USER = "USER"
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

    async def _pages(self, operation: str, key: str, **params: Any) -> AsyncGenerator[Any, None]:
        """Follow NextToken by hand, so that each page goes through the retry point.

        The caller has checked that each page holds `key` (see `answers.py`): a page without
        it is an error, never an empty page.
        """
        token: str | None = None
        while True:
            page_params = dict(params, NextToken=token) if token else params
            page = await self.call(self.sso_admin, SSO_ADMIN, operation, **page_params)
            for item in page[key]:
                yield item
            token = page.get("NextToken")
            if not token:
                return

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

    # Account assignments

    async def assignments(
        self, account_id: str, permission_set_arn: str, instance: IdentityCenterInstance
    ) -> list[str]:
        """The ids of the users (not groups) given this permission set in this account."""
        return [
            raw["PrincipalId"]
            async for raw in self._pages(
                "ListAccountAssignments",
                "AccountAssignments",
                InstanceArn=instance.arn,
                AccountId=account_id,
                PermissionSetArn=permission_set_arn,
            )
            if raw["PrincipalType"] == USER
        ]

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
        response = await self._change_assignment(
            "CreateAccountAssignment", account_id, permission_set_arn, user_id, instance
        )
        return _assignment_status(
            response["AccountAssignmentCreationStatus"],
            account_id=account_id,
            permission_set_arn=permission_set_arn,
            principal_id=user_id,
        )

    async def creation_status(
        self, request_id: str, instance: IdentityCenterInstance
    ) -> AssignmentStatus:
        response = await self.call(
            self.sso_admin,
            SSO_ADMIN,
            "DescribeAccountAssignmentCreationStatus",
            InstanceArn=instance.arn,
            AccountAssignmentCreationRequestId=request_id,
        )
        return _assignment_status(response["AccountAssignmentCreationStatus"])

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
        response = await self._change_assignment(
            "DeleteAccountAssignment", account_id, permission_set_arn, user_id, instance
        )
        return _assignment_status(
            response["AccountAssignmentDeletionStatus"],
            account_id=account_id,
            permission_set_arn=permission_set_arn,
            principal_id=user_id,
        )

    async def deletion_status(
        self, request_id: str, instance: IdentityCenterInstance
    ) -> AssignmentStatus:
        response = await self.call(
            self.sso_admin,
            SSO_ADMIN,
            "DescribeAccountAssignmentDeletionStatus",
            InstanceArn=instance.arn,
            AccountAssignmentDeletionRequestId=request_id,
        )
        return _assignment_status(response["AccountAssignmentDeletionStatus"])

    async def _change_assignment(
        self,
        operation: str,
        account_id: str,
        permission_set_arn: str,
        user_id: str,
        instance: IdentityCenterInstance,
    ) -> dict[str, Any]:
        return await self.call(
            self.sso_admin,
            SSO_ADMIN,
            operation,
            idempotent=False,
            InstanceArn=instance.arn,
            TargetId=account_id,
            TargetType="AWS_ACCOUNT",
            PermissionSetArn=permission_set_arn,
            PrincipalType=USER,
            PrincipalId=user_id,
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

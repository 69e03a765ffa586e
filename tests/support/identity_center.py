"""moto's IAM Identity Center, set up and read by the tests directly (not through the proxy)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.domain.identity_center import IdentityCenterInstance
from tests.support.aws_clients import REGION, moto_client

__all__ = ["ACCOUNT", "REGION", "IdentityCenter", "moto_client"]

ACCOUNT = "111122223333"  # moto does not check that an assignment's account exists


@dataclass
class IdentityCenter:
    """moto's Identity Center instance, set up and read without the proxy."""

    admin: Any
    store: Any
    arn: str
    store_id: str
    account: str = ACCOUNT

    @classmethod
    def in_moto(cls, endpoint: str, account: str = ACCOUNT) -> IdentityCenter:
        admin, store = moto_client("sso-admin", endpoint), moto_client("identitystore", endpoint)
        (instance,) = admin.list_instances()["Instances"]
        return cls(admin, store, instance["InstanceArn"], instance["IdentityStoreId"], account)

    @property
    def instance(self) -> IdentityCenterInstance:
        return IdentityCenterInstance(arn=self.arn, identity_store_id=self.store_id)

    def permission_set(self, name: str) -> str:
        created = self.admin.create_permission_set(Name=name, InstanceArn=self.arn)
        return str(created["PermissionSet"]["PermissionSetArn"])

    def user(self, user_name: str, email: str | None = None) -> str:
        emails = [{"Value": email, "Type": "work", "Primary": True}] if email else []
        created = self.store.create_user(
            IdentityStoreId=self.store_id,
            UserName=user_name,
            DisplayName=user_name,
            Name={"GivenName": "Given", "FamilyName": "Family"},
            Emails=emails,
        )
        return str(created["UserId"])

    def assign(self, permission_set_arn: str, principal_id: str, kind: str = "USER") -> None:
        self.admin.create_account_assignment(
            InstanceArn=self.arn,
            TargetId=self.account,
            TargetType="AWS_ACCOUNT",
            PermissionSetArn=permission_set_arn,
            PrincipalType=kind,
            PrincipalId=principal_id,
        )

    def assigned(self, permission_set_arn: str) -> list[tuple[str, str]]:
        pages = self.admin.get_paginator("list_account_assignments").paginate(
            InstanceArn=self.arn, AccountId=self.account, PermissionSetArn=permission_set_arn
        )
        return [
            (raw["PrincipalType"], raw["PrincipalId"])
            for page in pages
            for raw in page["AccountAssignments"]
        ]

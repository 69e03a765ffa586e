"""A small AWS organization in moto, and readers for what the tests check in it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from tests.support.aws_clients import moto_client


def organizations(endpoint: str) -> Any:
    return moto_client("organizations", endpoint)


@dataclass
class Organization:
    client: Any
    root_id: str
    ous: dict[str, str]  # name -> id

    def accounts(self) -> list[dict[str, Any]]:
        pages = self.client.get_paginator("list_accounts").paginate()
        return [account for page in pages for account in page["Accounts"]]

    def account_named(self, name: str) -> dict[str, Any] | None:
        return next((a for a in self.accounts() if a["Name"] == name), None)

    def account_id(self, name: str) -> str:
        """The id of the account named `name`, which the test expects to be there."""
        account = self.account_named(name)
        assert account is not None, f"no account named {name}"
        return str(account["Id"])

    def parent_of(self, account_id: str) -> str:
        return str(self.client.list_parents(ChildId=account_id)["Parents"][0]["Id"])

    def tags_of(self, account_id: str) -> dict[str, str]:
        tags = self.client.list_tags_for_resource(ResourceId=account_id)["Tags"]
        return {tag["Key"]: tag["Value"] for tag in tags}


def reset_moto(endpoint: str) -> None:
    requests.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()


def make_organization(endpoint: str) -> Organization:
    """Root, two OUs (Workloads with Prod below it, and Sandbox), and one existing account."""
    reset_moto(endpoint)
    client = organizations(endpoint)
    client.create_organization(FeatureSet="ALL")
    root_id = client.list_roots()["Roots"][0]["Id"]
    workloads = client.create_organizational_unit(ParentId=root_id, Name="Workloads")
    prod = client.create_organizational_unit(
        ParentId=workloads["OrganizationalUnit"]["Id"], Name="Prod"
    )
    sandbox = client.create_organizational_unit(ParentId=root_id, Name="Sandbox")
    client.create_account(AccountName="billing-prod", Email="aws+billing-prod@example.com")
    return Organization(
        client=client,
        root_id=root_id,
        ous={
            "Workloads": workloads["OrganizationalUnit"]["Id"],
            "Prod": prod["OrganizationalUnit"]["Id"],
            "Sandbox": sandbox["OrganizationalUnit"]["Id"],
        },
    )

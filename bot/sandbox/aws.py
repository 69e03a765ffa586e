"""The sandbox's AWS: a moto server in this process, seeded like a small company's organization.

The bot reaches it through the fault proxy (so the page can throttle or fail calls); the page
reads it directly, to show the organization and who has access, unaffected by those faults.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any, Final

import boto3
from botocore.config import Config

from bot.sandbox.people import PERSONAS
from bot.sandbox.settings import PERMISSION_SET

log = logging.getLogger("outpost.sandbox")

REGION: Final = "us-east-1"
# Credentials moto accepts; the sandbox never holds real ones.
ACCESS_KEY: Final = "sandbox"
SECRET_KEY: Final = "sandbox"

_PROXY_VARIABLES: Final = frozenset({"http_proxy", "https_proxy", "all_proxy", "no_proxy"})

# (OU path, account name) of the accounts the organization starts with.
_ACCOUNTS: Final = (
    ("Workloads/Prod", "billing-prod"),
    ("Workloads/Prod", "search-prod"),
    ("Workloads/Staging", "search-staging"),
    ("Security", "log-archive"),
)
_OUS: Final = ("Workloads", "Workloads/Prod", "Workloads/Staging", "Security", "Sandbox")


def client(service: Any, endpoint: str) -> Any:
    """A boto3 client straight to moto (`service` is a name; Any keeps the stubs' overloads out)."""
    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"total_max_attempts": 1}),
    )


def isolate_from_real_aws() -> None:
    """Give this process's boto3 made-up credentials, and nothing that could lead elsewhere.

    A profile, a session token, a per-service endpoint or an HTTP proxy from the environment
    would otherwise send calls somewhere real. Called first, before any client is made;
    `point_aws_at` then names the one endpoint.
    """
    for name in list(os.environ):
        if name.startswith("AWS_") or name.lower() in _PROXY_VARIABLES:
            del os.environ[name]
    os.environ.update(
        NO_PROXY="127.0.0.1,localhost",
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=SECRET_KEY,
        AWS_REGION=REGION,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
    )


def point_aws_at(endpoint: str) -> None:
    """Every boto3 client made from now on calls `endpoint` (the fault proxy)."""
    os.environ["AWS_ENDPOINT_URL"] = endpoint


@dataclass
class SeededAws:
    """What the sandbox put in moto, and readers for the page's AWS panel."""

    endpoint: str
    root_id: str = ""
    ous: dict[str, str] = field(default_factory=dict)  # path -> id
    instance_arn: str = ""
    identity_store_id: str = ""
    permission_set_arn: str = ""

    def seed(self) -> None:
        organizations = client("organizations", self.endpoint)
        organizations.create_organization(FeatureSet="ALL")
        self.root_id = organizations.list_roots()["Roots"][0]["Id"]
        for path in _OUS:
            parent, _, name = path.rpartition("/")
            parent_id = self.ous[parent] if parent else self.root_id
            made = organizations.create_organizational_unit(ParentId=parent_id, Name=name)
            self.ous[path] = made["OrganizationalUnit"]["Id"]
        for path, name in _ACCOUNTS:
            created = organizations.create_account(
                AccountName=name, Email=f"aws+{name}@sandbox.example"
            )
            account_id = created["CreateAccountStatus"]["AccountId"]
            organizations.move_account(
                AccountId=account_id,
                SourceParentId=self.root_id,
                DestinationParentId=self.ous[path],
            )
        self._seed_identity_center()
        log.info(
            "AWS: organization with %d OUs and %d accounts; Identity Center with permission "
            "set %s and %d users",
            len(_OUS),
            len(_ACCOUNTS),
            PERMISSION_SET,
            len(PERSONAS),
        )

    def _seed_identity_center(self) -> None:
        admin = client("sso-admin", self.endpoint)
        store = client("identitystore", self.endpoint)
        (instance,) = admin.list_instances()["Instances"]
        self.instance_arn = instance["InstanceArn"]
        self.identity_store_id = instance["IdentityStoreId"]
        made = admin.create_permission_set(
            Name=PERMISSION_SET,
            InstanceArn=self.instance_arn,
            Description="Emergency administrator access, granted for a few hours at a time",
            SessionDuration="PT1H",
        )
        self.permission_set_arn = made["PermissionSet"]["PermissionSetArn"]
        for person in PERSONAS:
            given, _, family = person.real_name.partition(" ")
            store.create_user(
                IdentityStoreId=self.identity_store_id,
                UserName=person.email,
                DisplayName=person.real_name,
                Name={"GivenName": given, "FamilyName": family or given},
                Emails=[{"Value": person.email, "Type": "work", "Primary": True}],
            )

    def describe(self) -> dict[str, Any]:
        """The organization and break-glass assignments, for the page (blocking: boto3)."""
        organizations = client("organizations", self.endpoint)
        parents: dict[str, str] = {}
        ous: list[dict[str, str]] = []
        pending = [self.root_id]
        while pending:
            parent = pending.pop(0)
            units = organizations.get_paginator("list_organizational_units_for_parent")
            for page in units.paginate(ParentId=parent):
                for unit in page["OrganizationalUnits"]:
                    ous.append({"id": unit["Id"], "name": unit["Name"], "parent_id": parent})
                    pending.append(unit["Id"])
            for page in organizations.get_paginator("list_accounts_for_parent").paginate(
                ParentId=parent
            ):
                for account in page["Accounts"]:
                    parents[account["Id"]] = parent
        accounts = [
            {
                "id": account["Id"],
                "name": account["Name"],
                "email": account["Email"],
                "status": account["Status"],
                "parent_id": parents.get(account["Id"], self.root_id),
                "joined": account["JoinedTimestamp"].isoformat(),
            }
            for page in organizations.get_paginator("list_accounts").paginate()
            for account in page["Accounts"]
        ]
        names = {account["id"]: account["name"] for account in accounts}
        return {
            "organization": {
                "id": organizations.describe_organization()["Organization"]["Id"],
                "root_id": self.root_id,
                "ous": ous,
                "accounts": accounts,
            },
            "identity_center": {
                "permission_sets": [{"arn": self.permission_set_arn, "name": PERMISSION_SET}],
                "assignments": self._assignments(names),
            },
        }

    def _assignments(self, names: dict[str, str]) -> list[dict[str, str]]:
        admin = client("sso-admin", self.endpoint)
        store = client("identitystore", self.endpoint)
        users = {
            user["UserId"]: user.get("DisplayName") or user["UserName"]
            for page in store.get_paginator("list_users").paginate(
                IdentityStoreId=self.identity_store_id
            )
            for user in page["Users"]
        }
        found: list[dict[str, str]] = []
        for account_id, name in names.items():
            pages = admin.get_paginator("list_account_assignments").paginate(
                InstanceArn=self.instance_arn,
                AccountId=account_id,
                PermissionSetArn=self.permission_set_arn,
            )
            for page in pages:
                for assignment in page["AccountAssignments"]:
                    found.append(
                        {
                            "account_id": account_id,
                            "account_name": name,
                            "user": users.get(assignment["PrincipalId"], assignment["PrincipalId"]),
                            "permission_set": PERMISSION_SET,
                        }
                    )
        return found

"""The sandbox's AWS: a moto server in this process, seeded like a small company's organization.

The bot reaches it through the fault proxy (so the page can throttle or fail calls); the page
reads it directly, to show the organization, who has access (people and teams), the accounts'
alternate contacts and their budgets, unaffected by those faults.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any, Final

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from bot.sandbox.people import PERSONAS, TEAMS
from bot.sandbox.settings import CLOSED_OU, PERMISSION_SET, TEAM_PERMISSION_SET

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
_OUS: Final = ("Workloads", "Workloads/Prod", "Workloads/Staging", "Security", "Sandbox", CLOSED_OU)
_CONTACT_TYPES: Final = ("SECURITY", "OPERATIONS", "BILLING")


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
    team_permission_set_arn: str = ""
    accounts: dict[str, str] = field(default_factory=dict)  # name -> id
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

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
            self.accounts[name] = account_id
            organizations.move_account(
                AccountId=account_id,
                SourceParentId=self.root_id,
                DestinationParentId=self.ous[path],
            )
        self._seed_identity_center()
        log.info(
            "AWS: organization with %d OUs and %d accounts; Identity Center with permission "
            "sets %s and %s, %d users and %d team groups",
            len(_OUS),
            len(_ACCOUNTS),
            PERMISSION_SET,
            TEAM_PERMISSION_SET,
            len(PERSONAS),
            len(TEAMS),
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
        made = admin.create_permission_set(
            Name=TEAM_PERMISSION_SET,
            InstanceArn=self.instance_arn,
            Description="What a team gets on its own accounts",
            SessionDuration="PT8H",
        )
        self.team_permission_set_arn = made["PermissionSet"]["PermissionSetArn"]
        users: dict[str, str] = {}
        for person in PERSONAS:
            given, _, family = person.real_name.partition(" ")
            users[person.id] = store.create_user(
                IdentityStoreId=self.identity_store_id,
                UserName=person.email,
                DisplayName=person.real_name,
                Name={"GivenName": given, "FamilyName": family or given},
                Emails=[{"Value": person.email, "Type": "work", "Primary": True}],
            )["UserId"]
        for team in TEAMS:
            group_id = store.create_group(
                IdentityStoreId=self.identity_store_id,
                DisplayName=team.group,
                Description=team.description,
            )["GroupId"]
            for member in team.members:
                store.create_group_membership(
                    IdentityStoreId=self.identity_store_id,
                    GroupId=group_id,
                    MemberId={"UserId": users[member]},
                )
            # Accounts that were there before Outpost: their teams were given access by hand.
            for account in team.accounts:
                admin.create_account_assignment(
                    InstanceArn=self.instance_arn,
                    TargetId=self.accounts[account],
                    TargetType="AWS_ACCOUNT",
                    PermissionSetArn=self.team_permission_set_arn,
                    PrincipalType="GROUP",
                    PrincipalId=group_id,
                )

    def _client(self, service: str) -> Any:
        """One client per service for the panel's reads, made once: making one loads its
        model, which takes longer than the calls it then makes."""
        made = self._clients.get(service)
        if made is None:
            made = self._clients[service] = client(service, self.endpoint)
        return made

    def describe(self) -> dict[str, Any]:
        """What the page's AWS panel shows (blocking: boto3): the organization, Identity
        Center's teams and assignments, and the accounts' alternate contacts and budgets."""
        organizations = self._client("organizations")
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
        organization = organizations.describe_organization()["Organization"]
        users = self._users()
        groups = self._groups(users)
        permission_sets = self._permission_sets()
        return {
            "organization": {
                "id": organization["Id"],
                "management_account_id": organization["MasterAccountId"],
                "root_id": self.root_id,
                "ous": ous,
                "accounts": accounts,
            },
            "identity_center": {
                "permission_sets": [
                    {"arn": arn, "name": name} for arn, name in permission_sets.items()
                ],
                "groups": list(groups.values()),
                "assignments": self._assignments(names, permission_sets, users, groups),
            },
            "contacts": self._contacts(names),
            "budgets": self._budgets(organization["MasterAccountId"], names),
        }

    def _users(self) -> dict[str, str]:
        """User id -> the person's display name."""
        store = self._client("identitystore")
        return {
            user["UserId"]: user.get("DisplayName") or user["UserName"]
            for page in store.get_paginator("list_users").paginate(
                IdentityStoreId=self.identity_store_id
            )
            for user in page["Users"]
        }

    def _groups(self, users: dict[str, str]) -> dict[str, dict[str, Any]]:
        """Group id -> the group's name, description and members' names."""
        store = self._client("identitystore")
        groups: dict[str, dict[str, Any]] = {}
        for page in store.get_paginator("list_groups").paginate(
            IdentityStoreId=self.identity_store_id
        ):
            for group in page["Groups"]:
                members = [
                    users.get(m["MemberId"]["UserId"], m["MemberId"]["UserId"])
                    for listed in store.get_paginator("list_group_memberships").paginate(
                        IdentityStoreId=self.identity_store_id, GroupId=group["GroupId"]
                    )
                    for m in listed["GroupMemberships"]
                ]
                groups[group["GroupId"]] = {
                    "id": group["GroupId"],
                    "name": group.get("DisplayName") or group["GroupId"],
                    "description": group.get("Description", ""),
                    "members": sorted(members),
                }
        return groups

    def _permission_sets(self) -> dict[str, str]:
        """ARN -> name of every permission set: those seeded, and any made since."""
        admin = self._client("sso-admin")
        found: dict[str, str] = {}
        for page in admin.get_paginator("list_permission_sets").paginate(
            InstanceArn=self.instance_arn
        ):
            for arn in page["PermissionSets"]:
                described = admin.describe_permission_set(
                    InstanceArn=self.instance_arn, PermissionSetArn=arn
                )
                found[arn] = described["PermissionSet"]["Name"]
        return found

    def _assignments(
        self,
        names: dict[str, str],
        permission_sets: dict[str, str],
        users: dict[str, str],
        groups: dict[str, dict[str, Any]],
    ) -> list[dict[str, str]]:
        admin = self._client("sso-admin")
        found: list[dict[str, str]] = []
        for account_id, name in names.items():
            for arn, permission_set in permission_sets.items():
                pages = admin.get_paginator("list_account_assignments").paginate(
                    InstanceArn=self.instance_arn, AccountId=account_id, PermissionSetArn=arn
                )
                for page in pages:
                    for assignment in page["AccountAssignments"]:
                        principal = assignment["PrincipalId"]
                        shown = {
                            "account_id": account_id,
                            "account_name": name,
                            "principal_type": assignment["PrincipalType"],
                            "permission_set": permission_set,
                        }
                        if assignment["PrincipalType"] == "GROUP":
                            group = groups.get(principal)
                            shown["group"] = group["name"] if group else principal
                        else:
                            shown["user"] = users.get(principal, principal)
                        found.append(shown)
        return found

    def _contacts(self, names: dict[str, str]) -> list[dict[str, str]]:
        """Every alternate contact set on an account; an account without one has none listed."""
        account = self._client("account")
        found: list[dict[str, str]] = []
        for account_id, name in names.items():
            for kind in _CONTACT_TYPES:
                try:
                    contact = account.get_alternate_contact(
                        AccountId=account_id, AlternateContactType=kind
                    )["AlternateContact"]
                except ClientError as error:
                    if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                        continue
                    raise
                found.append(
                    {
                        "account_id": account_id,
                        "account_name": name,
                        "type": kind,
                        "name": contact.get("Name", ""),
                        "title": contact.get("Title", ""),
                        "email": contact.get("EmailAddress", ""),
                        "phone": contact.get("PhoneNumber", ""),
                    }
                )
        return found

    def _budgets(self, management_id: str, names: dict[str, str]) -> list[dict[str, Any]]:
        """The management account's budgets, with the accounts each one watches."""
        budgets = self._client("budgets")
        found: list[dict[str, Any]] = []
        for budget in budgets.describe_budgets(AccountId=management_id).get("Budgets", []):
            limit = budget.get("BudgetLimit") or {}
            linked = budget.get("CostFilters", {}).get("LinkedAccount", [])
            notifications = budgets.describe_notifications_for_budget(
                AccountId=management_id, BudgetName=budget["BudgetName"]
            ).get("Notifications", [])
            found.append(
                {
                    "name": budget["BudgetName"],
                    "type": budget.get("BudgetType", ""),
                    "time_unit": budget.get("TimeUnit", ""),
                    "amount": limit.get("Amount", ""),
                    "unit": limit.get("Unit", ""),
                    "accounts": [
                        {"id": account_id, "name": names.get(account_id, "")}
                        for account_id in linked
                    ],
                    "alerts": [
                        {
                            "type": n.get("NotificationType", ""),
                            "threshold": n.get("Threshold"),
                            "threshold_type": n.get("ThresholdType", "PERCENTAGE"),
                        }
                        for n in notifications
                    ],
                }
            )
        return found

"""What each AWS answer must hold before Outpost reads it.

botocore reads an HTTP 200 whose body is not AWS's (a proxy's HTML page, an empty body, `{}`)
as an answer with nothing in it, and checks nothing against what the operation promises. Read
with defaults, such an answer says "no accounts", "no assignment", "no earlier creation", and
Outpost would act on it: end a grant whose access is still there, create an account twice.

So each operation whose answer Outpost reads declares here the fields it relies on, and the
caller checks every answer against that before anyone reads it. botocore's models mark almost
none of these members required (AWS sends them all the same), so they are declared by hand;
tests check each path against botocore's model of the operation's output.

A path names members from the top of the answer: `Accounts` must be there, `Accounts[].Id`
means `Accounts` is a list and every item in it has an `Id`, `Account.Email` a member within one.
Only what AWS may really leave out (NextToken, FailureReason, an AccountId still to come) is left
undeclared, and read as optional where it is read.

Every answer must also carry AWS's request id (the x-amzn-RequestId header, which botocore puts
in ResponseMetadata). AWS sends one with every answer, success or error; a proxy's page does
not. For a call whose answer holds nothing (MoveAccount, DeleteSchedule) it is the only thing
that tells AWS's "done" from a page that says nothing: content type cannot, an empty body is
what AWS sends too. An answer with the request id and an empty body did come from AWS, so for
such a call it is the success it says.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_ACCOUNT = ("Id", "Name", "Email", "Status")
_CREATION = ("Id", "State", "AccountName", "RequestedTimestamp")
_ASSIGNMENT_STATUS = ("RequestId", "Status")


def _each(member: str, fields: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"{member}.{field}" for field in fields)


PROMISED: Mapping[tuple[str, str], tuple[str, ...]] = {
    # AWS Organizations
    ("organizations", "DescribeOrganization"): ("Organization.MasterAccountId",),
    ("organizations", "ListRoots"): ("Roots[].Id",),
    ("organizations", "ListOrganizationalUnitsForParent"): (
        "OrganizationalUnits[].Id",
        "OrganizationalUnits[].Name",
    ),
    ("organizations", "DescribeOrganizationalUnit"): ("OrganizationalUnit.Name",),
    ("organizations", "ListAccounts"): _each("Accounts[]", _ACCOUNT),
    ("organizations", "ListAccountsForParent"): _each("Accounts[]", _ACCOUNT),
    ("organizations", "DescribeAccount"): _each("Account", _ACCOUNT),
    ("organizations", "CreateAccount"): _each("CreateAccountStatus", _CREATION),
    ("organizations", "DescribeCreateAccountStatus"): _each("CreateAccountStatus", _CREATION),
    ("organizations", "ListCreateAccountStatus"): _each("CreateAccountStatuses[]", _CREATION),
    ("organizations", "ListParents"): ("Parents[].Id", "Parents[].Type"),
    ("organizations", "ListTagsForResource"): ("Tags[].Key", "Tags[].Value"),
    # IAM Identity Center
    ("sso-admin", "ListInstances"): ("Instances[].InstanceArn", "Instances[].IdentityStoreId"),
    ("sso-admin", "ListPermissionSets"): ("PermissionSets",),
    ("sso-admin", "DescribePermissionSet"): ("PermissionSet.Name",),
    ("sso-admin", "ListAccountAssignments"): (
        "AccountAssignments[].PrincipalType",
        "AccountAssignments[].PrincipalId",
    ),
    ("sso-admin", "CreateAccountAssignment"): _each(
        "AccountAssignmentCreationStatus", _ASSIGNMENT_STATUS
    ),
    ("sso-admin", "DescribeAccountAssignmentCreationStatus"): _each(
        "AccountAssignmentCreationStatus", _ASSIGNMENT_STATUS
    ),
    ("sso-admin", "DeleteAccountAssignment"): _each(
        "AccountAssignmentDeletionStatus", _ASSIGNMENT_STATUS
    ),
    ("sso-admin", "DescribeAccountAssignmentDeletionStatus"): _each(
        "AccountAssignmentDeletionStatus", _ASSIGNMENT_STATUS
    ),
    ("sso-admin", "ListPermissionSetsProvisionedToAccount"): ("PermissionSets",),
    ("identitystore", "GetUserId"): ("UserId",),
    ("identitystore", "ListGroups"): ("Groups[].GroupId",),
    ("identitystore", "DescribeGroup"): ("GroupId",),
    ("identitystore", "DescribeUser"): ("UserId",),
    # AWS Account Management and Budgets, read for `/account show`
    ("account", "GetAlternateContact"): ("AlternateContact.EmailAddress",),
    ("budgets", "DescribeBudget"): ("Budget.BudgetName", "Budget.TimeUnit"),
    # EventBridge Scheduler: Outpost reads nothing back, but an answer without the schedule's
    # ARN did not come from AWS, and must not be taken for a schedule made.
    ("scheduler", "CreateSchedule"): ("ScheduleArn",),
    ("scheduler", "UpdateSchedule"): ("ScheduleArn",),
}


# How a missing request id is named among the missing fields.
REQUEST_ID = "a request id"


def missing_from(service: str, operation: str, answer: Mapping[str, Any]) -> list[str]:
    """What this answer lacks of what every answer holds and the operation promises: the
    request id first, then each field named by the shortest path that is missing
    (`CreateAccountStatus`, not each field in it); empty when nothing is."""
    metadata = answer.get("ResponseMetadata")
    has_request_id = isinstance(metadata, Mapping) and bool(metadata.get("RequestId"))
    missing: list[str] = [] if has_request_id else [REQUEST_ID]
    for path in PROMISED.get((service, operation), ()):
        lacking = _lacking(answer, path.split("."), [])
        if lacking is not None and lacking not in missing:
            missing.append(lacking)
    return missing


def _lacking(value: Any, steps: list[str], walked: list[str]) -> str | None:
    """The path up to the first step `value` does not hold, or None if it holds them all."""
    if not steps:
        return None
    step, rest = steps[0], steps[1:]
    name = step.removesuffix("[]")
    here = [*walked, step]
    if not isinstance(value, Mapping) or value.get(name) is None:
        return ".".join(here)
    found = value[name]
    if name == step:
        return _lacking(found, rest, here)
    if not isinstance(found, list):
        return ".".join(here)
    for item in found:
        lacking = _lacking(item, rest, here)
        if lacking is not None:
            return lacking
    return None

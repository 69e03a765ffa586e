"""Every AWS call Outpost shows as a CLI command must be the command that makes the same call."""

from __future__ import annotations

import random
import shlex
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from bot.aws.cli import REDACTED, cli_command, parse_cli_command

# Everything a shell could take for syntax, and a few things a terminal could.
HOSTILE = 'it\'s "quoted" $HOME ${PATH} `id` $(rm -rf ~) \\ ; | & > < * ? [a] {b} # ! %\n\ttab'
UNICODE = "équipe paiements — 支払い 🚀"
DASHED = "--region us-west-2"  # looks like an option, must stay a value
ROLE = "arn:aws:iam::111122223333:role/OrganizationAccountAccessRole"
INSTANCE = "arn:aws:sso:::instance/ssoins-1234567890abcdef"
PERMISSION_SET = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-0123456789abcdef"
START = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
TAGS = [
    {"Key": "outpost:team", "Value": "payments"},
    {"Key": "outpost:purpose", "Value": HOSTILE},
    {"Key": "outpost:owner", "Value": UNICODE},
]


# --- (a) the commands, exactly -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "operation", "params", "region", "expected"),
    [
        pytest.param(
            "organizations",
            "CreateAccount",
            {
                "Email": "aws+payments-dev@example.com",
                "AccountName": "payments-dev",
                "Tags": [{"Key": "outpost:team", "Value": "payments"}],
            },
            None,
            "aws organizations create-account --email aws+payments-dev@example.com"
            " --account-name payments-dev"
            """ --tags '[{"Key":"outpost:team","Value":"payments"}]'""",
            id="create-account",
        ),
        pytest.param(
            "organizations",
            "CreateAccount",
            {"AccountName": "payments dev", "Email": "a@example.com", "RoleName": "Admin"},
            None,
            "aws organizations create-account --email a@example.com"
            " --account-name 'payments dev' --role-name Admin",
            id="create-account-model-order",
        ),
        pytest.param(
            "organizations",
            "ListCreateAccountStatus",
            {"States": ["IN_PROGRESS", "FAILED"], "NextToken": "AAE/tok+en==", "MaxResults": 20},
            None,
            """aws organizations list-create-account-status --states '["IN_PROGRESS","FAILED"]'"""
            " --starting-token AAE/tok+en== --page-size 20",
            id="list-create-account-status",
        ),
        pytest.param(
            "organizations",
            "MoveAccount",
            {
                "AccountId": "111122223333",
                "SourceParentId": "r-ab12",
                "DestinationParentId": "ou-ab12-cdef3456",
            },
            None,
            "aws organizations move-account --account-id 111122223333 --source-parent-id r-ab12"
            " --destination-parent-id ou-ab12-cdef3456",
            id="move-account",
        ),
        pytest.param(
            "organizations",
            "DescribeCreateAccountStatus",
            {"CreateAccountRequestId": "car-0123456789abcdef0123456789abcdef"},
            None,
            "aws organizations describe-create-account-status"
            " --create-account-request-id car-0123456789abcdef0123456789abcdef",
            id="describe-create-account-status",
        ),
        pytest.param(
            "sso-admin",
            "CreateAccountAssignment",
            {
                "InstanceArn": INSTANCE,
                "TargetId": "111122223333",
                "TargetType": "AWS_ACCOUNT",
                "PermissionSetArn": PERMISSION_SET,
                "PrincipalType": "GROUP",
                "PrincipalId": "9067d4a8-1234-5678-9abc-def012345678",
            },
            "eu-west-1",
            f"aws sso-admin create-account-assignment --instance-arn {INSTANCE}"
            f" --target-id 111122223333 --target-type AWS_ACCOUNT"
            f" --permission-set-arn {PERMISSION_SET} --principal-type GROUP"
            " --principal-id 9067d4a8-1234-5678-9abc-def012345678 --region eu-west-1",
            id="create-account-assignment",
        ),
        pytest.param(
            "identitystore",
            "GetUserId",
            {
                "IdentityStoreId": "d-9067abcdef",
                "AlternateIdentifier": {
                    "UniqueAttribute": {
                        "AttributePath": "emails.value",
                        "AttributeValue": "jane@example.com",
                    }
                },
            },
            "eu-west-1",
            "aws identitystore get-user-id --identity-store-id d-9067abcdef"
            """ --alternate-identifier '{"UniqueAttribute":{"AttributePath":"emails.value","""
            """"AttributeValue":"jane@example.com"}}' --region eu-west-1""",
            id="get-user-id",
        ),
        pytest.param(
            "scheduler",
            "CreateSchedule",
            {
                "Name": "outpost-payments-dev-expiry",
                "ScheduleExpression": "at(2025-06-01T09:00:00)",
                "StartDate": START,
                "Target": {
                    "Arn": "arn:aws:lambda:eu-west-1:111122223333:function:expire",
                    "RoleArn": "arn:aws:iam::111122223333:role/scheduler",
                    "RetryPolicy": {"MaximumRetryAttempts": 3},
                },
                "FlexibleTimeWindow": {"Mode": "OFF"},
            },
            "eu-west-1",
            "aws scheduler create-schedule --name outpost-payments-dev-expiry"
            " --schedule-expression 'at(2025-06-01T09:00:00)'"
            " --start-date 2025-03-01T09:30:00+00:00"
            """ --target '{"Arn":"arn:aws:lambda:eu-west-1:111122223333:function:expire","""
            """"RoleArn":"arn:aws:iam::111122223333:role/scheduler","""
            """"RetryPolicy":{"MaximumRetryAttempts":3}}'"""
            """ --flexible-time-window '{"Mode":"OFF"}' --region eu-west-1""",
            id="create-schedule",
        ),
        pytest.param("sts", "GetCallerIdentity", {}, None, "aws sts get-caller-identity", id="sts"),
        pytest.param(
            "account",
            "PutAlternateContact",
            {
                "AccountId": "111122223333",
                "AlternateContactType": "SECURITY",
                "Name": "Payments on-call",
                "Title": "Security contact",
                "EmailAddress": "security@example.com",
                "PhoneNumber": "+1 555 0100",
            },
            None,
            "aws account put-alternate-contact --name 'Payments on-call'"
            " --title 'Security contact' --email-address security@example.com"
            " --phone-number '+1 555 0100' --alternate-contact-type SECURITY"
            " --account-id 111122223333",
            id="put-alternate-contact",
        ),
        pytest.param(
            "budgets",
            "CreateBudget",
            {
                "AccountId": "999988887777",
                "Budget": {
                    "BudgetName": "outpost-111122223333",
                    "BudgetLimit": {"Amount": "500", "Unit": "USD"},
                    "CostFilters": {"LinkedAccount": ["111122223333"]},
                    "TimeUnit": "MONTHLY",
                    "BudgetType": "COST",
                },
                "NotificationsWithSubscribers": [
                    {
                        "Notification": {
                            "NotificationType": "ACTUAL",
                            "ComparisonOperator": "GREATER_THAN",
                            "Threshold": 80.0,
                            "ThresholdType": "PERCENTAGE",
                        },
                        "Subscribers": [
                            {"SubscriptionType": "EMAIL", "Address": "payments@example.com"}
                        ],
                    }
                ],
            },
            None,
            "aws budgets create-budget --account-id 999988887777"
            """ --budget '{"BudgetName":"outpost-111122223333","""
            """"BudgetLimit":{"Amount":"500","Unit":"USD"},"""
            """"CostFilters":{"LinkedAccount":["111122223333"]},"""
            """"TimeUnit":"MONTHLY","BudgetType":"COST"}'"""
            """ --notifications-with-subscribers '[{"Notification":{"NotificationType":"ACTUAL","""
            """"ComparisonOperator":"GREATER_THAN","Threshold":80.0,"ThresholdType":"PERCENTAGE"},"""
            """"Subscribers":[{"SubscriptionType":"EMAIL","Address":"payments@example.com"}]}]'""",
            id="create-budget",
        ),
        pytest.param(
            "organizations",
            "CloseAccount",
            {"AccountId": "111122223333"},
            None,
            "aws organizations close-account --account-id 111122223333",
            id="close-account",
        ),
    ],
)
def test_the_command_is_the_cli_command(
    service: str, operation: str, params: dict[str, Any], region: str | None, expected: str
) -> None:
    assert cli_command(service, operation, params, region=region) == expected


def test_booleans_are_switches() -> None:
    on = cli_command("ec2", "DescribeInstances", {"DryRun": True, "InstanceIds": ["i-1"]})
    off = cli_command("ec2", "DescribeInstances", {"DryRun": False, "InstanceIds": ["i-1"]})

    assert on == """aws ec2 describe-instances --instance-ids '["i-1"]' --dry-run"""
    assert off == """aws ec2 describe-instances --instance-ids '["i-1"]' --no-dry-run"""
    assert parse_cli_command(on)[2]["DryRun"] is True
    assert parse_cli_command(off)[2]["DryRun"] is False


def test_a_paginator_without_a_limit_key_gets_no_page_size() -> None:
    command = cli_command(
        "organizations", "ListTagsForResource", {"ResourceId": "111122223333", "NextToken": "t"}
    )

    assert command == (
        "aws organizations list-tags-for-resource --resource-id 111122223333 --starting-token t"
    )


def test_the_plain_paging_options_the_cli_still_accepts_are_read_too() -> None:
    command = "aws organizations list-accounts --next-token abc --max-results 5"

    assert parse_cli_command(command) == (
        "organizations",
        "ListAccounts",
        {"NextToken": "abc", "MaxResults": 5},
    )


def test_region_is_not_a_parameter() -> None:
    command = "aws sts get-caller-identity --region eu-west-1"

    assert parse_cli_command(command) == ("sts", "GetCallerIdentity", {})
    assert parse_cli_command(command + " --region=us-east-1") == ("sts", "GetCallerIdentity", {})


# --- (b) round trip, for every call Outpost makes ----------------------------------------------

OUTPOST_CALLS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "organizations",
        "CreateAccount",
        {
            "Email": "aws+payments-dev@example.com",
            "AccountName": HOSTILE,
            "RoleName": "OrganizationAccountAccessRole",
            "IamUserAccessToBilling": "DENY",
            "Tags": TAGS,
        },
    ),
    ("organizations", "DescribeCreateAccountStatus", {"CreateAccountRequestId": "car-0123abcd"}),
    (
        "organizations",
        "ListCreateAccountStatus",
        {"States": ["IN_PROGRESS", "SUCCEEDED"], "NextToken": HOSTILE, "MaxResults": 20},
    ),
    ("organizations", "ListAccounts", {"NextToken": "AAE/+==", "MaxResults": 20}),
    ("organizations", "ListAccounts", {}),
    ("organizations", "DescribeAccount", {"AccountId": "111122223333"}),
    ("organizations", "ListParents", {"ChildId": "111122223333", "NextToken": DASHED}),
    (
        "organizations",
        "ListOrganizationalUnitsForParent",
        {"ParentId": "r-ab12", "NextToken": UNICODE, "MaxResults": 1},
    ),
    ("organizations", "ListRoots", {"MaxResults": 10}),
    (
        "organizations",
        "MoveAccount",
        {
            "AccountId": "111122223333",
            "SourceParentId": "r-ab12",
            "DestinationParentId": "ou-ab12-cdef3456",
        },
    ),
    ("organizations", "TagResource", {"ResourceId": "111122223333", "Tags": TAGS}),
    ("organizations", "ListTagsForResource", {"ResourceId": "111122223333", "NextToken": "-t"}),
    *[
        (
            "sso-admin",
            operation,
            {
                "InstanceArn": INSTANCE,
                "TargetId": "111122223333",
                "TargetType": "AWS_ACCOUNT",
                "PermissionSetArn": PERMISSION_SET,
                "PrincipalType": "USER",
                "PrincipalId": "9067d4a8-1234-5678-9abc-def012345678",
            },
        )
        for operation in ("CreateAccountAssignment", "DeleteAccountAssignment")
    ],
    (
        "sso-admin",
        "DescribeAccountAssignmentCreationStatus",
        {
            "InstanceArn": INSTANCE,
            "AccountAssignmentCreationRequestId": "b1e4f9c2-1234-5678-9abc-def012345678",
        },
    ),
    (
        "sso-admin",
        "DescribeAccountAssignmentDeletionStatus",
        {
            "InstanceArn": INSTANCE,
            "AccountAssignmentDeletionRequestId": "b1e4f9c2-1234-5678-9abc-def012345678",
        },
    ),
    (
        "sso-admin",
        "ListAccountAssignments",
        {
            "InstanceArn": INSTANCE,
            "AccountId": "111122223333",
            "PermissionSetArn": PERMISSION_SET,
            "MaxResults": 100,
            "NextToken": HOSTILE,
        },
    ),
    ("sso-admin", "ListInstances", {"MaxResults": 10, "NextToken": "t", "RegionScope": "ALL"}),
    ("sso-admin", "ListPermissionSets", {"InstanceArn": INSTANCE, "MaxResults": 100}),
    (
        "sso-admin",
        "DescribePermissionSet",
        {"InstanceArn": INSTANCE, "PermissionSetArn": PERMISSION_SET},
    ),
    (
        "identitystore",
        "GetUserId",
        {
            "IdentityStoreId": "d-9067abcdef",
            "AlternateIdentifier": {
                "UniqueAttribute": {
                    "AttributePath": "userName",
                    "AttributeValue": {"nested": [HOSTILE, 1, True, None]},  # a document
                }
            },
        },
    ),
    (
        "identitystore",
        "GetUserId",
        {
            "IdentityStoreId": "d-9067abcdef",
            "AlternateIdentifier": {"ExternalId": {"Issuer": UNICODE, "Id": HOSTILE}},
        },
    ),
    (
        "identitystore",
        "ListUsers",
        {
            "IdentityStoreId": "d-9067abcdef",
            "Extensions": ["aws:identitystore:enterprise"],
            "MaxResults": 50,
            "NextToken": "t",
            "Filters": [{"AttributePath": "UserName", "AttributeValue": HOSTILE}],
        },
    ),
    ("organizations", "CloseAccount", {"AccountId": "111122223333"}),
    (
        "organizations",
        "UntagResource",
        {"ResourceId": "111122223333", "TagKeys": ["outpost:team", "outpost:team-id"]},
    ),
    *[
        (
            "sso-admin",
            operation,
            {
                "InstanceArn": INSTANCE,
                "TargetId": "111122223333",
                "TargetType": "AWS_ACCOUNT",
                "PermissionSetArn": PERMISSION_SET,
                "PrincipalType": "GROUP",
                "PrincipalId": "9067d4a8-aaaa-5678-9abc-def012345678",
            },
        )
        for operation in ("CreateAccountAssignment", "DeleteAccountAssignment")
    ],
    (
        "sso-admin",
        "ListPermissionSetsProvisionedToAccount",
        {
            "InstanceArn": INSTANCE,
            "AccountId": "111122223333",
            "ProvisioningStatus": "LATEST_PERMISSION_SET_PROVISIONED",
            "MaxResults": 100,
            "NextToken": HOSTILE,
        },
    ),
    (
        "identitystore",
        "ListGroups",
        {
            "IdentityStoreId": "d-9067abcdef",
            "Filters": [{"AttributePath": "DisplayName", "AttributeValue": HOSTILE}],
            "MaxResults": 50,
            "NextToken": DASHED,
        },
    ),
    ("identitystore", "DescribeGroup", {"IdentityStoreId": "d-9067abcdef", "GroupId": "g-1"}),
    ("identitystore", "DescribeUser", {"IdentityStoreId": "d-9067abcdef", "UserId": "u-1"}),
    (
        "identitystore",
        "IsMemberInGroups",
        {
            "IdentityStoreId": "d-9067abcdef",
            "MemberId": {"UserId": "u-1"},
            "GroupIds": ["g-1", "g-2"],
        },
    ),
    (
        "identitystore",
        "GetGroupMembershipId",
        {"IdentityStoreId": "d-9067abcdef", "GroupId": "g-1", "MemberId": {"UserId": "u-1"}},
    ),
    *[
        (
            "account",
            operation,
            {"AccountId": "111122223333", "AlternateContactType": kind}
            | (
                {
                    "Name": UNICODE,
                    "Title": HOSTILE,
                    "EmailAddress": "ops@example.com",
                    "PhoneNumber": "+44 (0)20 7946 0000",
                }
                if operation == "PutAlternateContact"
                else {}
            ),
        )
        for operation in ("PutAlternateContact", "GetAlternateContact")
        for kind in ("SECURITY", "OPERATIONS", "BILLING")
    ],
    (
        "budgets",
        "CreateBudget",
        {
            "AccountId": "999988887777",
            "Budget": {
                "BudgetName": "outpost-111122223333",
                "BudgetLimit": {"Amount": "1234.5", "Unit": "USD"},
                "CostFilters": {"LinkedAccount": ["111122223333"]},
                "TimeUnit": "MONTHLY",
                "TimePeriod": {"Start": START},
                "BudgetType": "COST",
            },
            "NotificationsWithSubscribers": [
                {
                    "Notification": {
                        "NotificationType": "ACTUAL",
                        "ComparisonOperator": "GREATER_THAN",
                        "Threshold": threshold,
                        "ThresholdType": "PERCENTAGE",
                    },
                    "Subscribers": [{"SubscriptionType": "EMAIL", "Address": HOSTILE}],
                }
                for threshold in (80.0, 100.0)
            ],
            "ResourceTags": [{"Key": "outpost:team", "Value": UNICODE}],
        },
    ),
    (
        "budgets",
        "DescribeBudget",
        {"AccountId": "999988887777", "BudgetName": "outpost-111122223333"},
    ),
    ("sts", "GetCallerIdentity", {}),
    (
        "sts",
        "AssumeRole",
        {
            "RoleArn": ROLE,
            "RoleSessionName": "outpost-payments-dev",
            "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}],
            "Policy": '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*"}]}',
            "DurationSeconds": 900,
            "Tags": [{"Key": "requester", "Value": UNICODE}],
            "TransitiveTagKeys": ["requester"],
            "ExternalId": HOSTILE,
            "SerialNumber": "arn:aws:iam::111122223333:mfa/jane",
            "SourceIdentity": "jane@example.com",
            "MinimumSessionTokenSize": 2048,
        },
    ),
    (
        "scheduler",
        "CreateSchedule",
        {
            "Name": "outpost-payments-dev-expiry",
            "GroupName": "outpost",
            "ScheduleExpression": "cron(0 9 * * ? *)",
            "StartDate": START,
            "EndDate": datetime(2025, 9, 1, 18, 0, tzinfo=timezone(timedelta(hours=2))),
            "Description": HOSTILE,
            "ScheduleExpressionTimezone": "Europe/Paris",
            "State": "ENABLED",
            "Target": {
                "Arn": "arn:aws:lambda:eu-west-1:111122223333:function:expire",
                "RoleArn": "arn:aws:iam::111122223333:role/scheduler",
                "DeadLetterConfig": {"Arn": "arn:aws:sqs:eu-west-1:111122223333:dlq"},
                "RetryPolicy": {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 3},
                "Input": '{"account": "payments-dev", "note": ' + repr(HOSTILE) + "}",
                "EcsParameters": {
                    "TaskDefinitionArn": "arn:aws:ecs:eu-west-1:111122223333:task-definition/t",
                    "TaskCount": 1,
                    "EnableECSManagedTags": False,
                    "EnableExecuteCommand": True,
                    "Tags": [{"team": UNICODE}],
                },
            },
            "FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15},
            "ClientToken": "8f14e45f-ceea-467f-a8f5-3c5d0f8a1b2c",
            "ActionAfterCompletion": "DELETE",
        },
    ),
    (
        "scheduler",
        "DeleteSchedule",
        {"Name": "outpost-payments-dev-expiry", "GroupName": HOSTILE, "ClientToken": "-x"},
    ),
]


@pytest.mark.parametrize(
    ("service", "operation", "params"),
    OUTPOST_CALLS,
    ids=[f"{service}:{operation}" for service, operation, _ in OUTPOST_CALLS],
)
def test_the_command_reads_back_as_the_call(
    service: str, operation: str, params: dict[str, Any]
) -> None:
    command = cli_command(service, operation, params, region="eu-west-1")

    assert parse_cli_command(command) == (service, operation, params)


def test_timestamps_read_back_as_the_same_instant() -> None:
    naive = datetime(2025, 3, 1, 9, 30)
    params = {"Name": "n", "ScheduleExpression": "rate(1 day)", "StartDate": naive}
    params |= {"Target": {"Arn": "a", "RoleArn": "r"}, "FlexibleTimeWindow": {"Mode": "OFF"}}

    _, _, read = parse_cli_command(cli_command("scheduler", "CreateSchedule", params))
    _, _, from_epoch = parse_cli_command(
        cli_command("scheduler", "CreateSchedule", params | {"StartDate": START.timestamp()})
    )

    assert read["StartDate"] == naive
    assert from_epoch["StartDate"] == START


@pytest.mark.parametrize(
    "written", ["2025-03-01T09:30:00Z", "2025-03-01T10:30:00+01:00", "1740821400", "1740821400.0"]
)
def test_timestamps_are_read_as_botocore_reads_them(written: str) -> None:
    command = f"aws scheduler create-schedule --name n --start-date {written}"

    assert parse_cli_command(command)[2]["StartDate"] == START


def test_any_text_reads_back_as_itself() -> None:
    # hypothesis is not installed here; a seeded sample over the awkward parts of Unicode.
    rng = random.Random(20250301)
    alphabet = [*"'\"`$\\!#&*;|<>(){}[]?~= -\n\r\t\x1b\x7f", "é", "支", "🚀", "\u200b", "\ufeff"]
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        text += "".join(chr(rng.randint(1, 0xD7FF)) for _ in range(rng.randint(0, 3)))
        if text == "--":  # the CLI cannot take it: see test_calls_without_a_command_are_refused
            continue
        params = {"AccountName": text, "Email": text, "Tags": [{"Key": text, "Value": text}]}

        command = cli_command("organizations", "CreateAccount", params)

        assert parse_cli_command(command) == ("organizations", "CreateAccount", params), text


# --- (c) hostile values stay values ------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [HOSTILE, UNICODE, DASHED, "-", "", " ", "'", "''", '"', "\\", "$(id)", "`id`", "a\nb"],
)
def test_hostile_values_never_escape_their_quotes(value: str) -> None:
    command = cli_command(
        "organizations", "CreateAccount", {"Email": "a@example.com", "AccountName": value}
    )

    name = ["--account-name", value] if not value.startswith("-") else [f"--account-name={value}"]
    expected = ["aws", "organizations", "create-account", "--email", "a@example.com", *name]
    assert shlex.split(command) == expected


def test_hostile_values_inside_json_never_escape_their_quotes() -> None:
    command = cli_command("organizations", "TagResource", {"ResourceId": "r", "Tags": TAGS})

    words = shlex.split(command)
    assert words[:5] == ["aws", "organizations", "tag-resource", "--resource-id", "r"]
    assert words[5] == "--tags"
    assert len(words) == 7


def test_values_the_cli_would_load_or_swallow_are_fine_inside_json() -> None:
    tags = [{"Key": "--", "Value": "file:///etc/passwd"}, {"Key": "-", "Value": "https://x"}]

    command = cli_command("organizations", "TagResource", {"ResourceId": "r", "Tags": tags})

    assert parse_cli_command(command)[2]["Tags"] == tags


# --- (d) what cannot be mapped -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "operation", "params", "message"),
    [
        ("organizations", "CreateAccount", {"AccountName": "a", "Colour": "red"}, "Colour"),
        ("organizations", "CreateAccount", {"AccountName": 42}, "AccountName"),
        ("organizations", "ListAccounts", {"MaxResults": True}, "MaxResults"),
        ("organizations", "TagResource", {"ResourceId": "r", "Tags": [{"Kee": "k"}]}, "Kee"),
        ("organizations", "CreateAccount", {"AccountName": "a\0b"}, "NUL"),
        ("organizations", "CreateAccount", {"AccountName": "--"}, "cannot take '--'"),
        ("organizations", "CreateAccount", {"AccountName": "file:///etc/passwd"}, "reads"),
        ("organizations", "CreateAccount", {"AccountName": "fileb://x"}, "reads"),
        ("organizations", "CreateAccount", {"AccountName": "https://example.com"}, "reads"),
        ("organizations", "CreateAccountNow", {}, "unknown operation"),
        ("organisations", "CreateAccount", {}, "unknown AWS service"),
        ("kms", "Encrypt", {"KeyId": "k", "Plaintext": b"secret"}, "blob"),
    ],
)
def test_calls_without_a_command_are_refused(
    service: str, operation: str, params: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        cli_command(service, operation, params)


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("", "expected `aws"),
        ("aws organizations", "expected `aws"),
        ("gcloud organizations list-accounts", "expected `aws"),
        ("aws organizations list-accounts --next-token 'unterminated", "cannot split"),
        ("aws organisations list-accounts", "unknown AWS service"),
        ("aws organizations list-all-the-accounts", "unknown command"),
        ("aws organizations ListAccounts", "unknown command"),
        ("aws organizations list-accounts --colour red", "no option --colour"),
        ("aws organizations list-accounts --profile prod", "no option --profile"),
        ("aws organizations list-accounts stray", "expected an option"),
        ("aws organizations list-accounts --page-size", "needs a value"),
        ("aws organizations list-accounts --page-size ten", "not a valid integer"),
        ("aws scheduler create-schedule --name n --start-date tomorrow", "not a valid timestamp"),
        ("aws scheduler create-schedule --name n --start-date 1e300", "not a valid timestamp"),
        ("aws organizations list-accounts --page-size 1 --max-results 2", "more than once"),
        ("aws organizations tag-resource --resource-id r --tags Key=k,Value=v", "expected JSON"),
        (
            """aws organizations tag-resource --resource-id r --tags '{"Key":"k"}'""",
            "unexpected dict",
        ),
        (
            """aws organizations tag-resource --resource-id r --tags '[{"K":"k"}]'""",
            r"member\(s\) K$",
        ),
        ("aws scheduler delete-schedule --name n --start-date x", "no option"),
        ("aws ec2 describe-instances --dry-run=yes", "takes no value"),
        ("aws kms encrypt --key-id k --plaintext aGk=", "blob"),
    ],
)
def test_commands_that_do_not_map_are_refused(command: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_cli_command(command)


# --- (e) credentials never show ----------------------------------------------------------------


def test_secrets_are_redacted() -> None:
    command = cli_command(
        "iam", "ChangePassword", {"OldPassword": "hunter2", "NewPassword": "correct horse"}
    )

    assert (
        command
        == f"aws iam change-password --old-password '{REDACTED}' --new-password '{REDACTED}'"
    )
    assert "hunter2" not in command


def test_secrets_inside_structures_and_maps_are_redacted() -> None:
    users = [{"Username": "admin", "Password": "hunter2", "ConsoleAccess": True}]
    broker = cli_command("mq", "CreateBroker", {"BrokerName": "b", "Users": users})
    auth = {"USERNAME": "jane", "PASSWORD": "hunter2"}
    login = cli_command("cognito-idp", "InitiateAuth", {"ClientId": "c", "AuthParameters": auth})

    assert "hunter2" not in broker + login
    assert parse_cli_command(broker)[2]["Users"] == [users[0] | {"Password": REDACTED}]
    assert parse_cli_command(login)[2]["AuthParameters"] == {
        "USERNAME": "jane",
        "PASSWORD": REDACTED,
    }


def test_an_mfa_code_is_redacted() -> None:
    command = cli_command(
        "sts",
        "AssumeRole",
        {"RoleArn": ROLE, "RoleSessionName": "s", "SerialNumber": "mfa", "TokenCode": "123456"},
    )

    assert "123456" not in command
    assert f"--token-code '{REDACTED}'" in command


def test_names_that_only_mention_a_secret_are_shown() -> None:
    command = cli_command(
        "sts", "AssumeRole", {"RoleArn": ROLE, "RoleSessionName": "s", "MinimumSessionTokenSize": 9}
    )
    secret_id = cli_command("secretsmanager", "GetSecretValue", {"SecretId": "payments/db"})

    assert command.endswith("--minimum-session-token-size 9")
    assert secret_id == "aws secretsmanager get-secret-value --secret-id payments/db"


@pytest.mark.parametrize(("service", "operation", "params"), OUTPOST_CALLS)
def test_no_command_carries_credentials(
    service: str, operation: str, params: dict[str, Any]
) -> None:
    words = shlex.split(cli_command(service, operation, params, region="eu-west-1"))

    flags = {word.partition("=")[0] for word in words if word.startswith("--")}
    assert not flags & {"--profile", "--access-key", "--secret-key", "--session-token"}

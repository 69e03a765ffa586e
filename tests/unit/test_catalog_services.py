"""The catalog covers every error of the break-glass calls, for the service that gives it.

Checked against botocore's service models, so that a new error AWS adds to one of these
operations fails here until someone writes down what it means and what to do about it.
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict

import botocore.session
import pytest
from botocore.exceptions import ClientError

from bot.aws.catalog import DOC_HOST, HERE, Entry, ErrorEntry, ReasonEntry, Retry, catalog
from bot.aws.retry import retry_class

# The operations Outpost calls, by botocore service name.
OPERATIONS = {
    "sso-admin": [
        "CreateAccountAssignment",
        "DeleteAccountAssignment",
        "DescribeAccountAssignmentCreationStatus",
        "DescribeAccountAssignmentDeletionStatus",
        "ListAccountAssignments",
        "ListInstances",
        "ListPermissionSets",
        "DescribePermissionSet",
    ],
    "identitystore": ["GetUserId", "ListUsers", "ListGroups", "DescribeGroup"],
    "sts": ["GetCallerIdentity", "AssumeRole"],
    "scheduler": ["CreateSchedule", "DeleteSchedule"],
}

# Codes STS sends that its model does not list: query-protocol throttling, and AssumeRole's
# refusal.
STS_EXTRAS = {"Throttling": Retry.TURNED_AWAY, "AccessDenied": Retry.NO}

THROTTLING = {"ThrottlingException", "Throttling"}
FAILURE_REASON = "AccountAssignmentOperationStatus.FailureReason"
MAX_TEXT = 300


def modelled_errors() -> list[tuple[str, str, str]]:
    """(service, operation, code) for every error shape of the operations above.

    The code is the one AWS sends and ClientError carries, which for query-protocol services
    such as STS can differ from the shape's name (MalformedPolicyDocumentException arrives as
    MalformedPolicyDocument).
    """
    session = botocore.session.get_session()
    found = []
    for service, operations in OPERATIONS.items():
        model = session.get_service_model(service)
        for operation in operations:
            for shape in model.operation_model(operation).error_shapes:
                code = shape.metadata.get("error", {}).get("code", shape.name)
                found.append((service, operation, code))
    return found


MODELLED = modelled_errors()


def own_entry(service: str, code: str) -> ErrorEntry | None:
    """The entry written for this service, never the "*" fallback."""
    return next((e for e in catalog().errors if e.service == service and e.code == code), None)


def all_entries() -> list[Entry]:
    return [*catalog().errors, *catalog().reasons]


def test_the_catalog_loads_with_entries_for_each_service():
    services = catalog().by_service()
    for service in OPERATIONS:
        assert services.get(service), f"no catalog entries for {service}"


@pytest.mark.parametrize(("service", "operation", "code"), MODELLED)
def test_every_modelled_error_has_an_entry_for_its_own_service(service, operation, code):
    assert own_entry(service, code) is not None, (
        f"{service} {operation} can answer {code}, but the catalog has no entry for "
        f'(service="{service}", code="{code}"); a "*" entry is not enough'
    )


@pytest.mark.parametrize(("code", "retry"), sorted(STS_EXTRAS.items()))
def test_sts_codes_outside_the_model_have_entries(code, retry):
    entry = own_entry("sts", code)
    assert entry is not None
    assert entry.retry is retry


@pytest.mark.parametrize("service", ["identitystore", "scheduler", "sso-admin"])
def test_internal_errors_are_transient(service):
    entry = own_entry(service, "InternalServerException")
    assert entry is not None
    assert entry.retry is Retry.TRANSIENT


def test_throttling_is_turned_away_for_every_service():
    throttles = [e for e in catalog().errors if e.code in THROTTLING]
    assert {e.service for e in throttles} >= set(OPERATIONS)
    for entry in throttles:
        assert entry.retry is Retry.TURNED_AWAY, f"{entry.service} {entry.code}"


def test_conflicts_are_retried_only_where_aws_says_to():
    sso_admin = own_entry("sso-admin", "ConflictException")
    scheduler = own_entry("scheduler", "ConflictException")
    assert sso_admin is not None and sso_admin.retry is Retry.TURNED_AWAY
    assert scheduler is not None and scheduler.retry is Retry.NO


@pytest.mark.parametrize(
    ("service", "code", "retry"),
    [
        ("sts", "Throttling", Retry.TURNED_AWAY),
        ("sts", "AccessDenied", Retry.NO),
        ("sso-admin", "ConflictException", Retry.TURNED_AWAY),
        ("scheduler", "ConflictException", Retry.NO),
        ("identitystore", "ThrottlingException", Retry.TURNED_AWAY),
    ],
)
def test_the_retry_policy_reads_these_entries(service, code, retry):
    error = ClientError(
        {
            "Error": {"Code": code, "Message": ""},
            "ResponseMetadata": {
                "HTTPStatusCode": 400,
                "HTTPHeaders": {},
                "HostId": "",
                "RequestId": "req-1",
                "RetryAttempts": 0,
            },
        },
        "Operation",
    )
    assert retry_class(error, service) is retry


def assignment_failure_reasons() -> list[ReasonEntry]:
    return [r for r in catalog().reasons if r.service == "sso-admin" and r.field == FAILURE_REASON]


def test_at_least_six_assignment_failure_reasons():
    reasons = assignment_failure_reasons()
    assert len({r.value for r in reasons}) >= 6
    for reason in reasons:
        assert re.fullmatch(r"[A-Z][A-Z0-9_]+", reason.value), reason.value


def test_every_doc_is_https_on_docs_aws_amazon_com():
    for entry in all_entries():
        assert entry.doc.scheme == "https", entry
        assert entry.doc.host == DOC_HOST, entry


def test_meanings_and_actions_stay_short():
    for entry in all_entries():
        if entry.service not in OPERATIONS:
            continue
        for text in (entry.meaning, entry.action):
            assert 0 < len(text) < MAX_TEXT, f"{entry.service} {text[:60]}… ({len(text)})"


def test_no_entry_is_given_twice_across_the_catalog_files():
    seen: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for path in sorted(HERE.glob("*.toml")):
        data = tomllib.loads(path.read_text())
        for error in data.get("error", []):
            seen[(error["service"], error["code"])].append(path.name)
        for reason in data.get("reason", []):
            seen[(reason["service"], reason["field"], reason["value"])].append(path.name)
    twice = {key: files for key, files in seen.items() if len(files) > 1}
    assert not twice, f"given more than once: {twice}"


ASSIGNMENT_FAILURE = "AccountAssignmentOperationStatus.FailureReason"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (
            "Received a 403 status error: User: arn:aws:sts::1:assumed-role/x is not authorized "
            "to perform: iam:CreateRole with an explicit deny in a service control policy",
            "SCP_DENIED",
        ),
        ("Received a 403 status error: Access denied by IAM", "PERMISSION_SET_PROVISIONING_FAILED"),
        (
            "Received a 404 status error: the USER assignee 9067 was not found in directory d-1",
            "PRINCIPAL_NOT_FOUND",
        ),
        ("Received a 404 status error: Error Code: NoSuchEntity", "IAM_ENTITY_MISSING"),
        ("Cannot exceed quota for RolesPerAccount: 1000", "ROLE_QUOTA_EXCEEDED"),
        ("An unexpected internal service exception was encountered", "INTERNAL_ERROR"),
    ],
)
def test_an_assignment_failure_text_is_matched_to_its_entry(text, key):
    entry = catalog().reason_in_text("sso-admin", ASSIGNMENT_FAILURE, text)
    assert entry is not None and entry.value == key


def test_an_unknown_assignment_failure_text_matches_nothing():
    assert catalog().reason_in_text("sso-admin", ASSIGNMENT_FAILURE, "Something new") is None


def test_every_assignment_failure_entry_can_be_matched():
    entries = [r for r in catalog().reasons if r.field == ASSIGNMENT_FAILURE]
    assert entries and all(entry.matches for entry in entries)

"""A CreateAccount that AWS takes and then fails, and taking a single rule back off the proxy.

Driven by real boto3 clients through the fault proxy to a real moto server, as the bot is.
"""

from __future__ import annotations

import urllib.request
from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ClientError

from bot.emulator.aws_faults import (
    ThreadedAwsFaultProxy,
    create_account_status,
    failed_account_creation,
    throttle,
)
from tests.emulator.clients import organizations_client

if TYPE_CHECKING:
    from mypy_boto3_organizations import OrganizationsClient


@pytest.fixture(autouse=True)
def fresh_moto(moto_url: str) -> None:
    request = urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=5):
        pass


@pytest.fixture
def moto(moto_url: str) -> OrganizationsClient:
    """Straight to moto, past the proxy: what really exists."""
    return organizations_client(moto_url)


def emails(organizations: OrganizationsClient) -> list[str]:
    return sorted(account["Email"] for account in organizations.list_accounts()["Accounts"])


def status_of(organizations: OrganizationsClient, request_id: str) -> dict[str, object]:
    described = organizations.describe_create_account_status(CreateAccountRequestId=request_id)
    return dict(described["CreateAccountStatus"])


def error_code(exc_info: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc_info.value.response["Error"]["Code"])


# --- failed_account_creation --------------------------------------------------------


def test_failed_creation_reports_its_reason_and_leaves_no_account(
    proxy: ThreadedAwsFaultProxy, org: OrganizationsClient, moto: OrganizationsClient
) -> None:
    before = emails(moto)
    for rule in failed_account_creation("EMAIL_ALREADY_EXISTS"):
        proxy.add(rule)

    created = org.create_account(Email="dev@example.com", AccountName="dev")
    taken = created["CreateAccountStatus"]
    polls = [status_of(org, taken["Id"]) for _ in range(2)]

    assert (taken["State"], taken["AccountName"]) == ("IN_PROGRESS", "dev")
    assert "AccountId" not in taken
    for status in polls:
        assert (status["Id"], status["State"]) == (taken["Id"], "FAILED")
        assert status["FailureReason"] == "EMAIL_ALREADY_EXISTS"
        assert status["AccountName"] == "dev"
        assert "AccountId" not in status
        assert "CompletedTimestamp" in status
    assert emails(moto) == before
    assert "dev@example.com" not in emails(org)
    assert [(c.status, c.injected) for c in proxy.calls_to("CreateAccount")] == [(200, True)]


def test_rules_added_after_a_used_failure_still_apply(
    proxy: ThreadedAwsFaultProxy, org: OrganizationsClient
) -> None:
    for rule in failed_account_creation("EMAIL_ALREADY_EXISTS"):
        proxy.add(rule)
    first = org.create_account(Email="a@example.com", AccountName="a")["CreateAccountStatus"]
    for rule in failed_account_creation("ACCOUNT_LIMIT_EXCEEDED"):
        proxy.add(rule)
    proxy.add(create_account_status("IN_PROGRESS", times=None))

    second = org.create_account(Email="b@example.com", AccountName="b")["CreateAccountStatus"]
    third = org.create_account(Email="c@example.com", AccountName="c")["CreateAccountStatus"]

    assert status_of(org, first["Id"])["FailureReason"] == "EMAIL_ALREADY_EXISTS"
    assert status_of(org, second["Id"])["FailureReason"] == "ACCOUNT_LIMIT_EXCEEDED"
    assert status_of(org, third["Id"])["State"] == "IN_PROGRESS"


def test_only_the_next_creation_fails(
    proxy: ThreadedAwsFaultProxy, org: OrganizationsClient, moto: OrganizationsClient
) -> None:
    for rule in failed_account_creation("INVALID_EMAIL"):
        proxy.add(rule)

    failed = org.create_account(Email="bad@example.com", AccountName="bad")["CreateAccountStatus"]
    second = org.create_account(Email="good@example.com", AccountName="good")
    made = second["CreateAccountStatus"]

    assert made["State"] == "SUCCEEDED"
    assert status_of(org, made["Id"])["AccountId"] == made["AccountId"]
    assert status_of(org, failed["Id"])["State"] == "FAILED"  # the failed request stays failed
    assert "good@example.com" in emails(moto)
    assert "bad@example.com" not in emails(moto)


def test_status_of_requests_moto_knows_goes_through_to_moto(
    proxy: ThreadedAwsFaultProxy, org: OrganizationsClient
) -> None:
    earlier = org.create_account(Email="old@example.com", AccountName="old")["CreateAccountStatus"]
    take, tell = failed_account_creation("INTERNAL_FAILURE")
    proxy.add(take)
    proxy.add(tell)

    status = status_of(org, earlier["Id"])
    with pytest.raises(ClientError) as unknown:
        status_of(org, "car-0123456789abcdef")

    assert (status["State"], status["AccountId"]) == ("SUCCEEDED", earlier["AccountId"])
    assert "FailureReason" not in status
    assert "NotFound" in error_code(unknown)  # moto's own answer: it never heard of that id
    assert [c.injected for c in proxy.calls_to("DescribeCreateAccountStatus")] == [False, False]
    # Those describes did not use up the failure: the next CreateAccount still meets it.
    failing = org.create_account(Email="new@example.com", AccountName="new")["CreateAccountStatus"]
    assert status_of(org, failing["Id"])["FailureReason"] == "INTERNAL_FAILURE"


# --- remove -------------------------------------------------------------------------


def test_a_removed_rule_no_longer_applies(
    proxy: ThreadedAwsFaultProxy, org: OrganizationsClient
) -> None:
    rule = proxy.add(throttle("ListRoots", times=None))
    with pytest.raises(ClientError) as throttled:
        org.list_roots()

    proxy.remove(rule)

    assert error_code(throttled) == "TooManyRequestsException"
    assert org.list_roots()["Roots"]
    assert org.list_roots()["Roots"]
    assert [c.injected for c in proxy.calls_to("ListRoots")] == [True, False, False]


def test_removing_one_rule_keeps_the_others(
    proxy: ThreadedAwsFaultProxy, org: OrganizationsClient
) -> None:
    roots_rule = proxy.add(throttle("ListRoots", times=None))
    proxy.add(throttle("DescribeOrganization", times=None))

    proxy.remove(roots_rule)
    proxy.remove(roots_rule)  # a second time: nothing to do, no error

    assert org.list_roots()["Roots"]
    with pytest.raises(ClientError) as still_throttled:
        org.describe_organization()
    assert error_code(still_throttled) == "TooManyRequestsException"


def test_creation_rules_removed_before_use_let_the_account_be_made(
    proxy: ThreadedAwsFaultProxy, org: OrganizationsClient, moto: OrganizationsClient
) -> None:
    take, tell = failed_account_creation("EMAIL_ALREADY_EXISTS")
    proxy.add(take)
    proxy.add(tell)

    proxy.remove(take)
    proxy.remove(tell)
    created = org.create_account(Email="dev@example.com", AccountName="dev")

    assert created["CreateAccountStatus"]["State"] == "SUCCEEDED"
    assert "dev@example.com" in emails(moto)
    assert proxy.injected_count() == 0


def test_removing_the_status_rule_hands_the_made_up_request_to_moto(
    proxy: ThreadedAwsFaultProxy, org: OrganizationsClient
) -> None:
    take, tell = failed_account_creation("EMAIL_ALREADY_EXISTS")
    proxy.add(take)
    proxy.add(tell)
    made_up = org.create_account(Email="dev@example.com", AccountName="dev")
    request_id = made_up["CreateAccountStatus"]["Id"]
    assert status_of(org, request_id)["State"] == "FAILED"

    proxy.remove(tell)
    with pytest.raises(ClientError) as unknown:
        status_of(org, request_id)

    assert "NotFound" in error_code(unknown)  # moto never heard of the request the rule made up
    assert [c.injected for c in proxy.calls_to("DescribeCreateAccountStatus")] == [True, False]

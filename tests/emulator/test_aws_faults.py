"""The fault proxy, driven by real boto3 clients against a real moto server over 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError

from bot.emulator.aws_faults import (
    AwsFaultProxy,
    ThreadedAwsFaultProxy,
    aws_error,
    create_account_status,
    drop_connection,
    garbage_answer,
    hold_response,
    lose_response,
    rewrite_json,
    server_error,
    throttle,
)
from tests.emulator.clients import organizations_client
from tests.support.aws_clients import moto_client

if TYPE_CHECKING:
    from mypy_boto3_organizations import OrganizationsClient
    from mypy_boto3_sts import STSClient

ORGANIZATIONS_TARGET = "AWSOrganizationsV20161128"


@pytest.fixture(autouse=True)
def fresh_moto(moto_url: str) -> None:
    request = urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=5):
        pass


def sts_client(url: str) -> STSClient:
    client: STSClient = moto_client("sts", url)
    return client


def error_code(exc_info: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc_info.value.response["Error"]["Code"])


def test_forwards_calls_unchanged(proxy: ThreadedAwsFaultProxy, org: OrganizationsClient) -> None:
    roots = org.list_roots()["Roots"]

    assert roots[0]["Id"].startswith("r-")
    assert [(c.operation, c.service_target, c.status, c.injected) for c in proxy.calls] == [
        ("CreateOrganization", ORGANIZATIONS_TARGET, 200, False),
        ("ListRoots", ORGANIZATIONS_TARGET, 200, False),
    ]


def test_throttles_the_given_number_of_times_then_passes(
    proxy: ThreadedAwsFaultProxy, org: OrganizationsClient
) -> None:
    proxy.add(throttle("CreateAccount", times=3))

    for _ in range(3):
        with pytest.raises(ClientError) as exc_info:
            org.create_account(Email="dev@example.com", AccountName="dev")
        assert error_code(exc_info) == "TooManyRequestsException"
        assert exc_info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    created = org.create_account(Email="dev@example.com", AccountName="dev")

    assert created["CreateAccountStatus"]["State"] == "SUCCEEDED"
    assert proxy.injected_count("CreateAccount") == 3
    assert [c.status for c in proxy.calls_to("CreateAccount")] == [400, 400, 400, 200]


def test_times_hold_under_concurrent_calls(
    proxy: ThreadedAwsFaultProxy, org: OrganizationsClient
) -> None:
    proxy.add(throttle("ListRoots", times=3))

    def outcome(_: int) -> str:
        try:
            org.list_roots()
        except ClientError as exc:
            return str(exc.response["Error"]["Code"])
        return "ok"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(outcome, range(16)))

    assert outcomes.count("TooManyRequestsException") == 3
    assert outcomes.count("ok") == 13


def test_throttle_outside_organizations_is_throttling_exception(
    proxy: ThreadedAwsFaultProxy,
) -> None:
    proxy.add(throttle("GetCallerIdentity"))

    with pytest.raises(ClientError) as exc_info:
        sts_client(proxy.url).get_caller_identity()

    assert error_code(exc_info) == "ThrottlingException"


def test_aws_error_parses_like_a_real_one(
    proxy: ThreadedAwsFaultProxy, org: OrganizationsClient
) -> None:
    proxy.add(
        aws_error(
            "CreateAccount",
            "ConstraintViolationException",
            "You have exceeded the allowed number of AWS accounts.",
            extra={"Reason": "ACCOUNT_NUMBER_LIMIT_EXCEEDED"},
        )
    )

    with pytest.raises(org.exceptions.ConstraintViolationException) as exc_info:
        org.create_account(Email="dev@example.com", AccountName="dev")

    response = exc_info.value.response
    assert response["Error"]["Code"] == "ConstraintViolationException"
    assert response["Error"]["Message"] == "You have exceeded the allowed number of AWS accounts."
    assert dict(response)["Reason"] == "ACCOUNT_NUMBER_LIMIT_EXCEEDED"
    assert len(response["ResponseMetadata"]["RequestId"]) == 36
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert len(org.list_accounts()["Accounts"]) == 1  # moto never saw the call


def test_server_error(proxy: ThreadedAwsFaultProxy, org: OrganizationsClient) -> None:
    proxy.add(server_error("ListRoots", status=503))

    with pytest.raises(ClientError) as exc_info:
        org.list_roots()

    assert error_code(exc_info) == "ServiceException"
    assert exc_info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503


def test_account_creation_stays_in_progress_then_succeeds(
    proxy: ThreadedAwsFaultProxy, org: OrganizationsClient
) -> None:
    proxy.add(create_account_status("IN_PROGRESS", times=2))

    created = org.create_account(Email="dev@example.com", AccountName="dev")["CreateAccountStatus"]
    polls = [
        org.describe_create_account_status(CreateAccountRequestId=created["Id"])[
            "CreateAccountStatus"
        ]
        for _ in range(3)
    ]

    assert created["State"] == "IN_PROGRESS"
    assert "AccountId" not in created
    assert [p["State"] for p in polls] == ["IN_PROGRESS", "IN_PROGRESS", "SUCCEEDED"]
    assert "AccountId" not in polls[0]
    assert "CompletedTimestamp" not in polls[0]
    assert polls[2]["AccountId"]
    assert proxy.injected_count("DescribeCreateAccountStatus") == 2


def test_account_creation_fails(proxy: ThreadedAwsFaultProxy, org: OrganizationsClient) -> None:
    proxy.add(create_account_status("FAILED", failure_reason="EMAIL_ALREADY_EXISTS"))

    created = org.create_account(Email="dev@example.com", AccountName="dev")["CreateAccountStatus"]
    status = org.describe_create_account_status(CreateAccountRequestId=created["Id"])[
        "CreateAccountStatus"
    ]

    assert created["State"] == "IN_PROGRESS"
    assert status["State"] == "FAILED"
    assert status["FailureReason"] == "EMAIL_ALREADY_EXISTS"
    assert "AccountId" not in status


def test_rewrite_json_changes_one_successful_answer(
    proxy: ThreadedAwsFaultProxy, org: OrganizationsClient
) -> None:
    proxy.add(rewrite_json("ListRoots", lambda document: {**document, "Roots": []}))

    assert org.list_roots()["Roots"] == []
    assert org.list_roots()["Roots"] != []
    assert proxy.injected_count("ListRoots") == 1


def test_rewrite_json_lets_errors_through_without_using_a_turn(
    proxy: ThreadedAwsFaultProxy, org: OrganizationsClient
) -> None:
    rule = proxy.add(rewrite_json("DescribeCreateAccountStatus", lambda document: {}))

    with pytest.raises(ClientError):  # moto's own not-found error
        org.describe_create_account_status(CreateAccountRequestId="car-0123456789")

    assert rule.remaining == 1
    assert proxy.injected_count() == 0


def test_dropped_connection_is_a_connection_error(
    proxy: ThreadedAwsFaultProxy, org: OrganizationsClient
) -> None:
    proxy.add(drop_connection("ListRoots"))

    with pytest.raises((ConnectionClosedError, EndpointConnectionError)):
        org.list_roots()

    assert org.list_roots()["Roots"]
    assert [(c.status, c.injected) for c in proxy.calls_to("ListRoots")] == [
        (0, True),
        (200, False),
    ]


def throttled_pattern(moto_url: str, seed: int) -> list[bool]:
    threaded = ThreadedAwsFaultProxy(moto_url, seed=seed)
    threaded.start()
    try:
        threaded.add(throttle("ListRoots", times=None, probability=0.5))
        organizations = organizations_client(threaded.url)
        for _ in range(20):
            with contextlib.suppress(ClientError):
                organizations.list_roots()
        return [call.injected for call in threaded.calls]
    finally:
        threaded.stop()


def test_seeded_probability_is_reproducible(moto_url: str) -> None:
    organizations_client(moto_url).create_organization(FeatureSet="ALL")

    first = throttled_pattern(moto_url, seed=42)
    second = throttled_pattern(moto_url, seed=42)

    assert first == second
    assert 0 < sum(first) < 20


def test_sts_passes_through_and_query_errors_parse(proxy: ThreadedAwsFaultProxy) -> None:
    sts = sts_client(proxy.url)
    assert sts.get_caller_identity()["Account"] == "123456789012"
    proxy.add(aws_error("GetCallerIdentity", "ExpiredToken", "The token <expired>.", status=403))

    with pytest.raises(ClientError) as exc_info:
        sts.get_caller_identity()

    response = exc_info.value.response
    assert response["Error"] == {
        "Type": "Sender",
        "Code": "ExpiredToken",
        "Message": "The token <expired>.",
    }
    assert len(response["ResponseMetadata"]["RequestId"]) == 36
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert [(c.operation, c.service_target) for c in proxy.calls] == [
        ("GetCallerIdentity", ""),
        ("GetCallerIdentity", ""),
    ]


def test_wildcard_rule_and_clear(proxy: ThreadedAwsFaultProxy, org: OrganizationsClient) -> None:
    proxy.add(throttle("*", times=None))

    with pytest.raises(ClientError):
        org.list_roots()
    with pytest.raises(ClientError):
        sts_client(proxy.url).get_caller_identity()
    proxy.clear()

    assert org.list_roots()["Roots"]
    assert proxy.injected_count() == 2


@pytest.mark.parametrize("kwargs", [{"times": 0}, {"probability": 1.5}])
def test_rejects_meaningless_rules(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        throttle("ListRoots", **kwargs)


async def test_runs_on_the_callers_event_loop(moto_url: str) -> None:
    proxy = AwsFaultProxy(moto_url)
    url = await proxy.start()
    try:
        assert url.startswith("http://127.0.0.1:")
        assert proxy.url == url
        organizations = organizations_client(url)
        proxy.add(throttle("CreateOrganization"))
        # boto3 blocks, so it must run off the loop that serves the proxy.
        with pytest.raises(ClientError):
            await asyncio.to_thread(organizations.create_organization, FeatureSet="ALL")
        await asyncio.to_thread(organizations.create_organization, FeatureSet="ALL")
    finally:
        await proxy.stop()

    assert [c.injected for c in proxy.calls] == [True, False]


def test_lost_response_means_the_call_happened_unseen(
    proxy: ThreadedAwsFaultProxy, org: OrganizationsClient
) -> None:
    proxy.add(lose_response("CreateOrganizationalUnit"))
    root = org.list_roots()["Roots"][0]["Id"]
    with pytest.raises((ConnectionClosedError, EndpointConnectionError)):
        org.create_organizational_unit(ParentId=root, Name="Unseen")
    units = org.list_organizational_units_for_parent(ParentId=root)["OrganizationalUnits"]
    assert [unit["Name"] for unit in units] == ["Unseen"]


@pytest.mark.parametrize("kind", ["html", "empty", "{}"])
def test_garbage_answer_reads_as_an_answer_with_nothing_in_it(
    proxy: ThreadedAwsFaultProxy, org: OrganizationsClient, kind: Any
) -> None:
    proxy.add(garbage_answer("ListRoots", kind))

    garbled = org.list_roots()
    assert "Roots" not in garbled
    assert garbled["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert "RequestId" not in garbled["ResponseMetadata"]
    assert org.list_roots()["Roots"] != []
    assert proxy.injected_count("ListRoots") == 1


def test_garbage_answer_keeps_the_call_from_aws_unless_it_reaches_it(
    proxy: ThreadedAwsFaultProxy, org: OrganizationsClient
) -> None:
    root = org.list_roots()["Roots"][0]["Id"]
    proxy.add(garbage_answer("CreateOrganizationalUnit", "{}", times=2, also=["ListRoots"]))
    proxy.add(garbage_answer("CreateOrganizationalUnit", "html", reach_aws=True))

    assert "Roots" not in org.list_roots()
    org.create_organizational_unit(ParentId=root, Name="Never")
    org.create_organizational_unit(ParentId=root, Name="Reached")

    units = org.list_organizational_units_for_parent(ParentId=root)["OrganizationalUnits"]
    assert [unit["Name"] for unit in units] == ["Reached"]


def test_garbage_answer_rejects_unknown_kinds() -> None:
    with pytest.raises(ValueError, match="kind"):
        garbage_answer("ListRoots", "xml")  # type: ignore[arg-type]


def test_held_response_arrives_late(proxy: ThreadedAwsFaultProxy, org: OrganizationsClient) -> None:
    proxy.add(hold_response("ListRoots", 0.3))
    started = time.monotonic()
    org.list_roots()
    assert time.monotonic() - started >= 0.3


def test_rest_json_errors_parse_like_real_ones(proxy: ThreadedAwsFaultProxy) -> None:
    scheduler = moto_client("scheduler", proxy.url)
    proxy.add(aws_error("*", "ConflictException", "Schedule x already exists."))
    with pytest.raises(ClientError) as raised:
        scheduler.delete_schedule(Name="x")
    assert raised.value.response["Error"]["Code"] == "ConflictException"
    assert raised.value.response["Error"]["Message"] == "Schedule x already exists."
    assert raised.value.response["ResponseMetadata"]["RequestId"]


def test_rest_json_calls_are_named_by_their_method_and_path(
    proxy: ThreadedAwsFaultProxy,
) -> None:
    """REST-JSON (EventBridge Scheduler) names no operation in the request: the proxy reads it
    from the method and path, as the service's model defines them, so a rule can name it."""
    scheduler = moto_client("scheduler", proxy.url)
    proxy.add(garbage_answer("DeleteSchedule", times=None))

    with pytest.raises(ClientError) as missing:
        scheduler.get_schedule(Name="x")
    scheduler.delete_schedule(Name="x")  # no such schedule, but the garbage says nothing

    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert [(c.operation, c.status, c.injected) for c in proxy.calls] == [
        ("GetSchedule", 404, False),
        ("DeleteSchedule", 200, True),
    ]


# A seeded throttling storm.
from bot.emulator.aws_faults import random_throttle  # noqa: E402


def storm_pattern(moto_url: str, *, proxy_seed: int, storm_seed: int) -> list[bool]:
    """Which of 30 ListRoots calls a 50% storm throttled, with calls to another operation in
    between that a rule rolling the proxy's own dice throttles half the time."""
    threaded = ThreadedAwsFaultProxy(moto_url, seed=proxy_seed)
    threaded.start()
    try:
        threaded.add(random_throttle(0.5, seed=storm_seed, operations=["ListRoots"]))
        threaded.add(throttle("DescribeOrganization", times=None, probability=0.5))
        organizations = organizations_client(threaded.url)
        for _ in range(30):
            for call in (organizations.describe_organization, organizations.list_roots):
                with contextlib.suppress(ClientError):
                    call()
        return [call.injected for call in threaded.calls_to("ListRoots")]
    finally:
        threaded.stop()


def test_random_throttle_follows_its_own_seed(moto_url: str) -> None:
    organizations_client(moto_url).create_organization(FeatureSet="ALL")

    storm = storm_pattern(moto_url, proxy_seed=1, storm_seed=1234)

    assert storm == storm_pattern(moto_url, proxy_seed=2, storm_seed=1234)
    assert storm != storm_pattern(moto_url, proxy_seed=1, storm_seed=99)
    assert 0 < sum(storm) < 30


def test_random_throttle_answers_each_service_s_throttling_error_until_cleared(
    proxy: ThreadedAwsFaultProxy, org: OrganizationsClient
) -> None:
    proxy.add(random_throttle(1.0, seed=5))

    for _ in range(3):
        with pytest.raises(ClientError) as organizations_error:
            org.list_roots()
        assert error_code(organizations_error) == "TooManyRequestsException"
    with pytest.raises(ClientError) as sts_error:
        sts_client(proxy.url).get_caller_identity()
    assert error_code(sts_error) == "ThrottlingException"
    proxy.clear()

    assert org.list_roots()["Roots"]


def test_random_throttle_hits_about_its_share_of_the_named_operations_only(
    proxy: ThreadedAwsFaultProxy, org: OrganizationsClient
) -> None:
    proxy.add(random_throttle(0.5, seed=1234, operations=["ListRoots", "ListAccounts"]))

    outcomes = []
    for _ in range(60):
        try:
            org.list_roots()
            outcomes.append("ok")
        except ClientError as exc:
            outcomes.append(str(exc.response["Error"]["Code"]))
    for _ in range(10):
        org.describe_organization()  # not named: never throttled

    assert set(outcomes) == {"ok", "TooManyRequestsException"}
    assert 15 <= outcomes.count("TooManyRequestsException") <= 45
    assert proxy.injected_count("ListRoots") == outcomes.count("TooManyRequestsException")
    assert proxy.injected_count("DescribeOrganization") == 0


def test_random_throttle_code_overrides_the_service_s(
    proxy: ThreadedAwsFaultProxy, org: OrganizationsClient
) -> None:
    proxy.add(random_throttle(1.0, operations=["ListRoots"], code="ThrottlingException"))

    with pytest.raises(ClientError) as exc_info:
        org.list_roots()

    assert error_code(exc_info) == "ThrottlingException"


@pytest.mark.parametrize("kwargs", [{"operations": []}, {"probability": -0.1}])
def test_random_throttle_rejects_meaningless_storms(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        random_throttle(**kwargs)

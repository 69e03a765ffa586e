"""The one AWS retry point: which errors are retried, how often, and what is reported."""

from __future__ import annotations

from datetime import timedelta

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from bot.aws.catalog import Retry, catalog
from bot.aws.errors import AwsCallError, describe_exception
from bot.aws.retry import (
    RetryNotice,
    RetryPolicy,
    call_with_retry,
    is_transient,
    is_turned_away,
    outcome_unknown,
)
from tests.unit.factories import aws_failure

ENDPOINT = "https://organizations.us-east-1.amazonaws.com"
TINY = RetryPolicy(attempts=4, base=timedelta(milliseconds=1), maximum=timedelta(milliseconds=4))


def client_error(
    code: str,
    *,
    status: int = 400,
    message: str = "",
    request_id: str | None = "req-1",
    operation: str = "CreateAccount",
    **extra: str,
) -> ClientError:
    """A ClientError as botocore builds it from a parsed AWS error response."""
    metadata: dict[str, object] = {"HTTPStatusCode": status, "HTTPHeaders": {}, "RetryAttempts": 0}
    if request_id:
        metadata["RequestId"] = request_id
    response = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": metadata}
    response.update(extra)
    return ClientError(response, operation)  # type: ignore[arg-type]


def connection_errors() -> list[Exception]:
    return [
        EndpointConnectionError(endpoint_url=ENDPOINT),
        ConnectionClosedError(endpoint_url=ENDPOINT),
        ConnectTimeoutError(endpoint_url=ENDPOINT),
        ReadTimeoutError(endpoint_url=ENDPOINT),
    ]


class ScriptedCall:
    """An AWS call that raises the scripted errors in turn, then answers."""

    def __init__(self, *errors: Exception, answer: object = "answer") -> None:
        self.errors = list(errors)
        self.answer = answer
        self.count = 0

    async def __call__(self) -> object:
        self.count += 1
        if self.errors:
            raise self.errors.pop(0)
        return self.answer


class Notices:
    def __init__(self) -> None:
        self.received: list[RetryNotice] = []

    async def __call__(self, notice: RetryNotice) -> None:
        self.received.append(notice)


async def run(call: ScriptedCall, notices: Notices | None = None, **options: object) -> object:
    return await call_with_retry(
        call,
        policy=options.pop("policy", TINY),  # type: ignore[arg-type]
        service="organizations",
        operation="CreateAccount",
        on_retry=notices,
        **options,  # type: ignore[arg-type]
    )


class TestClassification:
    @pytest.mark.parametrize(
        ("service", "code", "status", "transient", "turned_away"),
        [
            # Turned away: transient, and safe to repeat.
            ("organizations", "TooManyRequestsException", 400, True, True),
            ("organizations", "ConcurrentModificationException", 400, True, True),
            ("sso-admin", "ThrottlingException", 400, True, True),
            ("scheduler", "ThrottlingException", 400, True, True),
            # AWS-side faults: transient, but AWS may have acted.
            ("organizations", "ServiceException", 500, True, False),
            ("sso-admin", "InternalServerException", 500, True, False),
            ("organizations", "ServiceUnavailable", 503, True, False),
            # Client faults: final.
            ("organizations", "AccessDeniedException", 400, False, False),
            ("organizations", "ConstraintViolationException", 400, False, False),
            ("organizations", "DuplicateAccountException", 400, False, False),
            ("sso-admin", "ValidationException", 400, False, False),
            ("organizations", "SomethingNew", 400, False, False),
        ],
    )
    def test_each_code_is_transient_or_final_and_turned_away_or_not(
        self, service, code, status, transient, turned_away
    ):
        error = client_error(code, status=status)
        assert is_transient(error, service) is transient
        assert is_turned_away(error, service) is turned_away

    def test_any_5xx_the_catalog_does_not_know_is_transient(self):
        assert is_transient(client_error("SomethingNew", status=502), "organizations")

    def test_the_retry_policy_and_the_catalog_agree(self):
        for entry in catalog().errors:
            if entry.service == "*" or entry.code.endswith("Error"):
                continue
            error = client_error(entry.code, status=500 if entry.retry is Retry.TRANSIENT else 400)
            assert is_transient(error, entry.service) is (entry.retry is not Retry.NO), entry
            assert is_turned_away(error, entry.service) is (entry.retry is Retry.TURNED_AWAY)

    @pytest.mark.parametrize("error", connection_errors(), ids=lambda e: type(e).__name__)
    def test_connection_errors_are_transient_but_not_turned_away(self, error):
        assert is_transient(error, "organizations")
        assert not is_turned_away(error, "organizations")

    def test_other_exceptions_are_not_transient(self):
        assert not is_transient(ValueError("boom"), "organizations")
        assert not is_turned_away(ValueError("boom"), "organizations")

    @pytest.mark.parametrize(
        ("status", "unknown"), [(None, True), (500, True), (503, True), (400, False), (403, False)]
    )
    def test_outcome_unknown_when_no_answer_or_aws_failed(self, status, unknown):
        assert outcome_unknown(aws_failure(http_status=status)) is unknown

    def test_a_lost_connection_is_described_without_status(self):
        failure = describe_exception(
            ConnectionClosedError(endpoint_url=ENDPOINT),
            service="organizations",
            operation="CreateAccount",
        )
        assert failure.code == "ConnectionClosedError"
        assert ENDPOINT in failure.message
        assert failure.http_status is None
        assert outcome_unknown(failure)


class TestRetryingTransientErrors:
    async def test_retried_until_it_succeeds_and_each_retry_is_reported(self):
        call = ScriptedCall(
            client_error("ThrottlingException", message="Rate exceeded", request_id="r1"),
            client_error("ThrottlingException", message="Rate exceeded", request_id="r2"),
        )
        notices = Notices()
        assert await run(call, notices) == "answer"
        assert call.count == 3
        assert [(n.attempt, n.of) for n in notices.received] == [(1, 4), (2, 4)]
        assert {n.code for n in notices.received} == {"ThrottlingException"}
        assert [n.request_id for n in notices.received] == ["r1", "r2"]
        assert all(n.message == "Rate exceeded" for n in notices.received)
        assert all(n.operation == "CreateAccount" for n in notices.received)
        assert all(timedelta(0) <= n.wait <= TINY.maximum for n in notices.received)

    async def test_gives_up_after_the_policy_attempts(self):
        call = ScriptedCall(
            *[client_error("InternalFailure", status=500, request_id=f"r{i}") for i in range(9)]
        )
        notices = Notices()
        with pytest.raises(AwsCallError) as failed:
            await run(call, notices)
        assert call.count == 4
        assert len(notices.received) == 3  # no notice after the last attempt
        failure = failed.value.failure
        assert failure.attempts == 4
        assert failure.code == "InternalFailure"
        assert failure.request_id == "r3"  # the last attempt's
        assert failure.http_status == 500

    @pytest.mark.parametrize("error", connection_errors(), ids=lambda e: type(e).__name__)
    async def test_connection_errors_are_retried_for_idempotent_calls(self, error):
        call = ScriptedCall(error)
        assert await run(call) == "answer"
        assert call.count == 2

    async def test_each_attempt_is_announced(self):
        seen: list[int] = []
        call = ScriptedCall(
            client_error("ThrottlingException"), client_error("TooManyRequestsException")
        )
        await run(call, on_attempt=seen.append)
        assert seen == [1, 2, 3]

    async def test_a_single_attempt_policy_does_not_retry(self):
        call = ScriptedCall(client_error("ThrottlingException"))
        with pytest.raises(AwsCallError) as failed:
            await run(call, policy=RetryPolicy(attempts=1))
        assert call.count == 1
        assert failed.value.failure.attempts == 1


class TestFinalErrors:
    async def test_access_denied_is_not_retried(self):
        call = ScriptedCall(
            client_error(
                "AccessDeniedException",
                status=403,
                message="You don't have permissions to access this resource.",
                request_id="req-denied",
            )
        )
        notices = Notices()
        with pytest.raises(AwsCallError) as failed:
            await run(call, notices)
        assert call.count == 1
        assert notices.received == []
        failure = failed.value.failure
        assert failure.code == "AccessDeniedException"
        assert failure.attempts == 1
        assert failure.request_id == "req-denied"
        assert failure.http_status == 403
        assert "permissions" in failure.message
        assert "AccessDeniedException" in str(failed.value)

    async def test_the_reason_aws_gave_is_kept(self):
        # botocore puts modeled error members such as Reason next to "Error".
        call = ScriptedCall(
            client_error(
                "ConstraintViolationException",
                message="You have exceeded the allowed number of AWS accounts.",
                request_id="req-limit",
                Reason="ACCOUNT_NUMBER_LIMIT_EXCEEDED",
            )
        )
        with pytest.raises(AwsCallError) as failed:
            await run(call)
        failure = failed.value.failure
        assert failure.reason == "ACCOUNT_NUMBER_LIMIT_EXCEEDED"
        assert failure.request_id == "req-limit"
        assert failure.operation == "CreateAccount"
        assert failure.service == "organizations"

    async def test_a_reason_inside_the_error_is_kept_too(self):
        error = client_error("ConstraintViolationException")
        error.response["Error"]["Reason"] = "EMAIL_ALREADY_EXISTS"  # type: ignore[typeddict-unknown-key]
        with pytest.raises(AwsCallError) as failed:
            await run(ScriptedCall(error))
        assert failed.value.failure.reason == "EMAIL_ALREADY_EXISTS"

    async def test_an_empty_message_says_aws_gave_none(self):
        with pytest.raises(AwsCallError) as failed:
            await run(ScriptedCall(client_error("AccessDeniedException")))
        assert failed.value.failure.message == "(AWS gave no message)"


class TestCallsThatAreNotIdempotent:
    async def test_throttling_is_retried(self):
        call = ScriptedCall(client_error("TooManyRequestsException"))
        notices = Notices()
        assert await run(call, notices, idempotent=False) == "answer"
        assert call.count == 2
        assert [n.code for n in notices.received] == ["TooManyRequestsException"]

    async def test_a_500_is_not_retried(self):
        call = ScriptedCall(client_error("ServiceException", status=500))
        with pytest.raises(AwsCallError) as failed:
            await run(call, idempotent=False)
        assert call.count == 1
        assert failed.value.failure.attempts == 1
        assert outcome_unknown(failed.value.failure)

    @pytest.mark.parametrize("error", connection_errors(), ids=lambda e: type(e).__name__)
    async def test_a_connection_error_is_not_retried(self, error):
        call = ScriptedCall(error)
        with pytest.raises(AwsCallError) as failed:
            await run(call, idempotent=False)
        assert call.count == 1
        assert failed.value.failure.code == type(error).__name__
        assert outcome_unknown(failed.value.failure)

    async def test_a_client_fault_is_not_retried_and_its_outcome_is_known(self):
        call = ScriptedCall(client_error("ConstraintViolationException"))
        with pytest.raises(AwsCallError) as failed:
            await run(call, idempotent=False)
        assert call.count == 1
        assert not outcome_unknown(failed.value.failure)


class TestWatchersThatFail:
    async def test_a_failing_retry_listener_does_not_fail_the_aws_call(self):
        async def broken_listener(notice: RetryNotice) -> None:
            raise RuntimeError("the outbox is unavailable")

        call = ScriptedCall(client_error("ThrottlingException"))
        result = await call_with_retry(
            call,
            policy=TINY,
            service="organizations",
            operation="ListAccounts",
            on_retry=broken_listener,
        )
        assert result == "answer"

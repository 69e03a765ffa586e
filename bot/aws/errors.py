"""One error type for every failed AWS call, keeping everything AWS said about it."""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from bot.domain.operations import AwsFailure


class AwsCallError(Exception):
    """A call failed for good (not transient, or out of attempts)."""

    def __init__(self, failure: AwsFailure) -> None:
        super().__init__(f"{failure.operation}: {failure.code}: {failure.message}")
        self.failure = failure


CONNECTION_ERRORS = (
    EndpointConnectionError,
    ConnectionClosedError,
    ConnectTimeoutError,
    ReadTimeoutError,
)


def describe_exception(error: BaseException, *, service: str, operation: str) -> AwsFailure:
    """Turn what botocore raised into an AwsFailure, dropping nothing AWS said."""
    if isinstance(error, ClientError):
        response = error.response
        details = response.get("Error", {})
        metadata = response.get("ResponseMetadata", {})
        reason = response.get("Reason") or details.get("Reason")
        return AwsFailure(
            service=service,
            operation=operation,
            code=str(details.get("Code", "Unknown")),
            message=str(details.get("Message", "")) or "(AWS gave no message)",
            request_id=metadata.get("RequestId") or None,
            http_status=metadata.get("HTTPStatusCode"),
            reason=str(reason) if reason else None,
        )
    code = type(error).__name__
    message = str(error) if isinstance(error, BotoCoreError | OSError) else repr(error)
    return AwsFailure(service=service, operation=operation, code=code, message=message)

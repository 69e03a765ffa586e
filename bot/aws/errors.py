"""One error type for every failed AWS call, keeping everything AWS said about it.

AwsCallError            a call failed for good; `.failure` is what people are shown
what it is made from (describe_exception):
    ClientError         AWS answered with an error
    CONNECTION_ERRORS   no answer came back
    UnreadableAnswer    an answer came back without what the call promises
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from bot.domain.errors import AwsCallFailed
from bot.domain.operations import AwsFailure


class AwsCallError(AwsCallFailed):
    """A call failed for good (not transient, or out of attempts)."""

    def __init__(self, failure: AwsFailure) -> None:
        super().__init__(f"{failure.operation}: {failure.code}: {failure.message}")
        self.failure = failure


# Outpost's own code for an answer that lacks what the call promises; in the catalog.
UNREADABLE_ANSWER = "UnreadableAnswer"


class UnreadableAnswer(AwsCallFailed):
    """A success status, but not AWS's answer: it lacks the request id or fields AWS always
    sends (see `answers.py`). Something between Outpost and AWS answered in its place (a proxy,
    a captive portal) or cut the answer short. Whether the call reached AWS cannot be told."""

    def __init__(self, missing: Sequence[str], answer: Mapping[str, Any]) -> None:
        metadata: Mapping[str, Any] = answer.get("ResponseMetadata") or {}
        headers: Mapping[str, str] = metadata.get("HTTPHeaders") or {}
        self.missing = tuple(missing)
        self.http_status: int | None = metadata.get("HTTPStatusCode")
        self.request_id: str | None = metadata.get("RequestId") or None
        came = f"HTTP {self.http_status}" if self.http_status else "an answer"
        content_type = headers.get("content-type")
        if content_type:
            came += f" ({content_type})"
        lacking = ", ".join(self.missing[:-1])
        lacking = f"{lacking} and {self.missing[-1]}" if lacking else self.missing[-1]
        super().__init__(
            f"The answer came back as {came}, without {lacking}, which AWS always sends. "
            "Outpost takes it neither for an empty answer nor for a success."
        )


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
    if isinstance(error, UnreadableAnswer):
        return AwsFailure(
            service=service,
            operation=operation,
            code=UNREADABLE_ANSWER,
            message=str(error),
            request_id=error.request_id,
            http_status=error.http_status,
        )
    code = type(error).__name__
    message = str(error) if isinstance(error, BotoCoreError | OSError) else repr(error)
    return AwsFailure(service=service, operation=operation, code=code, message=message)

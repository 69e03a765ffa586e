"""The one place AWS calls are retried.

botocore's own retries are turned off (see `clients.py`), so every retry happens here, under
one policy, and each one is reported to whoever is watching the call. Which errors are retried
comes from the error catalog, so what is retried and what people read about it agree.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TypeVar

from botocore.exceptions import ClientError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_random_exponential

from bot.aws.catalog import Retry, catalog
from bot.aws.errors import (
    CONNECTION_ERRORS,
    UNREADABLE_ANSWER,
    AwsCallError,
    UnreadableAnswer,
    describe_exception,
)
from bot.domain.operations import AwsFailure

T = TypeVar("T")
log = logging.getLogger(__name__)


def retry_class(error: BaseException, service: str) -> Retry:
    """How the catalog says to treat this error; AWS-side faults it does not know are transient."""
    if isinstance(error, UnreadableAnswer):
        entry = catalog().error(service, UNREADABLE_ANSWER)
        return entry.retry if entry else Retry.TRANSIENT
    if isinstance(error, CONNECTION_ERRORS):
        entry = catalog().error(service, type(error).__name__)
        return entry.retry if entry else Retry.TRANSIENT
    if not isinstance(error, ClientError):
        return Retry.NO
    known = catalog().error(service, error.response.get("Error", {}).get("Code", ""))
    if known is not None:
        return known.retry
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return Retry.TRANSIENT if status >= 500 else Retry.NO


def is_transient(error: BaseException, service: str) -> bool:
    """Worth another try: throttling, concurrent modification, AWS-side faults, lost connections."""
    return retry_class(error, service) is not Retry.NO


def is_turned_away(error: BaseException, service: str) -> bool:
    """Transient, and certain not to have been acted on: safe to repeat any call."""
    return retry_class(error, service) is Retry.TURNED_AWAY


def outcome_unknown(failure: AwsFailure) -> bool:
    """The call may or may not have taken effect: the connection failed, AWS itself did, or
    what answered was not AWS (it may have passed the call on before answering)."""
    return (
        failure.http_status is None
        or failure.http_status >= 500
        or failure.code == UNREADABLE_ANSWER
    )


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base: timedelta = timedelta(seconds=1)
    maximum: timedelta = timedelta(seconds=20)


@dataclass(frozen=True)
class RetryNotice:
    """A transient failure that will be retried: shown in the operation's thread."""

    service: str
    operation: str
    code: str
    message: str
    request_id: str | None
    attempt: int  # the attempt that failed
    of: int
    wait: timedelta


RetryListener = Callable[[RetryNotice], Awaitable[None]]


async def call_with_retry(
    call: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    service: str,
    operation: str,
    on_retry: RetryListener | None = None,
    on_attempt: Callable[[int], None] | None = None,
    idempotent: bool = True,
) -> T:
    """Run `call` until it succeeds, fails for good, or runs out of attempts.

    A call that is not idempotent is repeated only when AWS turned it away unprocessed; when
    its outcome is unknown, the caller must find out what happened before sending it again.

    Raises AwsCallError carrying what AWS said and how many attempts were made.
    """

    async def before_sleep(state: RetryCallState) -> None:
        if on_retry is None or state.outcome is None:
            return
        error = state.outcome.exception()
        assert error is not None
        failure = describe_exception(error, service=service, operation=operation)
        wait = state.next_action.sleep if state.next_action else 0.0
        notice = RetryNotice(
            service=service,
            operation=operation,
            code=failure.code,
            message=failure.message,
            request_id=failure.request_id,
            attempt=state.attempt_number,
            of=policy.attempts,
            wait=timedelta(seconds=wait),
        )
        try:
            await on_retry(notice)
        except Exception:
            # Telling people about a retry must never be what fails the AWS call.
            log.exception("could not report the retry of %s", operation)

    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.attempts),
        wait=wait_random_exponential(
            multiplier=policy.base.total_seconds(), max=policy.maximum.total_seconds()
        ),
        retry=retry_if_exception(
            partial(is_transient if idempotent else is_turned_away, service=service)
        ),
        before_sleep=before_sleep,
        sleep=asyncio.sleep,
        reraise=True,
    )
    attempt_number = 0
    try:
        async for attempt in retrying:
            with attempt:
                attempt_number = attempt.retry_state.attempt_number
                if on_attempt is not None:
                    on_attempt(attempt_number)
                return await call()
    except Exception as error:
        failure = describe_exception(error, service=service, operation=operation)
        raise AwsCallError(failure.model_copy(update={"attempts": attempt_number})) from error
    raise AssertionError("unreachable: tenacity either returns or raises")

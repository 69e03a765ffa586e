"""Runs one AWS API call under the retry policy and tells watchers about every attempt.

An answer is checked for AWS's request id and what the call promises (`answers.py`) before
anyone reads it: one that lacks either is an error like any other, retried under the same
policy, never an empty result or a success.

Watchers are how an operation records each AWS call it made (with its request id) and shows
each retry in its Slack thread, without the gateway knowing about either.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from botocore import xform_name
from botocore.exceptions import ClientError

from bot.aws.answers import missing_from
from bot.aws.cli import cli_command
from bot.aws.errors import AwsCallError, UnreadableAnswer
from bot.aws.retry import RetryListener, RetryPolicy, call_with_retry
from bot.clock import Clock
from bot.domain.operations import AwsCall

CallListener = Callable[[AwsCall], Awaitable[None]]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Watchers:
    on_call: CallListener | None = None
    on_retry: RetryListener | None = None


@dataclass(frozen=True)
class AwsCaller:
    policy: RetryPolicy
    clock: Clock  # when each call was made, as recorded
    watchers: Watchers = Watchers()

    def watched_by(self, watchers: Watchers) -> AwsCaller:
        return replace(self, watchers=watchers)

    async def __call__(
        self, client: Any, service: str, operation: str, *, idempotent: bool = True, **params: Any
    ) -> dict[str, Any]:
        method = getattr(client, xform_name(operation))
        cli = _cli(client, service, operation, params)
        attempt_number = 0

        def count(number: int) -> None:
            nonlocal attempt_number
            attempt_number = number

        async def attempt() -> dict[str, Any]:
            started = time.monotonic()
            try:
                response: dict[str, Any] = await asyncio.to_thread(method, **params)
            except Exception as error:
                await self._report(service, operation, cli, started, attempt_number, error=error)
                raise
            missing = missing_from(service, operation, response)
            unreadable = UnreadableAnswer(missing, response) if missing else None
            await self._report(
                service,
                operation,
                cli,
                started,
                attempt_number,
                response=response,
                error=unreadable,
            )
            if unreadable is not None:
                raise unreadable
            return response

        try:
            return await call_with_retry(
                attempt,
                policy=self.policy,
                service=service,
                operation=operation,
                on_retry=self.watchers.on_retry,
                on_attempt=count,
                idempotent=idempotent,
            )
        except AwsCallError as error:
            raise AwsCallError(error.failure.model_copy(update={"cli": cli})) from error

    async def pages(
        self, client: Any, service: str, operation: str, key: str, **params: Any
    ) -> AsyncGenerator[Any, None]:
        """The items under `key` of every page, following NextToken by hand so that each
        page goes through the retry point.

        The caller has checked that each page holds `key` (see `answers.py`): a page without
        it is an error, never an empty page.
        """
        token: str | None = None
        while True:
            page_params = dict(params, NextToken=token) if token else params
            page = await self(client, service, operation, **page_params)
            for item in page[key]:
                yield item
            token = page.get("NextToken")
            if not token:
                return

    async def _report(
        self,
        service: str,
        operation: str,
        cli: str | None,
        started: float,
        attempt: int,
        *,
        response: dict[str, Any] | None = None,
        error: Exception | None = None,
    ) -> None:
        if self.watchers.on_call is None:
            return
        if isinstance(error, ClientError):
            response = dict(error.response)
        metadata = (response or {}).get("ResponseMetadata", {})
        if error is None:
            outcome = "ok"
        elif isinstance(error, ClientError):
            outcome = str(error.response.get("Error", {}).get("Code", "Unknown"))
        else:
            outcome = type(error).__name__
        try:
            await self.watchers.on_call(
                AwsCall(
                    service=service,
                    operation=operation,
                    request_id=metadata.get("RequestId") or None,
                    outcome=outcome,
                    duration_ms=int((time.monotonic() - started) * 1000),
                    attempt=attempt,
                    at=self.clock.now(),
                    cli=cli,
                )
            )
        except Exception:
            # Recording a call must never be what fails it.
            log.exception("could not record the call to %s", operation)


# Organizations is a global service: its CLI commands need no region.
GLOBAL_SERVICES = frozenset({"organizations"})


def _cli(client: Any, service: str, operation: str, params: dict[str, Any]) -> str | None:
    """The AWS CLI form of the call; showing it must never be what fails the call."""
    region = None if service in GLOBAL_SERVICES else client.meta.region_name
    try:
        return cli_command(service, operation, params, region=region)
    except Exception:
        log.exception("no CLI form for %s:%s", service, operation)
        return None

"""boto3 clients the tests call moto (or the fault proxy in front of it) with, and what a
gateway under test reports about its calls.

`fault_proxy`: moto behind the proxy that injects faults, for as long as a block runs.
`moto_client`: test credentials, the one Region the tests use, and a single attempt: a test
that wants a retry makes it itself, so what a fault did is never hidden by botocore trying
again. `built_as_the_bot_builds_them`: the bot's own client functions, reading the standard
AWS environment, so that a gateway is tested with the client it runs with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from botocore.config import Config

from bot.aws.caller import Watchers
from bot.aws.retry import RetryNotice
from bot.domain.operations import AwsCall, AwsFailure
from bot.emulator.aws_faults import ThreadedAwsFaultProxy

REGION = "us-east-1"
NO_RETRIES = Config(retries={"total_max_attempts": 1})


@contextmanager
def fault_proxy(moto_url: str) -> Iterator[ThreadedAwsFaultProxy]:
    """The endpoint the bot talks to: moto behind a proxy that can inject faults."""
    proxy = ThreadedAwsFaultProxy(moto_url)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()


def moto_client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=NO_RETRIES,
    )


@contextmanager
def built_as_the_bot_builds_them(
    endpoint: str, *build: Callable[[], Any]
) -> Iterator[tuple[Any, ...]]:
    """The clients `build` makes (bot.aws.clients functions) from the standard AWS environment
    variables, aimed at `endpoint`; closed on the way out."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ENDPOINT_URL", endpoint)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_REGION", REGION)
        env.delenv("AWS_SESSION_TOKEN", raising=False)
        env.delenv("AWS_PROFILE", raising=False)
        clients = tuple(make() for make in build)
    try:
        yield clients
    finally:
        for client in clients:
            client.close()


class Watched:
    """Collects what a gateway reports about each call and each retry."""

    def __init__(self) -> None:
        self.calls: list[AwsCall] = []
        self.retries: list[RetryNotice] = []

    async def on_call(self, call: AwsCall) -> None:
        self.calls.append(call)

    async def on_retry(self, notice: RetryNotice) -> None:
        self.retries.append(notice)

    def watchers(self) -> Watchers:
        return Watchers(on_call=self.on_call, on_retry=self.on_retry)

    def outcomes(self) -> list[tuple[str, str]]:
        return [(call.operation, call.outcome) for call in self.calls]


def assert_no_request_id(failure: AwsFailure, operation: str) -> None:
    """`failure` is `operation` answered without AWS's request id: an answer that may be a
    proxy's page, so not known to be AWS's."""
    assert (failure.operation, failure.code, failure.http_status) == (
        operation,
        "UnreadableAnswer",
        200,
    )
    assert "request id" in failure.message

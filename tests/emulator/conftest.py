"""Fixtures of the emulator's tests: a Web API client of the module's fake Slack, and the fault
proxy in front of the session's moto server with an organization behind it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.emulator.aws_faults import ThreadedAwsFaultProxy
from bot.emulator.slack import FakeSlack
from tests.emulator.clients import TOKEN, organizations_client

if TYPE_CHECKING:
    from mypy_boto3_organizations import OrganizationsClient


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    """A client of the fake Slack that each module's `slack` fixture sets up."""
    return AsyncWebClient(token=TOKEN, base_url=slack.base_url)


@pytest.fixture
def proxy(moto_url: str) -> Iterator[ThreadedAwsFaultProxy]:
    threaded = ThreadedAwsFaultProxy(moto_url, seed=7)
    threaded.start()
    yield threaded
    threaded.stop()


@pytest.fixture
def org(proxy: ThreadedAwsFaultProxy) -> OrganizationsClient:
    organizations = organizations_client(proxy.url)
    organizations.create_organization(FeatureSet="ALL")
    return organizations

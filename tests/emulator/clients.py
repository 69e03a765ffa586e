"""Clients the emulator's tests call the fakes with, as the bot does."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from slack_sdk.errors import SlackApiError

from tests.support.aws_clients import moto_client

if TYPE_CHECKING:
    from mypy_boto3_organizations import OrganizationsClient

TOKEN = "xoxb-test-token"  # the fake Slack's default bot token


def organizations_client(url: str) -> OrganizationsClient:
    client: OrganizationsClient = moto_client("organizations", url)
    return client


async def slack_error(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as raised:
        await call
    return raised.value

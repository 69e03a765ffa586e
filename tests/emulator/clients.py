"""Clients the emulator's tests call the fakes with, as the bot does."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config
from slack_sdk.errors import SlackApiError

if TYPE_CHECKING:
    from mypy_boto3_organizations import OrganizationsClient

TOKEN = "xoxb-test-token"  # the fake Slack's default bot token
NO_RETRIES = Config(retries={"total_max_attempts": 1})


def organizations_client(url: str) -> OrganizationsClient:
    return boto3.client(
        "organizations",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=NO_RETRIES,
    )


async def slack_error(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as raised:
        await call
    return raised.value

"""boto3 clients the tests call moto (or the fault proxy in front of it) with.

Test credentials, the one Region the tests use, and a single attempt: a test that wants a
retry makes it itself, so what a fault did is never hidden by botocore trying again.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

REGION = "us-east-1"
NO_RETRIES = Config(retries={"total_max_attempts": 1})


def moto_client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=NO_RETRIES,
    )

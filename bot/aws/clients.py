"""boto3 clients configured for Outpost: botocore's retries off, bounded timeouts.

boto3 reads credentials, region and `AWS_ENDPOINT_URL` from the standard environment itself.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from botocore.client import BaseClient
    from mypy_boto3_identitystore import IdentityStoreClient
    from mypy_boto3_organizations import OrganizationsClient
    from mypy_boto3_sso_admin import SSOAdminClient

# Organizations is a global service served from us-east-1.
DEFAULT_REGION = "us-east-1"

NO_HIDDEN_RETRIES = Config(
    retries={"total_max_attempts": 1, "mode": "standard"},
    connect_timeout=5,
    read_timeout=20,
    max_pool_connections=50,
)


def _region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


def organizations_client() -> OrganizationsClient:
    return boto3.session.Session().client(
        "organizations", region_name=_region(), config=NO_HIDDEN_RETRIES
    )


# IAM Identity Center is regional: AWS_REGION must be its home Region.


def sso_admin_client() -> SSOAdminClient:
    return boto3.session.Session().client(
        "sso-admin", region_name=_region(), config=NO_HIDDEN_RETRIES
    )


def identitystore_client() -> IdentityStoreClient:
    return boto3.session.Session().client(
        "identitystore", region_name=_region(), config=NO_HIDDEN_RETRIES
    )


# EventBridge Scheduler is regional: schedules live in the account and Region Outpost runs in.


def scheduler_client() -> BaseClient:
    client: BaseClient = boto3.session.Session().client(
        "scheduler", region_name=_region(), config=NO_HIDDEN_RETRIES
    )
    return client


# AWS Account Management and Budgets are global services, answered from us-east-1.
GLOBAL_REGION = "us-east-1"


def account_client() -> BaseClient:
    client: BaseClient = boto3.session.Session().client(
        "account", region_name=GLOBAL_REGION, config=NO_HIDDEN_RETRIES
    )
    return client


def budgets_client() -> BaseClient:
    client: BaseClient = boto3.session.Session().client(
        "budgets", region_name=GLOBAL_REGION, config=NO_HIDDEN_RETRIES
    )
    return client

"""What Outpost knows about an AWS organization: its OUs, accounts and account creations."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel


class OrganizationalUnit(BaseModel, frozen=True):
    id: str
    name: str
    path: str  # e.g. "Root / Workloads / Prod", for people to choose the right one


class AccountSummary(BaseModel, frozen=True):
    id: str
    name: str
    email: str
    status: str


class CreationState(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class CreationStatus(BaseModel, frozen=True):
    """AWS's CreateAccountStatus: the request id (`car-…`) and where the creation stands."""

    request_id: str
    account_name: str
    state: CreationState
    account_id: str | None = None
    failure_reason: str | None = None
    requested_at: datetime | None = None

"""Builders for domain objects (and the App Home they make), shared by the unit and
integration tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain.grants import AccessRequest, Grant
from bot.domain.operations import AccountRequest, AwsFailure, Operation
from bot.ui.home import home_view

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

# Each operation built without a request asks for an account of its own: the store refuses a
# second running operation for the same name or email.
_accounts = itertools.count(1)


def account_request(**changes: Any) -> AccountRequest:
    fields: dict[str, Any] = {
        "name": "payments-staging",
        "email": "aws+payments-staging@example.com",
        "ou_id": "ou-root-workloads",
        "ou_name": "Workloads",
        "team": "payments",
        "purpose": "staging for the payments API",
    }
    fields.update(changes)
    return AccountRequest(**fields)


def operation(
    *, at: datetime = T0, request: AccountRequest | None = None, **changes: Any
) -> Operation:
    """A new running operation at its first step, due at `at`."""
    if request is None:
        n = next(_accounts)
        request = account_request(name=f"payments-{n}", email=f"aws+payments-{n}@example.com")
    fields: dict[str, Any] = {
        "requester": "UENGINEER",
        "request": request,
        "origin_channel": "CPLATFORM",
        "card_channel": "CPLATFORM",
        "created_at": at,
        "updated_at": at,
        "progress_at": at,
        "next_run_at": at,
    }
    fields.update(changes)
    return Operation(**fields)


def aws_failure(**changes: Any) -> AwsFailure:
    fields: dict[str, Any] = {
        "service": "organizations",
        "operation": "CreateAccount",
        "code": "ConstraintViolationException",
        "message": "You have exceeded the allowed number of AWS accounts.",
        "request_id": "7c6a1f0e-2f54-4b1c-9a57-0f4c2d7b9e11",
        "http_status": 400,
        "reason": "ACCOUNT_NUMBER_LIMIT_EXCEEDED",
    }
    fields.update(changes)
    return AwsFailure(**fields)


def assignment_failure(**changes: Any) -> AwsFailure:
    """Identity Center refusing to give break-glass access."""
    fields: dict[str, Any] = {
        "service": "sso-admin",
        "operation": "CreateAccountAssignment",
        "code": "AccessDeniedException",
        "message": "User is not authorized to perform sso:CreateAccountAssignment",
        "request_id": "0f4c2d7b-9e11-4b1c-9a57-7c6a1f0e2f54",
        "http_status": 400,
    }
    fields.update(changes)
    return AwsFailure(**fields)


def access_request(**changes: Any) -> AccessRequest:
    fields: dict[str, Any] = {
        "account_id": "111122223333",
        "account_name": "payments-prod",
        "duration": timedelta(hours=1),
        "justification": "INC-4211: the payments queue is stuck and needs a look",
        "ticket": "INC-4211",
    }
    fields.update(changes)
    return AccessRequest(**fields)


def grant(*, at: datetime = T0, request: AccessRequest | None = None, **changes: Any) -> Grant:
    """A pending grant filed at `at`, to be answered within an hour."""
    fields: dict[str, Any] = {
        "requester": "UENGINEER",
        "requester_email": "erin@example.com",
        "filed_by": "UENGINEER",
        "request": request or access_request(),
        "channel": "CPLATFORM",
        "created_at": at,
        "updated_at": at,
        "answer_by": at + timedelta(hours=1),
    }
    fields.update(changes)
    return Grant(**fields)


def home(**changes: Any) -> dict[str, Any]:
    """The App Home at T0 of an engineer with nothing under way, with `changes` on top."""
    fields: dict[str, Any] = {
        "accounts": [],
        "in_flight": [],
        "grants": [],
        "waiting": [],
        "attention": None,
        "now": T0,
        "stuck_after": timedelta(minutes=15),
    }
    fields.update(changes)
    return home_view(**fields)

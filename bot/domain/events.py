"""What happened to an operation, as told in its Slack thread.

The engine says what happened; the Slack side decides how it reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.operations import AwsCall, AwsFailure, Step


@dataclass(frozen=True)
class Resumed:
    """The process restarted and picked the operation up again."""

    step: Step


@dataclass(frozen=True)
class CreationRequested:
    request_id: str
    poll_every: timedelta


@dataclass(frozen=True)
class CreationFound:
    """After a restart, an earlier CreateAccount was found to have reached AWS: not sent again."""

    request_id: str | None
    account_id: str | None


@dataclass(frozen=True)
class CreationInDoubt:
    """CreateAccount failed in a way that leaves unknown whether AWS acted on it."""

    failure: AwsFailure


@dataclass(frozen=True)
class AccountCreated:
    account_id: str
    checks: int


@dataclass(frozen=True)
class AccountMoved:
    ou_id: str
    ou_name: str
    already_there: bool


@dataclass(frozen=True)
class TeamAccessRequested:
    """CreateAccountAssignment accepted for the team's group; AWS works on it."""

    request_id: str
    team: str
    permission_set: str


@dataclass(frozen=True)
class TeamAccessGiven:
    """The team's group holds the permission set on the account.

    `found`: the assignment was there before Outpost sent anything this time, either from an
    earlier request that reached AWS just before a crash (`pre_existing` False) or made by
    someone else (`pre_existing` True)."""

    team: str
    permission_set: str
    found: bool = False
    pre_existing: bool = False


@dataclass(frozen=True)
class Retrying:
    service: str
    operation: str
    code: str
    message: str
    attempt: int
    of: int
    wait: timedelta


@dataclass(frozen=True)
class StepFailed:
    step: Step
    failure: AwsFailure


@dataclass(frozen=True)
class Succeeded:
    account_id: str


@dataclass(frozen=True)
class Retried:
    by: str
    step: Step


@dataclass(frozen=True)
class Cancelled:
    by: str
    step: Step  # the step that will not run
    request_id: str | None  # what AWS already did, reported and not undone
    account_id: str | None
    moved: bool
    sent_unconfirmed: bool = False  # CreateAccount was sent; whether AWS acted on it is unknown
    team_access_sent: bool = False  # CreateAccountAssignment for the team was sent


@dataclass(frozen=True)
class Resolved:
    by: str
    note: str


@dataclass(frozen=True)
class Stuck:
    """No progress for a while: on-call is called to the thread."""

    operation_id: str
    mention: str  # the ops user group, or the ops users
    step: Step
    since: datetime
    polls: int  # status checks that all said IN_PROGRESS
    last_call: AwsCall | None


Event = (
    Resumed
    | CreationRequested
    | CreationFound
    | CreationInDoubt
    | AccountCreated
    | AccountMoved
    | TeamAccessRequested
    | TeamAccessGiven
    | Retrying
    | StepFailed
    | Succeeded
    | Retried
    | Cancelled
    | Resolved
    | Stuck
)

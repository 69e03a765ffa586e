"""Operations: durable, step-by-step jobs that Outpost runs against AWS.

An operation is stored before anything is done for it, and every transition goes through the
methods below, so the store always says where the job stands and a restarted process can
resume it from its current step.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field

from bot.domain.errors import RefusedByRule


class OperationState(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    RESOLVED = "resolved"  # failed, then fixed by hand and marked so by ops

    @property
    def finished(self) -> bool:
        return self is not OperationState.RUNNING

    @property
    def described(self) -> str:
        """What an operation in this state is, to follow its id: "op-1 has succeeded"."""
        return _STATE_DESCRIPTIONS[self]


_STATE_DESCRIPTIONS: dict[OperationState, str] = {
    OperationState.RUNNING: "is still running",
    OperationState.SUCCEEDED: "has succeeded",
    OperationState.FAILED: "has failed",
    OperationState.CANCELLED: "was cancelled",
    OperationState.RESOLVED: "was marked resolved",
}


class Step(StrEnum):
    """The steps an account creation may have; `Operation.steps` says which, in order."""

    CREATE_ACCOUNT = "create_account"
    WAIT_FOR_ACCOUNT = "wait_for_account"
    MOVE_ACCOUNT = "move_account"
    ASSIGN_TEAM_ACCESS = "assign_team_access"
    WAIT_FOR_TEAM_ACCESS = "wait_for_team_access"


# Every creation's steps; operations stored before steps were recorded have exactly these.
STEP_ORDER: tuple[Step, ...] = (Step.CREATE_ACCOUNT, Step.WAIT_FOR_ACCOUNT, Step.MOVE_ACCOUNT)
# With TEAM_PERMISSION_SET set, the owning team's group is given access after the move.
TEAM_ACCESS_STEPS: tuple[Step, ...] = (Step.ASSIGN_TEAM_ACCESS, Step.WAIT_FOR_TEAM_ACCESS)
STEP_LABELS: dict[Step, str] = {
    Step.CREATE_ACCOUNT: "Ask AWS Organizations to create the account",
    Step.WAIT_FOR_ACCOUNT: "Wait for AWS to finish creating it",
    Step.MOVE_ACCOUNT: "Move it into its organizational unit",
    Step.ASSIGN_TEAM_ACCESS: "Give the owning team access in IAM Identity Center",
    Step.WAIT_FOR_TEAM_ACCESS: "Wait for AWS to finish giving the team access",
}


def creation_steps(*, team_access: bool) -> tuple[Step, ...]:
    """The steps of a new creation: with the team's access, or without it."""
    return STEP_ORDER + TEAM_ACCESS_STEPS if team_access else STEP_ORDER


class AwsFailure(BaseModel, frozen=True):
    """Everything AWS said about a failed call, kept as it was said."""

    service: str
    operation: str
    code: str
    message: str
    request_id: str | None = None
    http_status: int | None = None
    reason: str | None = None
    attempts: int = 1
    cli: str | None = None  # the AWS CLI command that makes the same call
    # An asynchronous failure is reported by a later call (DescribeCreateAccountStatus for
    # CreateAccount); `request_id` is then the id of the asynchronous request (car-…).
    reported_by: str | None = None

    @property
    def email_taken(self) -> bool:
        """AWS refused the root email: the same request can never succeed, a new one can."""
        return self.reason == "EMAIL_ALREADY_EXISTS"


class AwsCall(BaseModel, frozen=True):
    """One AWS API call made for an operation, successful or not."""

    service: str
    operation: str
    request_id: str | None
    outcome: str  # "ok" or the error code
    duration_ms: int
    attempt: int
    at: datetime
    cli: str | None = None


class AccountRequest(BaseModel, frozen=True):
    """What the requester asked for in the modal, after validation."""

    name: str
    email: str
    ou_id: str
    ou_name: str
    team: str  # the owning team's name: its Identity Center group's, when it has one
    purpose: str
    team_group_id: str | None = None  # the team's Identity Center group, when teams are groups


class CreationProgress(BaseModel, frozen=True):
    """What AWS has told us so far about the account being created."""

    create_sent_at: datetime | None = None
    create_sends: int = 0
    create_request_id: str | None = None
    account_id: str | None = None
    polls: int = 0
    moved: bool = False
    # The team access steps. The permission set is resolved once, then kept; the time the
    # assignment was first asked for is stored before CreateAccountAssignment is sent.
    team_permission_set_arn: str | None = None
    team_permission_set_name: str | None = None
    team_access_sent_at: datetime | None = None
    team_access_request_id: str | None = None
    team_access_polls: int = 0
    team_access_given: bool = False
    team_access_pre_existing: bool = False  # the group had it already: Outpost made nothing


class TriageKind(StrEnum):
    RETRY = "retry"
    CANCEL = "cancel"
    RESOLVE = "resolve"


class TriageAction(BaseModel, frozen=True):
    """Someone acted on the operation from Slack: kept on record with who and when."""

    kind: TriageKind
    by: str
    at: datetime
    note: str = ""


class WrongState(RefusedByRule):
    """`kind` does not apply to `operation` as it stands: it is in another state, or (for a
    retry) AWS refused its root email for good. bot/ui/triage.py words it."""

    def __init__(
        self, operation: Operation, kind: TriageKind, *, email_taken: bool = False
    ) -> None:
        super().__init__(f"{operation.id}: no {kind.value} when {operation.state.value}")
        self.operation = operation
        self.kind = kind
        self.email_taken = email_taken


class SlackCard(BaseModel, frozen=True):
    """Where an operation's card was posted; its thread hangs off `ts`."""

    channel: str
    ts: str


def new_operation_id() -> str:
    """Short enough to say out loud in a call, `op-7f3a2c91`, and long enough that two operations
    meet on one id about once in ten thousand after a thousand of them (with three bytes, it was
    once in thirty, and a submission given a taken id failed)."""
    return f"op-{secrets.token_hex(4)}"


class Operation(BaseModel, frozen=True):
    id: str = Field(default_factory=new_operation_id)
    state: OperationState = OperationState.RUNNING
    step: Step = Step.CREATE_ACCOUNT
    # Chosen at submission and kept, so that changed settings do not change a running operation.
    steps: tuple[Step, ...] = STEP_ORDER
    team_permission_set: str | None = None  # TEAM_PERMISSION_SET at submission: a name or ARN
    requester: str
    request: AccountRequest
    origin_channel: str
    card_channel: str  # where the card should be posted (where it is: the store's cards)
    progress: CreationProgress = CreationProgress()
    failure: AwsFailure | None = None
    # The AWS error last met, kept when a retry clears `failure`: what `explain` explains.
    last_failure: AwsFailure | None = None
    created_at: datetime
    updated_at: datetime
    progress_at: datetime
    finished_at: datetime | None = None
    next_run_at: datetime
    actions: tuple[TriageAction, ...] = ()
    version: int = 0  # bumped by the store on every save: a stale writer is refused

    @property
    def step_number(self) -> int:
        return self.steps.index(self.step) + 1

    @property
    def step_count(self) -> int:
        return len(self.steps)

    @property
    def status_checks(self) -> int:
        """Status checks made at the current step that all said IN_PROGRESS."""
        if self.step is Step.WAIT_FOR_TEAM_ACCESS:
            return self.progress.team_access_polls
        return self.progress.polls

    @property
    def gives_team_access(self) -> bool:
        return Step.ASSIGN_TEAM_ACCESS in self.steps

    def record(self, now: datetime, **progress: object) -> Operation:
        """Progress was made: remember it, and when."""
        return self.model_copy(
            update={
                "progress": self.progress.model_copy(update=progress),
                "progress_at": now,
                "updated_at": now,
            }
        )

    def advance(self, now: datetime) -> Operation:
        """Go on to the next step, or succeed after the last one."""
        index = self.steps.index(self.step)
        if index + 1 == len(self.steps):
            return self._finished(OperationState.SUCCEEDED, now, progress_at=now)
        return self.model_copy(
            update={
                "step": self.steps[index + 1],
                "updated_at": now,
                "progress_at": now,
                "next_run_at": now,
            }
        )

    def wait(self, now: datetime, delay: timedelta) -> Operation:
        return self.model_copy(update={"next_run_at": now + delay, "updated_at": now})

    def fail(self, now: datetime, failure: AwsFailure) -> Operation:
        return self._finished(OperationState.FAILED, now, failure=failure, last_failure=failure)

    def retry(self, now: datetime, by: str) -> Operation:
        """A failed operation resumes from the step that failed, with fresh attempts; a running
        one (stuck, say) runs its current step again now instead of waiting."""
        if self.state is not OperationState.RUNNING:
            self._expect(OperationState.FAILED, TriageKind.RETRY)
        if self.failure is not None and self.failure.email_taken:
            raise WrongState(self, TriageKind.RETRY, email_taken=True)
        step, progress = self.step, self.progress.model_copy(update={"create_sends": 0})
        if self._creation_failed_in_aws:
            # AWS keeps a FAILED creation FAILED: retrying means asking for a new one.
            step, progress = (
                Step.CREATE_ACCOUNT,
                progress.model_copy(update={"create_request_id": None, "polls": 0}),
            )
        if self._team_access_failed_in_aws:
            # Likewise a FAILED assignment request: retrying means asking for the access again.
            step, progress = (
                Step.ASSIGN_TEAM_ACCESS,
                progress.model_copy(
                    update={"team_access_request_id": None, "team_access_polls": 0}
                ),
            )
        return self.model_copy(
            update={
                "state": OperationState.RUNNING,
                "step": step,
                "failure": None,
                "finished_at": None,
                "next_run_at": now,
                "updated_at": now,
                "progress_at": now,
                "progress": progress,
                "actions": (*self.actions, TriageAction(kind=TriageKind.RETRY, by=by, at=now)),
            }
        )

    def cancel(self, now: datetime, by: str) -> Operation:
        """Stop before the next step; what AWS already did stays done."""
        self._expect(OperationState.RUNNING, TriageKind.CANCEL)
        action = TriageAction(kind=TriageKind.CANCEL, by=by, at=now)
        return self._finished(OperationState.CANCELLED, now, actions=(*self.actions, action))

    def resolve(self, now: datetime, by: str, note: str) -> Operation:
        """A failed operation was fixed by hand."""
        self._expect(OperationState.FAILED, TriageKind.RESOLVE)
        action = TriageAction(kind=TriageKind.RESOLVE, by=by, at=now, note=note)
        return self._finished(OperationState.RESOLVED, now, actions=(*self.actions, action))

    def _finished(self, state: OperationState, now: datetime, **update: object) -> Operation:
        """Ended in `state` at `now`, with whatever else ends with it."""
        return self.model_copy(
            update={"state": state, "finished_at": now, "updated_at": now, **update}
        )

    @property
    def _creation_failed_in_aws(self) -> bool:
        """AWS reported the creation FAILED (a FailureReason), as opposed to a call failing."""
        failure = self.failure
        return (
            self.step is Step.WAIT_FOR_ACCOUNT
            and failure is not None
            and failure.operation == "CreateAccount"
            and failure.reason == failure.code
        )

    @property
    def _team_access_failed_in_aws(self) -> bool:
        """AWS reported the team's assignment FAILED, as opposed to a call failing."""
        failure = self.failure
        return (
            self.step is Step.WAIT_FOR_TEAM_ACCESS
            and failure is not None
            and failure.operation == "CreateAccountAssignment"
            and failure.reported_by is not None
        )

    def _expect(self, state: OperationState, kind: TriageKind) -> None:
        if self.state is not state:
            raise WrongState(self, kind)

    def stuck_since(self, now: datetime, after: timedelta) -> datetime | None:
        """When it last made progress, if that is `after` or longer ago and it still runs."""
        if self.state is OperationState.RUNNING and now - self.progress_at >= after:
            return self.progress_at
        return None

"""The steps of an account creation, each safe to run again after a crash.

Every step reads the operation, talks to AWS, and returns the operation as it should now be
stored. Whatever must survive a crash is saved *before* the AWS call it guards: CreateAccount
is not idempotent, so the time it was sent is stored first, and a resumed step looks for the
earlier request before it would ever send another. The team's access is given the same way:
before CreateAccountAssignment is sent (again), ListAccountAssignments says whether the
team's group has it already.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import ClassVar, Protocol

from bot.aws.caller import Watchers
from bot.aws.catalog import catalog
from bot.aws.cli import cli_command
from bot.aws.errors import AwsCallError
from bot.aws.identity_center import (
    IdentityCenterGateway,
    IdentityCenterMissing,
    PermissionSetNotFound,
)
from bot.aws.organizations import OrganizationsGateway
from bot.aws.retry import outcome_unknown
from bot.clock import Clock
from bot.domain.accounts import CreationState, CreationStatus
from bot.domain.events import (
    AccountCreated,
    AccountMoved,
    Cancelled,
    CreationFound,
    CreationInDoubt,
    CreationRequested,
    Event,
    Resumed,
    StepFailed,
    Succeeded,
    TeamAccessGiven,
    TeamAccessRequested,
)
from bot.domain.identity_center import AssignmentState, AssignmentStatus, IdentityCenterInstance
from bot.domain.inventory import REQUESTER_TAG, TEAM_GROUP_ID_TAG, TEAM_TAG
from bot.domain.operations import AwsFailure, Operation, Step
from bot.domain.outbox import OutboxMessage
from bot.domain.tags import tag_value
from bot.engine.ports import Narrator
from bot.engine.runner import Bug, Runner
from bot.engine.watching import watching
from bot.store.base import Leasing, Store
from bot.store.deadline import WriteDeadline


class Save(Protocol):
    """Store the operation and queue the messages that tell about it, in one write."""

    async def __call__(
        self, operation: Operation, messages: Sequence[OutboxMessage] = (), /
    ) -> Operation: ...


# How far AWS's clock may be behind ours when comparing its RequestedTimestamp with the time
# this process recorded before sending CreateAccount.
CLOCK_SKEW = timedelta(seconds=5)

PURPOSE_TAG = "outpost:purpose"
ASSIGNMENT_FAILURE = "AccountAssignmentOperationStatus.FailureReason"

StepRun = Callable[[Operation, "Save"], Awaitable[Operation]]


@dataclass(frozen=True)
class PollSchedule:
    """Capped exponential backoff between DescribeCreateAccountStatus checks."""

    first: timedelta
    maximum: timedelta

    def delay(self, polls: int) -> timedelta:
        delay: timedelta = min(self.first * (2 ** min(polls, 20)), self.maximum)
        return delay


class StillCreating:
    """A creation with this name is in progress: whose it is shows once it has an account."""


STILL_CREATING = StillCreating()


class OperationLeases:
    """The operations' leases in the store, as the runner takes them."""

    def __init__(self, store: Leasing) -> None:
        self._store = store

    async def take(self, item_id: str, owner: str, until: datetime) -> bool:
        return await self._store.acquire_lease(item_id, owner, until)

    async def release(self, item_id: str, owner: str) -> None:
        await self._store.release_lease(item_id, owner)

    async def abandoned(self, item_id: str, now: datetime) -> bool:
        return await self._store.lease_abandoned(item_id, now)


@dataclass(frozen=True)
class AccountCreation:
    """Account creation as a workflow of the runner: each running operation is an item."""

    name: ClassVar[str] = "operation"

    organizations: OrganizationsGateway
    store: Store
    narrator: Narrator
    polls: PollSchedule
    clock: Clock
    identity_center: IdentityCenterGateway | None = None  # for the team access steps

    @property
    def leases(self) -> OperationLeases:
        return OperationLeases(self.store)

    async def due(self, now: datetime, limit: int) -> list[str]:
        return (await self.store.runnable_operations(now))[:limit]

    async def step(self, item_id: str, *, taken_over: bool) -> bool:
        """A cancel asked for is applied here, between steps, by whoever holds the lease: a
        step in flight finishes first."""
        operation = await self.store.get_operation(item_id)
        if operation is None or operation.state.finished:
            return False
        cancel = await self.store.cancel_request(item_id)
        if cancel is not None:
            await self._cancel(operation, *cancel)
            return False
        if operation.next_run_at > self.clock.now():
            return False
        if taken_over:
            await self.narrator.tell(operation, Resumed(operation.step))
        await self.run_step(operation, self.store.save_operation)
        return True

    async def give_up(self, item_id: str, bug: Bug) -> None:
        operation = await self.store.get_operation(item_id)
        if operation is None or operation.state.finished:
            return
        failure = bug.failure(operation.step.value)
        failed = operation.fail(self.clock.now(), failure)
        messages = self.messages(failed, StepFailed(failed.step, failure), card=True)
        await self.store.save_operation(failed, messages)

    async def _cancel(self, operation: Operation, by: str, at: datetime) -> None:
        cancelled = operation.cancel(at, by)
        progress = operation.progress
        event = Cancelled(
            by=by,
            step=operation.step,
            request_id=progress.create_request_id,
            account_id=progress.account_id,
            moved=progress.moved,
            team_access_sent=progress.team_access_sent_at is not None,
            sent_unconfirmed=progress.create_sent_at is not None
            and progress.create_request_id is None
            and progress.account_id is None,
        )
        messages = self.messages(cancelled, event, card=True)
        await self.store.save_operation(cancelled, messages)
        await self.store.clear_cancel_request(operation.id)

    async def run_step(self, operation: Operation, save: Save) -> Operation:
        """Run the operation's current step; returns it as saved afterwards."""
        watchers = self._watchers(operation)
        gateway = self.organizations.watched_by(watchers)
        center = self.identity_center.watched_by(watchers) if self.identity_center else None
        steps: dict[Step, StepRun] = {
            Step.CREATE_ACCOUNT: lambda op, save: self._create(op, gateway, save),
            Step.WAIT_FOR_ACCOUNT: lambda op, save: self._wait(op, gateway, save),
            Step.MOVE_ACCOUNT: lambda op, save: self._move(op, gateway, save),
            Step.ASSIGN_TEAM_ACCESS: lambda op, save: _TeamAccess(self, center, save).give(op),
            Step.WAIT_FOR_TEAM_ACCESS: lambda op, save: _TeamAccess(self, center, save).wait(op),
        }
        latest = operation

        async def save_latest(
            changed: Operation, messages: Sequence[OutboxMessage] = (), /
        ) -> Operation:
            nonlocal latest
            latest = await save(changed, messages)
            return latest

        try:
            return await steps[operation.step](operation, save_latest)
        except AwsCallError as error:
            failed = latest.fail(self.clock.now(), error.failure)
            told = StepFailed(operation.step, error.failure)
            return await save_latest(failed, self.messages(failed, told, card=True))

    def messages(self, operation: Operation, *events: Event, card: bool) -> list[OutboxMessage]:
        """What to queue with the save of `operation`: its lines, then its card if it changed."""
        messages = self.narrator.lines(operation, *events)
        if card:
            messages.append(self.narrator.card(operation))
        return messages

    def _watchers(self, operation: Operation) -> Watchers:
        return watching(self.store, operation.id, partial(self.narrator.tell, operation))

    async def _create(
        self, operation: Operation, gateway: OrganizationsGateway, save: Save
    ) -> Operation:
        if operation.progress.create_sent_at is not None:
            found = await self._find_earlier_creation(operation, gateway)
            if isinstance(found, StillCreating):
                return await save(operation.wait(self.clock.now(), self.polls.delay(0)))
            if found is not None:
                earlier, event = found
                return await self._advance(earlier, save, event)
        request = operation.request
        sends = operation.progress.create_sends + 1
        # The first send is kept: an earlier request that reached AWS late still counts.
        first_sent = operation.progress.create_sent_at or self.clock.now()
        operation = await save(
            operation.record(self.clock.now(), create_sent_at=first_sent, create_sends=sends)
        )
        try:
            status = await gateway.create_account(
                name=request.name, email=request.email, tags=account_tags(operation)
            )
        except AwsCallError as error:
            if not outcome_unknown(error.failure) or sends >= gateway.call.policy.attempts:
                raise
            in_doubt = operation.wait(self.clock.now(), self.polls.delay(0))
            doubt = CreationInDoubt(error.failure)
            return await save(in_doubt, self.messages(in_doubt, doubt, card=False))
        requested = operation.record(self.clock.now(), create_request_id=status.request_id)
        told = CreationRequested(status.request_id, self.polls.delay(0))
        operation = await save(requested, self.messages(requested, told, card=False))
        return await self._after_status(operation, status, save)

    async def _find_earlier_creation(
        self, operation: Operation, gateway: OrganizationsGateway
    ) -> tuple[Operation, CreationFound] | StillCreating | None:
        """A CreateAccount may have reached AWS before a crash: find it by name, then by email.

        Names are not unique, so a creation only counts if it was asked for after this
        operation first sent CreateAccount and its account has this operation's email. One
        still in progress cannot be told apart yet: the step waits for it to finish.
        """
        sent_at = operation.progress.create_sent_at
        assert sent_at is not None
        email = operation.request.email.lower()
        for earlier in await gateway.creations_named(
            operation.request.name, requested_since=sent_at - CLOCK_SKEW
        ):
            if earlier.account_id is None:
                return STILL_CREATING
            account = await gateway.account(earlier.account_id)
            if account.email.lower() != email:
                continue
            found = operation.record(self.clock.now(), create_request_id=earlier.request_id)
            return found, CreationFound(earlier.request_id, earlier.account_id)
        for account in await gateway.accounts():
            if account.email.lower() == email:
                return operation.record(self.clock.now(), account_id=account.id), CreationFound(
                    None, account.id
                )
        return None

    async def _wait(
        self, operation: Operation, gateway: OrganizationsGateway, save: Save
    ) -> Operation:
        if operation.progress.account_id is not None:
            return await self._advance(operation, save)
        request_id = operation.progress.create_request_id
        assert request_id is not None, "the create step records the request id"
        status = await gateway.creation_status(request_id)
        return await self._after_status(operation, status, save)

    async def _after_status(
        self, operation: Operation, status: CreationStatus, save: Save
    ) -> Operation:
        if status.state is CreationState.FAILED:
            raise AwsCallError(_creation_failure(status))
        if status.state is CreationState.SUCCEEDED and status.account_id:
            operation = operation.record(self.clock.now(), account_id=status.account_id)
            created = AccountCreated(status.account_id, operation.progress.polls)
            if operation.step is Step.CREATE_ACCOUNT:
                operation = operation.advance(self.clock.now())
            return await self._advance(operation, save, created)
        if operation.step is Step.CREATE_ACCOUNT:
            return await self._advance(operation, save, delay=self.polls.delay(0))
        polls = operation.progress.polls + 1
        waiting = operation.model_copy(
            update={"progress": operation.progress.model_copy(update={"polls": polls})}
        ).wait(self.clock.now(), self.polls.delay(polls))
        return await save(waiting, self.messages(waiting, card=True))

    async def _move(
        self, operation: Operation, gateway: OrganizationsGateway, save: Save
    ) -> Operation:
        account_id = operation.progress.account_id
        assert account_id is not None, "the wait step records the account id"
        target = operation.request
        parent = await gateway.parent_of(account_id)
        already_there = parent == target.ou_id
        if not already_there:
            try:
                await gateway.move_account(account_id, source=parent, destination=target.ou_id)
            except AwsCallError as error:
                if error.failure.code != "DuplicateAccountException":
                    raise
                already_there = True
        moved = operation.record(self.clock.now(), moved=True)
        told = AccountMoved(target.ou_id, target.ou_name, already_there)
        return await self._advance(moved, save, told)

    async def _advance(
        self, operation: Operation, save: Save, *events: Event, delay: timedelta | None = None
    ) -> Operation:
        """Move on to the next step, telling `events` and refreshing the card in the same save;
        after the last step, tell that the account is ready."""
        advanced = operation.advance(self.clock.now())
        if advanced.state.finished and advanced.progress.account_id is not None:
            events = (*events, Succeeded(advanced.progress.account_id))
        if delay is not None:
            advanced = advanced.wait(self.clock.now(), delay)
        return await save(advanced, self.messages(advanced, *events, card=True))


def account_tags(operation: Operation) -> dict[str, str]:
    """The tags CreateAccount puts on the account: who owns it, who asked, and why."""
    request = operation.request
    tags = {
        TEAM_TAG: tag_value(request.team),
        REQUESTER_TAG: tag_value(operation.requester),
        PURPOSE_TAG: tag_value(request.purpose),
    }
    if request.team_group_id is not None:
        tags[TEAM_GROUP_ID_TAG] = tag_value(request.team_group_id)
    return tags


class _TeamAccess:
    """The team access steps of one run: give the team's group the permission set on the new
    account (CreateAccountAssignment), then wait for AWS to finish it."""

    def __init__(
        self, creation: AccountCreation, center: IdentityCenterGateway | None, save: Save
    ) -> None:
        assert center is not None, "the runtime gives account creation an Identity Center"
        self.creation = creation
        self.center = center
        self.save = save

    @property
    def now(self) -> datetime:
        return self.creation.clock.now()

    async def give(self, operation: Operation) -> Operation:
        """Ask for the assignment, unless the group has it already (from a request that reached
        AWS just before a crash, say): then nothing is sent."""
        try:
            operation, instance = await self._resolved(operation)
        except (IdentityCenterMissing, PermissionSetNotFound) as error:
            raise AwsCallError(_not_found(operation, error)) from error
        progress, group_id = operation.progress, operation.request.team_group_id
        account_id = progress.account_id
        assert group_id is not None and account_id is not None and progress.team_permission_set_arn
        holders = await self.center.group_assignments(
            account_id, progress.team_permission_set_arn, instance
        )
        if group_id in holders:
            pre_existing = progress.team_access_sent_at is None
            given = operation.record(
                self.now, team_access_given=True, team_access_pre_existing=pre_existing
            ).advance(self.now)
            return await self._given(given, found=True, pre_existing=pre_existing)
        first_sent = progress.team_access_sent_at or self.now
        operation = await self.save(operation.record(self.now, team_access_sent_at=first_sent))
        status = await self.center.create_group_assignment(
            account_id, progress.team_permission_set_arn, group_id, instance
        )
        requested = operation.record(self.now, team_access_request_id=status.request_id)
        told = TeamAccessRequested(
            status.request_id, requested.request.team, self._set_name(requested)
        )
        if status.state is AssignmentState.SUCCEEDED:
            return await self._given(
                requested.record(self.now, team_access_given=True).advance(self.now), told
            )
        if status.state is AssignmentState.FAILED:
            # Failed at once: a Retry asks again from this step.
            raise AwsCallError(_assignment_failure(status, instance))
        advanced = requested.advance(self.now).wait(self.now, self.creation.polls.delay(0))
        return await self.save(advanced, self.creation.messages(advanced, told, card=True))

    async def wait(self, operation: Operation) -> Operation:
        progress = operation.progress
        request_id = progress.team_access_request_id
        assert request_id is not None, "the give step records the request id"
        _, instance = await self._resolved(operation)
        status = await self.center.creation_status(request_id, instance)
        match status.state:
            case AssignmentState.SUCCEEDED:
                return await self._given(operation.record(self.now, team_access_given=True))
            case AssignmentState.FAILED:
                raise AwsCallError(_assignment_failure(status, instance))
            case AssignmentState.IN_PROGRESS:
                polls = progress.team_access_polls + 1
                waiting = operation.model_copy(
                    update={"progress": progress.model_copy(update={"team_access_polls": polls})}
                ).wait(self.now, self.creation.polls.delay(polls))
                return await self.save(waiting, self.creation.messages(waiting, card=True))

    async def _given(
        self, operation: Operation, *told: Event, found: bool = False, pre_existing: bool = False
    ) -> Operation:
        """At the wait step with the access given: tell it, and finish."""
        given = TeamAccessGiven(
            operation.request.team, self._set_name(operation), found, pre_existing
        )
        return await self.creation._advance(operation, self.save, *told, given)

    async def _resolved(self, operation: Operation) -> tuple[Operation, IdentityCenterInstance]:
        """The Identity Center instance, and the operation with its permission set resolved
        (once: the ARN is kept, so a renamed permission set does not change it)."""
        instance = await self.center.instance()
        if operation.progress.team_permission_set_arn is not None:
            return operation, instance
        wanted = operation.team_permission_set
        assert wanted is not None, "an operation with team access steps names its permission set"
        permission_set = await self.center.permission_set(wanted, instance)
        resolved = operation.record(
            self.now,
            team_permission_set_arn=permission_set.arn,
            team_permission_set_name=permission_set.name,
        )
        return await self.save(resolved), instance

    @staticmethod
    def _set_name(operation: Operation) -> str:
        progress = operation.progress
        return progress.team_permission_set_name or operation.team_permission_set or "?"


def _assignment_failure(status: AssignmentStatus, instance: IdentityCenterInstance) -> AwsFailure:
    """A FAILED assignment status, as an error with the catalog key its free text matches, and
    the command that reads the same status by hand."""
    text = status.failure_reason or "AWS gave no FailureReason."
    entry = catalog().reason_in_text("sso-admin", ASSIGNMENT_FAILURE, text)
    key = entry.value if entry else "FAILED"
    return AwsFailure(
        service="sso-admin",
        operation="CreateAccountAssignment",
        code=key,
        reason=key if entry else None,
        message=text,
        request_id=status.request_id,
        reported_by="DescribeAccountAssignmentCreationStatus",
        cli=cli_command(
            "sso-admin",
            "DescribeAccountAssignmentCreationStatus",
            {
                "InstanceArn": instance.arn,
                "AccountAssignmentCreationRequestId": status.request_id,
            },
        ),
    )


def _not_found(
    operation: Operation, error: IdentityCenterMissing | PermissionSetNotFound
) -> AwsFailure:
    """Identity Center, or the permission set the operation was submitted with, not found."""
    return AwsFailure(
        service="outpost",
        operation="FindPermissionSet",
        code=type(error).__name__,
        message=f"TEAM_PERMISSION_SET was {operation.team_permission_set!r} when this account "
        f"was asked for. {error}",
    )


def _creation_failure(status: CreationStatus) -> AwsFailure:
    reason = status.failure_reason or "UNKNOWN"
    return AwsFailure(
        service="organizations",
        operation="CreateAccount",
        code=reason,
        message=f"AWS reported the account creation {status.request_id} as FAILED: {reason}",
        request_id=status.request_id,
        reason=reason,
        reported_by="DescribeCreateAccountStatus",
        # How to read the same status by hand.
        cli=cli_command(
            "organizations",
            "DescribeCreateAccountStatus",
            {"CreateAccountRequestId": status.request_id},
        ),
    )


@dataclass(frozen=True)
class NewAccounts:
    """Where a new account creation enters, and how triage has its operation looked at."""

    store: Store
    narrator: Narrator
    runner: Runner

    async def submit(
        self, operation: Operation, *, deadline: WriteDeadline | None = None
    ) -> Operation:
        """Store a new operation with its card, and have it run. The store may refuse it
        (AccountAlreadyRequested, StoreUnavailable); then nothing is stored or posted."""
        card = self.narrator.card(operation)
        stored = await self.store.insert_operation(operation, [card], deadline=deadline)
        self.runner.wake()
        return stored

    def wake(self) -> None:
        """Look for due work now: something was asked of an operation."""
        self.runner.wake()

"""The steps of an account creation, each safe to run again after a crash.

Every step reads the operation, talks to AWS, and returns the operation as it should now be
stored. Whatever must survive a crash is saved *before* the AWS call it guards: CreateAccount
is not idempotent, so the time it was sent is stored first, and a resumed step looks for the
earlier request before it would ever send another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from bot.aws.caller import Watchers
from bot.aws.cli import cli_command
from bot.aws.errors import AwsCallError
from bot.aws.organizations import OrganizationsGateway
from bot.aws.retry import RetryNotice, outcome_unknown
from bot.clock import Clock
from bot.domain.accounts import CreationState, CreationStatus
from bot.domain.events import (
    AccountCreated,
    AccountMoved,
    CreationFound,
    CreationInDoubt,
    CreationRequested,
    Event,
    Retrying,
    StepFailed,
    Succeeded,
)
from bot.domain.operations import AwsCall, AwsFailure, Operation, Step
from bot.domain.outbox import OutboxMessage
from bot.domain.tags import tag_value
from bot.engine.ports import Narrator
from bot.store.base import Store


class Save(Protocol):
    """Store the operation and queue the messages that tell about it, in one write."""

    async def __call__(
        self, operation: Operation, messages: Sequence[OutboxMessage] = (), /
    ) -> Operation: ...


# How far AWS's clock may be behind ours when comparing its RequestedTimestamp with the time
# this process recorded before sending CreateAccount.
CLOCK_SKEW = timedelta(seconds=5)

TEAM_TAG, REQUESTER_TAG, PURPOSE_TAG = "outpost:team", "outpost:requested-by", "outpost:purpose"


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


@dataclass(frozen=True)
class AccountCreation:
    organizations: OrganizationsGateway
    store: Store
    narrator: Narrator
    polls: PollSchedule
    clock: Clock

    async def run_step(self, operation: Operation, save: Save) -> Operation:
        """Run the operation's current step; returns it as saved afterwards."""
        gateway = self.organizations.watched_by(self._watchers(operation))
        steps = {
            Step.CREATE_ACCOUNT: self._create,
            Step.WAIT_FOR_ACCOUNT: self._wait,
            Step.MOVE_ACCOUNT: self._move,
        }
        latest = operation

        async def save_latest(
            changed: Operation, messages: Sequence[OutboxMessage] = (), /
        ) -> Operation:
            nonlocal latest
            latest = await save(changed, messages)
            self.narrator.queued(messages)
            return latest

        try:
            return await steps[operation.step](operation, gateway, save_latest)
        except AwsCallError as error:
            failed = latest.fail(self.clock.now(), error.failure)
            told = StepFailed(operation.step, error.failure)
            return await save_latest(failed, self._messages(failed, told, card=True))

    def _messages(self, operation: Operation, *events: Event, card: bool) -> list[OutboxMessage]:
        """What to queue with the save of `operation`: its lines, then its card if it changed."""
        messages = self.narrator.lines(operation, *events)
        if card:
            messages.append(self.narrator.card(operation))
        return messages

    def _watchers(self, operation: Operation) -> Watchers:
        async def on_call(call: AwsCall) -> None:
            await self.store.record_call(operation.id, call)

        async def on_retry(notice: RetryNotice) -> None:
            event = Retrying(
                service=notice.service,
                operation=notice.operation,
                code=notice.code,
                message=notice.message,
                attempt=notice.attempt,
                of=notice.of,
                wait=notice.wait,
            )
            await self.narrator.tell(operation, event)

        return Watchers(on_call=on_call, on_retry=on_retry)

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
                name=request.name,
                email=request.email,
                tags={
                    TEAM_TAG: tag_value(request.team),
                    REQUESTER_TAG: tag_value(operation.requester),
                    PURPOSE_TAG: tag_value(request.purpose),
                },
            )
        except AwsCallError as error:
            if not outcome_unknown(error.failure) or sends >= gateway.call.policy.attempts:
                raise
            in_doubt = operation.wait(self.clock.now(), self.polls.delay(0))
            doubt = CreationInDoubt(error.failure)
            return await save(in_doubt, self._messages(in_doubt, doubt, card=False))
        requested = operation.record(self.clock.now(), create_request_id=status.request_id)
        told = CreationRequested(status.request_id, self.polls.delay(0))
        operation = await save(requested, self._messages(requested, told, card=False))
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
        return await save(waiting, self._messages(waiting, card=True))

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
        return await self._advance(moved, save, told, Succeeded(account_id))

    async def _advance(
        self, operation: Operation, save: Save, *events: Event, delay: timedelta | None = None
    ) -> Operation:
        """Move on to the next step, telling `events` and refreshing the card in the same save."""
        advanced = operation.advance(self.clock.now())
        if delay is not None:
            advanced = advanced.wait(self.clock.now(), delay)
        return await save(advanced, self._messages(advanced, *events, card=True))


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

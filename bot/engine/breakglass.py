"""Break-glass grants as a workflow of the runner: gives approved access, takes it back on time.

Every grant has one indexed time at which it next needs something (`Grant.due_at`): a reminder
or the deadline of an unanswered request, a status to poll, an expiry. The runner's sweep asks
the store only for grants due now, so its cost follows the grants due, not all grants; a
process that was down finds everything that fell due meanwhile on its first sweep.

Each step saves what it is about to do before the AWS call it guards, so a crash repeats no
non-idempotent call blindly: before asking AWS again, the worker looks at what is there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from bot.aws.caller import Watchers
from bot.aws.catalog import Retry, catalog
from bot.aws.errors import AwsCallError
from bot.aws.identity_center import (
    IdentityCenterGateway,
    IdentityCenterMissing,
    PermissionSetNotFound,
)
from bot.aws.retry import outcome_unknown
from bot.aws.scheduler import RevokeTarget, SchedulerGateway, schedule_name
from bot.clock import Clock
from bot.domain.audit import AuditEvent, AuditKind, announcements, event
from bot.domain.durations import format_duration
from bot.domain.grants import EndReason, Grant, GrantState
from bot.domain.identity_center import AssignmentState, AssignmentStatus, IdentityCenterInstance
from bot.domain.operations import AwsFailure
from bot.domain.outbox import OutboxMessage
from bot.engine.ports import BreakGlassNarrator
from bot.engine.runner import Bug, Runner
from bot.engine.watching import watching
from bot.store.base import Leasing, StaleGrant, Store

log = logging.getLogger(__name__)

OUTPOST = "outpost"  # the actor of what Outpost does on its own
# Rounds of granting that end in an error AWS may get past, before the grant is given up.
ROUNDS = 5
ASSIGNMENT_FAILURE = "AccountAssignmentOperationStatus.FailureReason"


@dataclass(frozen=True)
class BreakGlassSettings:
    permission_set: str | None  # BREAKGLASS_PERMISSION_SET: a name or an ARN
    poll_interval: timedelta  # between assignment status checks
    revoke_retry: timedelta  # between attempts to revoke when AWS refuses
    sweep_interval: timedelta
    lease: timedelta


class GrantLeases:
    """The grants' leases in the store, as the runner takes them."""

    def __init__(self, store: Leasing) -> None:
        self._store = store

    async def take(self, item_id: str, owner: str, until: datetime) -> bool:
        return await self._store.acquire_grant_lease(item_id, owner, until)

    async def release(self, item_id: str, owner: str) -> None:
        await self._store.release_grant_lease(item_id, owner)

    async def abandoned(self, item_id: str, now: datetime) -> bool:
        return False  # a grant's steps say nothing of who ran them before


class BreakGlass:
    """Break-glass grants as a workflow of the runner: each grant due is an item.

    The attributes and the methods not marked private are what the granting and revoking
    steps below share with it."""

    name = "grant"

    def __init__(
        self,
        store: Store,
        identity_center: IdentityCenterGateway,
        scheduler: SchedulerGateway | None,
        narrator: BreakGlassNarrator,
        settings: BreakGlassSettings,
        *,
        clock: Clock,
    ) -> None:
        self.store = store
        self.clock = clock
        self.center = identity_center
        self.scheduler = scheduler
        self.narrator = narrator
        self.settings = settings
        self.leases = GrantLeases(store)

    def runner(self) -> Runner:
        """The runner that drives every grant, sweeping every `settings.sweep_interval`."""
        settings = self.settings
        return Runner(
            self, poll_interval=settings.sweep_interval, lease=settings.lease, clock=self.clock
        )

    async def due(self, now: datetime, limit: int) -> list[str]:
        return await self.store.due_grants(now, limit)

    async def step(self, item_id: str, *, taken_over: bool) -> bool:
        grant = await self.store.get_grant(item_id)
        if grant is None or grant.due_at is None or grant.due_at > self.clock.now():
            return False
        await self._step(grant)
        return True

    async def give_up(self, item_id: str, bug: Bug) -> None:
        """Not yet given, the access is failed, as AWS refusing it would fail it. Given, it
        must still be taken back on time: the failure is shown, and tried again later."""
        grant = await self.store.get_grant(item_id)
        if grant is None or grant.state.finished:
            return
        failure = bug.failure(grant.state.value)
        if grant.state in (GrantState.PENDING, GrantState.GRANTING):
            await _Granting(self, grant).fail(failure)
            return
        now = self.clock.now()
        shown = grant.model_copy(update={"failure": failure}).wait(now, self.retry_at())
        detail = f"{failure.code}: {failure.message}"
        await self.save(
            shown,
            [event(shown, AuditKind.FAILED, OUTPOST, now, detail=detail)],
            lines=[self.narrator.failure_line(shown)],
        )

    async def _step(self, grant: Grant) -> None:
        now = self.clock.now()
        match grant.state:
            case GrantState.PENDING:
                await self._pending(grant, now)
            case GrantState.GRANTING:
                await _Granting(self, grant).run()
            case GrantState.ACTIVE:
                await self._active(grant, now)
            case GrantState.REVOKING:
                await _Revoking(self, grant).run()
            case _:
                return

    async def _pending(self, grant: Grant, now: datetime) -> None:
        if now >= grant.answer_by:
            lapsed = grant.unanswered(now)
            await self.save(lapsed, [event(lapsed, AuditKind.UNANSWERED, OUTPOST, now)])
            return
        reminded = grant.model_copy(update={"reminded": True})
        await self.save(reminded, lines=[self.narrator.reminder_line(reminded)])

    async def _active(self, grant: Grant, now: datetime) -> None:
        assert grant.expires_at is not None
        if now >= grant.expires_at:
            await self.save(grant.expire(now))
            return
        # An approved extension moved the expiry: move the AWS schedule with it. Until that
        # works, the schedule would revoke at the old time: it is tried again.
        moved = await self._move_schedule(grant)
        again = None if moved.progress.schedule_at == moved.expires_at else self.retry_at()
        await self.save(moved.wait(now, again))

    # AWS-side schedule (the backstop that revokes even if Outpost is down)

    def _target(self, grant: Grant) -> RevokeTarget:
        progress = grant.progress
        assert progress.instance_arn and progress.permission_set_arn and progress.user_id
        return RevokeTarget(
            instance_arn=progress.instance_arn,
            account_id=grant.request.account_id,
            permission_set_arn=progress.permission_set_arn,
            user_id=progress.user_id,
        )

    async def create_schedule(self, grant: Grant) -> tuple[Grant, list[AuditEvent]]:
        if self.scheduler is None or not grant.needs_aws_removal:
            return grant, []
        assert grant.expires_at is not None
        name = schedule_name(grant.id)
        try:
            await self.scheduler.watched_by(self.watchers(grant)).create_revoke_schedule(
                name, grant.expires_at, self._target(grant)
            )
        except AwsCallError as error:
            await self._schedule_failed(grant, error.failure)
            return grant, []
        scheduled = grant.record(self.clock.now(), schedule_name=name, schedule_at=grant.expires_at)
        detail = "AWS will revoke the access at its expiry even if Outpost is down"
        return scheduled, [
            event(scheduled, AuditKind.SCHEDULED, OUTPOST, self.clock.now(), detail=detail)
        ]

    async def _move_schedule(self, grant: Grant) -> Grant:
        name = grant.progress.schedule_name
        if self.scheduler is None or name is None or grant.progress.schedule_at == grant.expires_at:
            return grant
        assert grant.expires_at is not None
        try:
            await self.scheduler.watched_by(self.watchers(grant)).move_revoke_schedule(
                name, grant.expires_at, self._target(grant)
            )
        except AwsCallError as error:
            await self._schedule_failed(grant, error.failure)
            return grant
        return grant.record(self.clock.now(), schedule_at=grant.expires_at)

    async def delete_schedule(self, grant: Grant) -> Grant:
        """Delete the grant's AWS schedule before its assignment: a schedule left behind would
        remove the same access from a later grant. Looked for by name even if none was
        recorded, since a crash may have come between creating it and saving that. A failure
        is raised, so that the revoke is tried again."""
        if self.scheduler is None or grant.progress.schedule_gone:
            return grant
        name = grant.progress.schedule_name or schedule_name(grant.id)
        await self.scheduler.watched_by(self.watchers(grant)).delete_revoke_schedule(name)
        return await self.save_progress(grant, schedule_gone=True)

    def retry_at(self) -> datetime:
        return self.clock.now() + self.settings.revoke_retry

    async def _schedule_failed(self, grant: Grant, failure: AwsFailure) -> None:
        """The backstop is a second line: its failure is shown, and Outpost's sweep still runs."""
        await self.narrator.failed(grant.model_copy(update={"failure": failure}))

    # Shared by the steps

    def watchers(self, grant: Grant) -> Watchers:
        return watching(self.store, grant.id, partial(self.narrator.retrying, grant))

    async def save(
        self,
        grant: Grant,
        audit: list[AuditEvent] | None = None,
        lines: list[OutboxMessage] | None = None,
    ) -> Grant:
        """Save the grant with its audit events and thread lines, in one write."""
        events = audit or []
        messages = announcements(grant, events) + (lines or [])
        return await self.store.save_grant(grant, events, messages)

    async def save_progress(self, grant: Grant, **progress: Any) -> Grant:
        """Record what AWS said. Only the lease holder writes progress, so if someone else
        saved the grant meanwhile (a revoke, a decision), the progress goes onto their version."""
        try:
            return await self.store.save_grant(grant.record(self.clock.now(), **progress))
        except StaleGrant:
            current = await self.store.get_grant(grant.id)
            if current is None:
                raise
            await self.store.save_grant(current.record(self.clock.now(), **progress))
            if current.state is not grant.state:
                raise  # it was revoked or decided meanwhile: the step stops, the sweep goes on
            return await self.store.get_grant(grant.id) or current


class _GrantStep:
    """One grant's work in AWS, with Identity Center watched so that its calls go on record."""

    def __init__(self, steps: BreakGlass, grant: Grant) -> None:
        self.steps = steps
        self.grant = grant
        self.center = steps.center.watched_by(steps.watchers(grant))


class _Granting(_GrantStep):
    """Approved: find the user and the permission set, then create the assignment and wait."""

    async def run(self) -> None:
        try:
            await self._run()
        except AwsCallError as error:
            if self._worth_another_round(error.failure):
                await self._later(error.failure)
            else:
                await self.fail(error.failure)
        except (IdentityCenterMissing, PermissionSetNotFound) as error:
            await self.fail(_outpost_failure("FindIdentityCenter", type(error).__name__, error))

    async def _run(self) -> None:
        if self.grant.progress.user_id is None and not await self._identify():
            return
        progress = self.grant.progress
        assert progress.instance_arn and progress.identity_store_id
        instance = IdentityCenterInstance(
            arn=progress.instance_arn, identity_store_id=progress.identity_store_id
        )
        if progress.creation_request_id is None:
            status = await self._create(instance)
            if status is None:
                return
        else:
            status = await self.center.creation_status(progress.creation_request_id, instance)
        await self._follow(status)

    async def _identify(self) -> bool:
        settings = self.steps.settings
        if not settings.permission_set:
            await self.fail(
                _outpost_failure(
                    "FindPermissionSet",
                    "NotConfigured",
                    "BREAKGLASS_PERMISSION_SET is not set, so Outpost does not know which "
                    "permission set to grant. Whoever runs Outpost must set it.",
                )
            )
            return False
        instance = await self.center.instance()
        permission_set = await self.center.permission_set(settings.permission_set, instance)
        email = self.grant.requester_email
        user_id = await self.center.user_id_for_email(email, instance)
        if user_id is None:
            await self.fail(
                AwsFailure(
                    service="identitystore",
                    operation="GetUserId",
                    code="UserNotFound",
                    message=f"No IAM Identity Center user has {email} as an email or user "
                    f"name in identity store {instance.identity_store_id}. Ask whoever manages "
                    "Identity Center users to add this person, or to fix their email.",
                )
            )
            return False
        self.grant = await self.steps.save_progress(
            self.grant,
            instance_arn=instance.arn,
            identity_store_id=instance.identity_store_id,
            permission_set_arn=permission_set.arn,
            permission_set_name=permission_set.name,
            user_id=user_id,
        )
        return True

    async def _create(self, instance: IdentityCenterInstance) -> AssignmentStatus | None:
        grant, progress = self.grant, self.grant.progress
        assert progress.permission_set_arn and progress.user_id
        account = grant.request.account_id
        holders = await self.center.assignments(account, progress.permission_set_arn, instance)
        if progress.user_id in holders:
            if progress.create_sent_at is None:
                await self._pre_existing()
            else:
                # Sent before a crash, answer lost: AWS did it. Nothing to send again.
                await self._granted(request_ids=())
            return None
        self.grant = await self.steps.save_progress(
            grant, checked_existing=True, create_sent_at=self.steps.clock.now()
        )
        status = await self.center.create_assignment(
            account, progress.permission_set_arn, progress.user_id, instance
        )
        self.grant = await self.steps.save_progress(
            self.grant, creation_request_id=status.request_id
        )
        return status

    async def _follow(self, status: AssignmentStatus) -> None:
        match status.state:
            case AssignmentState.SUCCEEDED:
                await self._granted(request_ids=(status.request_id,))
            case AssignmentState.FAILED:
                await self.fail(_assignment_failure("CreateAccountAssignment", status))
            case AssignmentState.IN_PROGRESS:
                now = self.steps.clock.now()
                polled = self.grant.record(now, polls=self.grant.progress.polls + 1)
                await self.steps.save(polled.wait(now, now + self.steps.settings.poll_interval))

    async def _pre_existing(self) -> None:
        now = self.steps.clock.now()
        kept = self.grant.record(now, checked_existing=True).granted(now, pre_existing=True)
        detail = (
            "the user already had this permission set on this account; Outpost created "
            "nothing and will not remove it at expiry"
        )
        await self.steps.save(
            kept, [event(kept, AuditKind.PRE_EXISTING, OUTPOST, now, detail=detail)]
        )

    async def _granted(self, request_ids: tuple[str, ...]) -> None:
        now = self.steps.clock.now()
        granted = self.grant.granted(now, pre_existing=False)
        audit = [event(granted, AuditKind.GRANTED, OUTPOST, now, request_ids=request_ids)]
        granted, scheduled = await self.steps.create_schedule(granted)
        await self.steps.save(granted, audit + scheduled)

    def _worth_another_round(self, failure: AwsFailure) -> bool:
        """Once the assignment may have been asked for, an error that says nothing for sure
        (AWS failed or the answer was lost, throttling outlasted the retries, a status AWS no
        longer keeps) does not end the grant: the worker looks again a little later."""
        if self.grant.progress.create_sent_at is None or self.grant.progress.rounds >= ROUNDS:
            return False
        entry = catalog().error(failure.service, failure.code)
        return (
            outcome_unknown(failure)
            or failure.code == "ResourceNotFoundException"
            or (entry is not None and entry.retry is not Retry.NO)
        )

    async def _later(self, failure: AwsFailure) -> None:
        now = self.steps.clock.now()
        progress: dict[str, Any] = {"rounds": self.grant.progress.rounds + 1}
        if failure.code == "ResourceNotFoundException":
            progress["creation_request_id"] = None  # look at what is assigned instead
        waiting = self.grant.record(now, **progress).model_copy(update={"failure": failure})
        waiting = waiting.wait(now, self.steps.retry_at())
        await self.steps.save(waiting, lines=[self.steps.narrator.failure_line(waiting)])

    async def fail(self, failure: AwsFailure) -> None:
        now = self.steps.clock.now()
        failed = self.grant.fail(now, failure)
        detail = f"{failure.code}: {failure.message}"
        request_ids = (failure.request_id,) if failure.request_id else ()
        await self.steps.save(
            failed,
            [event(failed, AuditKind.FAILED, OUTPOST, now, detail=detail, request_ids=request_ids)],
            lines=[self.steps.narrator.failure_line(failed)],
        )


class _Revoking(_GrantStep):
    """Time is up, or someone revoked it: delete the assignment Outpost created, and wait."""

    async def run(self) -> None:
        if not self.grant.needs_aws_removal:
            await self._ended(request_ids=(), gone_before=False)
            return
        try:
            await self._run()
        except AwsCallError as error:
            await self._retry_later(error.failure)

    async def _run(self) -> None:
        self.grant = await self.steps.delete_schedule(self.grant)
        progress = self.grant.progress
        assert progress.instance_arn and progress.identity_store_id
        assert progress.permission_set_arn and progress.user_id
        instance = IdentityCenterInstance(
            arn=progress.instance_arn, identity_store_id=progress.identity_store_id
        )
        if progress.deletion_request_id is not None:
            status = await self.center.deletion_status(progress.deletion_request_id, instance)
            await self._follow(status)
            return
        if progress.creation_request_id is not None and await self._still_creating(instance):
            # A creation still under way would appear after a look that found nothing.
            await self._wait()
            return
        account = self.grant.request.account_id
        holders = await self.center.assignments(account, progress.permission_set_arn, instance)
        if progress.user_id not in holders:
            # Gone before Outpost asked, or removed by a deletion whose answer was lost.
            await self._ended(request_ids=(), gone_before=progress.delete_sent_at is None)
            return
        self.grant = await self.steps.save_progress(
            self.grant, delete_sent_at=self.steps.clock.now()
        )
        status = await self.center.delete_assignment(
            account, progress.permission_set_arn, progress.user_id, instance
        )
        self.grant = await self.steps.save_progress(
            self.grant, deletion_request_id=status.request_id
        )
        await self._follow(status)

    async def _still_creating(self, instance: IdentityCenterInstance) -> bool:
        request_id = self.grant.progress.creation_request_id
        assert request_id is not None
        try:
            creation = await self.center.creation_status(request_id, instance)
        except AwsCallError as error:
            if error.failure.code == "ResourceNotFoundException":
                return False  # AWS keeps statuses only for a while: that one is long over
            raise
        return creation.state is AssignmentState.IN_PROGRESS

    async def _follow(self, status: AssignmentStatus) -> None:
        match status.state:
            case AssignmentState.SUCCEEDED:
                await self._ended(request_ids=(status.request_id,), gone_before=False)
            case AssignmentState.FAILED:
                await self._retry_later(_assignment_failure("DeleteAccountAssignment", status))
            case AssignmentState.IN_PROGRESS:
                await self._wait()

    async def _wait(self) -> None:
        now = self.steps.clock.now()
        polled = self.grant.record(now, polls=self.grant.progress.polls + 1)
        await self.steps.save(polled.wait(now, now + self.steps.settings.poll_interval))

    async def _ended(self, request_ids: tuple[str, ...], *, gone_before: bool) -> None:
        now = self.steps.clock.now()
        grant = self.grant
        ended = grant.ended(now)
        kind, actor, detail = _end_record(grant, gone_before=gone_before)
        audit = [event(ended, kind, actor, now, detail=detail, request_ids=request_ids)]
        await self.steps.save(ended, audit)

    async def _retry_later(self, failure: AwsFailure) -> None:
        """Access must not outlive its grant: a refused revoke is shown, and tried again."""
        now = self.steps.clock.now()
        first_time = self.grant.failure is None or self.grant.failure.code != failure.code
        retry_at = now + self.steps.settings.revoke_retry
        # `delete_sent_at` stays: if the answer was lost, the deletion may well have happened,
        # and finding the assignment gone next time is then Outpost's own doing.
        failed = self.grant.revoke_failed(now, failure, retry_at).record(
            now, deletion_request_id=None
        )
        audit = []
        # Only a definite refusal is on record; an answer lost or a fault on AWS's side is
        # shown in the thread and simply tried again.
        if first_time and not outcome_unknown(failure):
            every = format_duration(self.steps.settings.revoke_retry)
            detail = f"revoke failed, trying again every {every}: "
            detail += f"{failure.code}: {failure.message}"
            request_ids = (failure.request_id,) if failure.request_id else ()
            audit.append(
                event(
                    failed, AuditKind.FAILED, OUTPOST, now, detail=detail, request_ids=request_ids
                )
            )
        lines = [self.steps.narrator.failure_line(failed)] if first_time else []
        await self.steps.save(failed, audit, lines)


def _end_record(grant: Grant, *, gone_before: bool) -> tuple[AuditKind, str, str]:
    """The audit event that closes a grant: who ended it, and how."""
    if grant.progress.pre_existing:
        return AuditKind.KEPT, OUTPOST, "the access that was there before the grant stays"
    already = "the assignment was already gone" if gone_before else ""
    if not grant.needs_aws_removal:
        return AuditKind.REVOKED, grant.revoked_by or OUTPOST, "before any access was given"
    match grant.end_reason:
        case EndReason.EXPIRED:
            return AuditKind.EXPIRED, OUTPOST, already
        case EndReason.GRANT_FAILED:
            return AuditKind.CLEANED_UP, OUTPOST, already
        case _:
            return AuditKind.REVOKED, grant.revoked_by or OUTPOST, already


def _assignment_failure(operation: str, status: AssignmentStatus) -> AwsFailure:
    """A FAILED status, as an error with the catalog key its free text matches."""
    text = status.failure_reason or "AWS gave no FailureReason."
    entry = catalog().reason_in_text("sso-admin", ASSIGNMENT_FAILURE, text)
    key = entry.value if entry else "FAILED"
    return AwsFailure(
        service="sso-admin",
        operation=operation,
        code=key,
        reason=key if entry else None,
        message=text,
        request_id=status.request_id,
    )


def _outpost_failure(operation: str, code: str, message: object) -> AwsFailure:
    return AwsFailure(service="outpost", operation=operation, code=code, message=str(message))

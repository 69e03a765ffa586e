"""Break-glass: filing requests, deciding them, revoking and extending access.

The slash commands, the card's buttons and the modals all come here, so that every path
follows the same rules (bot/domain/grants.py) and writes the same audit events. Each change is
one conditional write with its audit events: when two people act at once, the first write wins
and the other is refused with what happened. Each use case returns the grant as it was saved, or
raises one of REFUSALS; bot/ui/breakglass_answers.py words either for the person who acted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from bot.aws.errors import AwsCallError
from bot.clock import Clock
from bot.domain.audit import AuditEvent, AuditKind, announcements, event
from bot.domain.durations import format_duration
from bot.domain.errors import AwsCallFailed, Conflict, NotFound, RefusedByRule
from bot.domain.grants import (
    AccessRequest,
    Decision,
    Grant,
    GrantRefused,
    GrantRule,
    GrantState,
)
from bot.domain.operations import AwsFailure
from bot.domain.outbox import Delivery, OutboxMessage
from bot.engine.runner import Runner
from bot.slack.people import OpsDirectory
from bot.store.base import OverlappingGrant, StaleGrant, Store

log = logging.getLogger(__name__)

# A decision re-reads and tries again this many times when other writes (the worker's
# reminder, say) keep landing first; a decision already taken stops it at once.
ATTEMPTS = 5

Change = Callable[[Grant], tuple[Grant, list[AuditEvent]]]


class NoSuchGrant(NotFound):
    """No grant has this id: an old card, a typo, or a forged value."""

    def __init__(self, grant_id: str) -> None:
        super().__init__(grant_id)
        self.grant_id = grant_id


class NotOpsToGrant(RefusedByRule):
    """Granting directly is for ops; anyone else asks with /account breakglass."""


class GrantToSelf(RefusedByRule):
    """Ops do not grant access to themselves: another ops member approves their request."""


class ManagementRefused(RefusedByRule):
    """The account is the organization's management account, and access there is not allowed.
    `grant_id` is set when an approval was refused, so that the answer says what to do."""

    def __init__(self, account_id: str, grant_id: str | None = None) -> None:
        super().__init__(account_id)
        self.account_id = account_id
        self.grant_id = grant_id


class ManagementUnchecked(AwsCallFailed):
    """AWS did not say which account is the management account, so nothing was done."""

    def __init__(self, failure: AwsFailure, grant_id: str | None = None) -> None:
        super().__init__(failure.code)
        self.failure = failure
        self.grant_id = grant_id


class AlreadyCovered(Conflict):
    """The person already has a request or grant open for the account: `grant` covers it."""

    def __init__(self, user: str, grant: Grant) -> None:
        super().__init__(grant.id)
        self.user = user
        self.grant = grant


class KeptChanging(Conflict):
    """Other writes kept landing first, ATTEMPTS times over: nothing was decided."""

    def __init__(self, grant_id: str) -> None:
        super().__init__(grant_id)
        self.grant_id = grant_id


# Everything a break-glass use case refuses with; the person who acted is told why.
REFUSALS = (
    GrantRefused,
    OverlappingGrant,
    NoSuchGrant,
    NotOpsToGrant,
    GrantToSelf,
    ManagementRefused,
    ManagementUnchecked,
    AlreadyCovered,
    KeptChanging,
)
Refusal = (
    GrantRefused
    | OverlappingGrant
    | NoSuchGrant
    | NotOpsToGrant
    | GrantToSelf
    | ManagementRefused
    | ManagementUnchecked
    | AlreadyCovered
    | KeptChanging
)


class ManagementLookup(Protocol):
    async def id(self) -> str: ...


@dataclass(frozen=True)
class BreakGlassDesk:
    store: Store
    ops: OpsDirectory
    worker: Runner
    approvals_channel: str | None  # APPROVALS_CHANNEL or AUDIT_CHANNEL
    request_ttl: timedelta
    self_approvers: frozenset[str]
    clock: Clock
    # The organization's management account, where access is refused unless allowed.
    management: ManagementLookup | None = None
    allow_management: bool = False

    async def file(
        self,
        requester: str,
        email: str,
        request: AccessRequest,
        origin_channel: str,
    ) -> Grant:
        """A request from the person who will get the access; it waits for ops."""
        request = await self._checked(request)
        await self._refuse_overlap(requester, request.account_id)
        now = self.clock.now()
        channel = self.approvals_channel or origin_channel
        grant = Grant(
            requester=requester,
            requester_email=email,
            filed_by=requester,
            request=request,
            channel=channel,
            created_at=now,
            updated_at=now,
            answer_by=now + self.request_ttl,
        )
        detail = f"{format_duration(request.duration)}: {request.justification}"
        if request.ticket:
            detail += f" (ticket {request.ticket})"
        audit = [event(grant, AuditKind.REQUESTED, requester, now, detail=detail)]
        stored = await self._insert(grant, audit)
        self.worker.wake()
        return stored

    async def grant_directly(
        self, by: str, user: str, email: str, request: AccessRequest, origin_channel: str
    ) -> Grant:
        """Ops give access with no separate request: the same grant, expiry and audit path."""
        if not await self.ops.is_ops(by):
            raise NotOpsToGrant(by)
        if by == user:
            raise GrantToSelf(by)
        request = await self._checked(request)
        await self._refuse_overlap(user, request.account_id)
        now = self.clock.now()
        grant = Grant(
            state=GrantState.GRANTING,
            requester=user,
            requester_email=email,
            filed_by=by,
            request=request,
            channel=self.approvals_channel or origin_channel,
            created_at=now,
            updated_at=now,
            answer_by=now,
            decision=Decision(approved=True, by=by, at=now, direct=True),
            next_run_at=now,
        )
        detail = f"granted directly for {format_duration(request.duration)}: "
        detail += request.justification
        audit = [event(grant, AuditKind.APPROVED, by, now, detail=detail)]
        stored = await self._insert(grant, audit)
        self.worker.wake()
        return stored

    def may_self_approve(self, user: str) -> bool:
        return user in self.self_approvers

    async def grant(self, grant_id: str) -> Grant:
        """The grant as stored now."""
        grant = await self.store.get_grant(grant_id)
        if grant is None:
            raise NoSuchGrant(grant_id)
        return grant

    async def open_grants(self, requester: str | None = None) -> list[Grant]:
        """Grants not finished (pending, granting, active, revoking), or only `requester`'s."""
        return await self.store.open_grants(requester=requester)

    async def open_grants_on(self, account_id: str) -> list[Grant]:
        """Grants not finished on one account, anyone's: who has or will have access there."""
        return await self.store.open_grants(account_id=account_id)

    async def approve(self, grant_id: str, what: str, by: str, note: str = "") -> Grant:
        is_ops = await self.ops.is_ops(by)
        filed = await self.store.get_grant(grant_id)
        deciding = filed is not None and (
            filed.state is GrantState.PENDING or filed.pending_extension is not None
        )
        if filed is not None and deciding and is_ops:
            # Filed before the setting changed, or before Outpost checked it at all.
            try:
                await self._management(filed.request.account_id)
            except ManagementUnchecked as unchecked:
                raise ManagementUnchecked(unchecked.failure, grant_id) from None
            except ManagementRefused:
                raise ManagementRefused(filed.request.account_id, grant_id) from None
            if filed.request.management and not self.allow_management:
                raise ManagementRefused(filed.request.account_id, grant_id)

        def change(grant: Grant) -> tuple[Grant, list[AuditEvent]]:
            extension = grant.pending_extension
            approved = grant.approve(
                self.clock.now(),
                by,
                is_ops=is_ops,
                may_self_approve=self.may_self_approve(by),
                what=what,
                note=note,
            )
            decision = (
                approved.extensions[-1].decision if extension is not None else approved.decision
            )
            assert decision is not None
            if extension is not None:
                kind, detail = AuditKind.EXTENDED, f"+{format_duration(extension.duration)}"
            elif decision.self_approved:
                kind, detail = AuditKind.SELF_APPROVED, decision.note
            else:
                kind, detail = AuditKind.APPROVED, format_duration(grant.request.duration)
            return approved, [event(approved, kind, by, decision.at, detail=detail)]

        # A self-approval is an emergency path: every ops member hears of it at once.
        told = await self.ops.members() if self.may_self_approve(by) else frozenset()
        approved = await self._decide(grant_id, change, tell_ops=told)
        self.worker.wake()
        return approved

    async def deny(self, grant_id: str, what: str, by: str, reason: str) -> Grant:
        is_ops = await self.ops.is_ops(by)

        def change(grant: Grant) -> tuple[Grant, list[AuditEvent]]:
            extension = grant.pending_extension
            denied = grant.deny(self.clock.now(), by, is_ops=is_ops, what=what, reason=reason)
            kind = AuditKind.EXTENSION_DENIED if extension else AuditKind.DENIED
            return denied, [event(denied, kind, by, denied.updated_at, detail=reason.strip())]

        return await self._decide(grant_id, change)

    async def revoke(self, grant_id: str, by: str, *, only_pending: bool = False) -> Grant:
        """End the access now, or withdraw the request (the grant comes back WITHDRAWN).
        `only_pending` (a Withdraw click) refuses if it was decided meanwhile: live access is
        revoked only knowingly."""
        is_ops = await self.ops.is_ops(by)

        def change(grant: Grant) -> tuple[Grant, list[AuditEvent]]:
            if only_pending and grant.state is not GrantState.PENDING:
                raise GrantRefused(GrantRule.NO_LONGER_PENDING, grant.id, state=grant.state)
            revoked = grant.revoke(self.clock.now(), by, is_ops=is_ops)
            if revoked.state is GrantState.WITHDRAWN:
                return revoked, [event(revoked, AuditKind.WITHDRAWN, by, revoked.updated_at)]
            # The REVOKED event is written once AWS has taken the access back.
            return revoked, []

        revoked = await self._decide(grant_id, change)
        self.worker.wake()
        return revoked

    async def extend(self, grant_id: str, by: str, duration: timedelta, reason: str) -> Grant:
        """Ask for more time; the grant comes back with the extension waiting for ops."""
        is_ops = await self.ops.is_ops(by)

        def change(grant: Grant) -> tuple[Grant, list[AuditEvent]]:
            extended = grant.extend(
                self.clock.now(), by, is_ops=is_ops, duration=duration, reason=reason
            )
            detail = f"+{format_duration(duration)}: {reason.strip()}"
            return extended, [
                event(
                    extended, AuditKind.EXTENSION_REQUESTED, by, extended.updated_at, detail=detail
                )
            ]

        return await self._decide(grant_id, change)

    async def _insert(self, grant: Grant, audit: list[AuditEvent]) -> Grant:
        try:
            stored = await self.store.insert_grant(grant, audit, announcements(grant, audit))
        except OverlappingGrant:
            # Filed at the same instant as another: the store kept one, which covers this.
            await self._refuse_overlap(grant.requester, grant.request.account_id)
            raise
        return stored

    async def _decide(
        self, grant_id: str, change: Change, tell_ops: frozenset[str] = frozenset()
    ) -> Grant:
        for _ in range(ATTEMPTS):
            grant = await self.grant(grant_id)
            changed, audit = change(grant)
            messages = announcements(changed, audit) + _ops_told(changed, audit, tell_ops)
            try:
                saved = await self.store.save_grant(changed, audit, messages)
            except StaleGrant:
                continue  # someone wrote first: read what they did, and decide again
            return saved
        raise KeptChanging(grant_id)

    async def check_account(self, account_id: str) -> None:
        """Raises ManagementRefused or ManagementUnchecked if access there is refused as the
        management account's."""
        await self._management(account_id)

    async def management_account_id(self) -> str | None:
        """The management account, to mark it where accounts are offered; None if unknown."""
        if self.management is None:
            return None
        try:
            return await self.management.id()
        except AwsCallError:
            log.warning("could not read the organization's management account", exc_info=True)
            return None

    async def _checked(self, request: AccessRequest) -> AccessRequest:
        """The request marked if it is for the management account; refused if not allowed."""
        management = await self._management(request.account_id)
        return request.model_copy(update={"management": management})

    async def _management(self, account_id: str) -> bool:
        """Whether the account is the management account; raises if access there is refused."""
        if self.management is None:
            return False
        try:
            management = await self.management.id()
        except AwsCallError as error:
            if self.allow_management:
                return False
            raise ManagementUnchecked(error.failure) from error
        if account_id != management:
            return False
        if not self.allow_management:
            raise ManagementRefused(account_id)
        return True

    async def _refuse_overlap(self, user: str, account_id: str) -> None:
        for grant in await self.store.open_grants(requester=user, account_id=account_id):
            raise AlreadyCovered(user, grant)


def _ops_told(
    grant: Grant, audit: list[AuditEvent], members: frozenset[str]
) -> list[OutboxMessage]:
    return [
        OutboxMessage(
            stream=f"{grant.id}-ops", delivery=Delivery.DIRECT, user=member, audit_id=audit_event.id
        )
        for audit_event in audit
        if audit_event.kind is AuditKind.SELF_APPROVED
        for member in sorted(members - {grant.requester})
    ]

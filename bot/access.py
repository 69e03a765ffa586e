"""The break-glass desk: filing requests, deciding them, revoking and extending access.

The slash commands, the card's buttons and the modals all come here, so that every path
follows the same rules (bot/domain/grants.py), writes the same audit events, and answers the
person who acted in the same words. Each change is one conditional write with its audit events:
when two people act at once, the first write wins and the other is told what happened.
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
from bot.domain.grants import AccessRequest, Decision, Grant, GrantRefused, GrantState
from bot.domain.outbox import Delivery, OutboxMessage
from bot.engine.runner import Runner
from bot.slack.people import OpsDirectory
from bot.store.base import OverlappingGrant, StaleGrant, Store
from bot.ui.text import escape, slack_date

log = logging.getLogger(__name__)

# A decision re-reads and tries again this many times when other writes (the worker's
# reminder, say) keep landing first; a decision already taken stops it at once.
ATTEMPTS = 5

Change = Callable[[Grant], tuple[Grant, list[AuditEvent]]]

NOT_OPS_TO_GRANT = "Only ops can grant access directly. Ask with /account breakglass."
ALLOW_MANAGEMENT = (
    "Whoever runs Outpost can allow it by setting BREAKGLASS_ALLOW_MANAGEMENT_ACCOUNT=true."
)


class ManagementLookup(Protocol):
    async def id(self) -> str: ...


@dataclass(frozen=True)
class Outcome:
    done: bool
    message: str  # for the person who acted
    grant: Grant | None = None


@dataclass(frozen=True)
class AccessDesk:
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
    ) -> Outcome:
        """A request from the person who will get the access; it waits for ops."""
        request, refusal = await self._checked(request)
        if refusal:
            return Outcome(False, refusal)
        if overlap := await self._overlap(requester, request.account_id):
            return Outcome(False, overlap)
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
        try:
            stored = await self.store.insert_grant(grant, audit, announcements(grant, audit))
        except OverlappingGrant:
            return Outcome(False, await self._overlap(requester, request.account_id) or "")
        self.worker.wake()
        return Outcome(
            True,
            f"Request {stored.id} for {format_duration(request.duration)} of access to "
            f"{_account(request)} is waiting for ops to approve it "
            f"in <#{channel}>. You will get a direct message when it is decided.",
            stored,
        )

    async def grant_directly(
        self, by: str, user: str, email: str, request: AccessRequest, origin_channel: str
    ) -> Outcome:
        """Ops give access with no separate request: the same grant, expiry and audit path."""
        if not await self.ops.is_ops(by):
            return Outcome(False, NOT_OPS_TO_GRANT)
        if by == user:
            return Outcome(
                False,
                "You cannot grant access to yourself: ask for it with /account breakglass, "
                "and another ops member approves it.",
            )
        request, refusal = await self._checked(request)
        if refusal:
            return Outcome(False, refusal)
        if overlap := await self._overlap(user, request.account_id):
            return Outcome(False, overlap)
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
        try:
            stored = await self.store.insert_grant(grant, audit, announcements(grant, audit))
        except OverlappingGrant:
            return Outcome(False, await self._overlap(user, request.account_id) or "")
        self.worker.wake()
        return Outcome(
            True,
            f"Granting {stored.id}: {format_duration(request.duration)} of access to "
            f"{_account(request)} for <@{user}>. Its card is in <#{stored.channel}>.",
            stored,
        )

    def may_self_approve(self, user: str) -> bool:
        return user in self.self_approvers

    async def approve(self, grant_id: str, what: str, by: str, note: str = "") -> Outcome:
        is_ops = await self.ops.is_ops(by)
        filed = await self.store.get_grant(grant_id)
        deciding = filed is not None and (
            filed.state is GrantState.PENDING or filed.pending_extension is not None
        )
        if filed is not None and deciding and is_ops:
            # Filed before the setting changed, or before Outpost checked it at all.
            _, refusal = await self._checked(filed.request)
            if refusal or (filed.request.management and not self.allow_management):
                return Outcome(
                    False,
                    f"{refusal or management_refused(filed.request.account_id)} "
                    f"Nothing was approved: deny {grant_id}, or allow it first.",
                    filed,
                )

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
        outcome = await self._decide(grant_id, change, tell_ops=told)
        if outcome.done and outcome.grant is not None:
            grant = outcome.grant
            self.worker.wake()
            return Outcome(True, f"Approved: {grant.id}. Its card shows how it goes.", grant)
        return outcome

    async def deny(self, grant_id: str, what: str, by: str, reason: str) -> Outcome:
        is_ops = await self.ops.is_ops(by)

        def change(grant: Grant) -> tuple[Grant, list[AuditEvent]]:
            extension = grant.pending_extension
            denied = grant.deny(self.clock.now(), by, is_ops=is_ops, what=what, reason=reason)
            kind = AuditKind.EXTENSION_DENIED if extension else AuditKind.DENIED
            return denied, [event(denied, kind, by, denied.updated_at, detail=reason.strip())]

        outcome = await self._decide(grant_id, change)
        if outcome.done and outcome.grant is not None:
            return Outcome(True, f"Denied: {grant_id}. The requester is told why.", outcome.grant)
        return outcome

    async def revoke(self, grant_id: str, by: str, *, only_pending: bool = False) -> Outcome:
        """End the access now, or withdraw the request. `only_pending` (a Withdraw click)
        refuses if it was decided meanwhile: live access is revoked only knowingly."""
        is_ops = await self.ops.is_ops(by)

        def change(grant: Grant) -> tuple[Grant, list[AuditEvent]]:
            if only_pending and grant.state is not GrantState.PENDING:
                raise GrantRefused(
                    f"{grant.id} is {grant.state.value} now: it no longer waits for a decision, "
                    "so nothing was withdrawn. To end access, use Revoke now on its card."
                )
            revoked = grant.revoke(self.clock.now(), by, is_ops=is_ops)
            if revoked.state is GrantState.WITHDRAWN:
                return revoked, [event(revoked, AuditKind.WITHDRAWN, by, revoked.updated_at)]
            # The REVOKED event is written once AWS has taken the access back.
            return revoked, []

        outcome = await self._decide(grant_id, change)
        if not outcome.done or outcome.grant is None:
            return outcome
        self.worker.wake()
        if outcome.grant.state is GrantState.WITHDRAWN:
            return Outcome(True, f"Withdrawn: {grant_id} will not be decided.", outcome.grant)
        return Outcome(
            True,
            f"Revoking {grant_id} now; its thread says when AWS has taken the access back. "
            "AWS console sessions already started stay valid until the permission set's "
            "session duration ends.",
            outcome.grant,
        )

    async def extend(self, grant_id: str, by: str, duration: timedelta, reason: str) -> Outcome:
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

        outcome = await self._decide(grant_id, change)
        if outcome.done and outcome.grant is not None:
            return Outcome(
                True,
                f"Asked for {format_duration(duration)} more on {grant_id}: ops approve it on "
                f"its card in <#{outcome.grant.channel}>.",
                outcome.grant,
            )
        return outcome

    async def _decide(
        self, grant_id: str, change: Change, tell_ops: frozenset[str] = frozenset()
    ) -> Outcome:
        for _ in range(ATTEMPTS):
            grant = await self.store.get_grant(grant_id)
            if grant is None:
                return Outcome(False, no_such_grant(grant_id))
            try:
                changed, audit = change(grant)
            except GrantRefused as refusal:
                return Outcome(False, str(refusal), grant)
            messages = announcements(changed, audit) + _ops_told(changed, audit, tell_ops)
            try:
                saved = await self.store.save_grant(changed, audit, messages)
            except StaleGrant:
                continue  # someone wrote first: read what they did, and decide again
            return Outcome(True, "", saved)
        return Outcome(False, f"{grant_id} kept changing while you acted; look at its card.")

    async def management_refusal(self, account_id: str) -> str | None:
        """Why access to the account is refused as the management account's, or None."""
        _, refusal = await self._checked_account(account_id)
        return refusal

    async def management_account_id(self) -> str | None:
        """The management account, to mark it where accounts are offered; None if unknown."""
        if self.management is None:
            return None
        try:
            return await self.management.id()
        except AwsCallError:
            log.warning("could not read the organization's management account", exc_info=True)
            return None

    async def _checked(self, request: AccessRequest) -> tuple[AccessRequest, str | None]:
        """The request marked if it is for the management account, and why it is refused."""
        management, refusal = await self._checked_account(request.account_id)
        return request.model_copy(update={"management": management}), refusal

    async def _checked_account(self, account_id: str) -> tuple[bool, str | None]:
        if self.management is None:
            return False, None
        try:
            management = await self.management.id()
        except AwsCallError as error:
            if self.allow_management:
                return False, None
            failure = error.failure
            return False, (
                "Outpost could not check whether this is the organization's management "
                f"account, where break-glass access is refused: AWS said {failure.code} "
                f"on {failure.operation}. Nothing was done; try again in a moment."
            )
        if account_id != management:
            return False, None
        return True, None if self.allow_management else management_refused(account_id)

    async def _overlap(self, user: str, account_id: str) -> str | None:
        for grant in await self.store.open_grants(requester=user, account_id=account_id):
            if grant.state is GrantState.PENDING:
                return (
                    f"<@{user}> already has request {grant.id} for this account waiting for "
                    "approval: it covers this one."
                )
            until = f" until {slack_date(grant.expires_at)}" if grant.expires_at else ""
            return (
                f"<@{user}> already has access to this account through {grant.id}{until}. "
                "Ask to extend it (Extend on its card) rather than for a second grant."
            )
        return None


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


def _account(request: AccessRequest) -> str:
    """The account as named by AWS, whose names may hold any printable character."""
    return f"{escape(request.account_name[:100])} ({request.account_id})"


def management_refused(account_id: str) -> str:
    return (
        f"Account {account_id} is the organization's management account. From it, access can "
        "be made permanent and the whole organization changed, so Outpost gives no "
        f"break-glass access there. {ALLOW_MANAGEMENT}"
    )


def no_such_grant(grant_id: str) -> str:
    return (
        f"There is no break-glass grant {escape(grant_id[:40])!r}. Grant ids look like "
        "bg-1a2b3c4d; they are "
        "on the request's card."
    )

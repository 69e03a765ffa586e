"""Break-glass grants: temporary access to an account, asked for, decided, given and taken back.

A grant is stored before anything is done for it, and every change to it goes through the
methods below, which enforce the rules an access reviewer expects: only ops decide, nobody
approves their own request (unless named for emergencies), the first decision wins, access
that was there before is never taken away, and every grant ends.

The store saves a grant only if nobody saved it since it was read: two approvers clicking at
once both pass these rules on what they read, and the store lets exactly one of them win.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field

from bot.domain.durations import format_duration
from bot.domain.errors import RefusedByRule
from bot.domain.operations import AwsFailure

SHORTEST_GRANT = timedelta(minutes=15)
DEFAULT_GRANT = timedelta(hours=1)
SHORTEST_JUSTIFICATION = 10
LONGEST_JUSTIFICATION = 1000
LONGEST_TICKET = 200


class GrantState(StrEnum):
    PENDING = "pending"  # waiting for ops to approve or deny
    GRANTING = "granting"  # approved: the assignment is being created in AWS
    ACTIVE = "active"  # the user has access until `expires_at`
    REVOKING = "revoking"  # time is up or revoked early: the assignment is being deleted
    ENDED = "ended"  # access taken back (or left as it was before, if pre-existing)
    DENIED = "denied"
    WITHDRAWN = "withdrawn"  # the requester (or ops) called the request off before a decision
    UNANSWERED = "unanswered"  # nobody decided in time
    FAILED = "failed"  # AWS could not give the access; nothing is left to take back

    @property
    def finished(self) -> bool:
        return self in _FINISHED

    @property
    def open(self) -> bool:
        """Asked for, given or being given: another grant for the same access would overlap."""
        return not self.finished


_FINISHED = frozenset(
    {
        GrantState.ENDED,
        GrantState.DENIED,
        GrantState.WITHDRAWN,
        GrantState.UNANSWERED,
        GrantState.FAILED,
    }
)


class EndReason(StrEnum):
    EXPIRED = "expired"
    REVOKED = "revoked"  # early, by someone
    GRANT_FAILED = "grant_failed"  # the grant failed after AWS may have acted: cleaned up


class GrantRule(StrEnum):
    """Which rule refused: the answer to the person is worded from it, in bot/ui."""

    NOT_OPS_TO_APPROVE = "not_ops_to_approve"
    NOT_OPS_TO_DENY = "not_ops_to_deny"
    OWN_REQUEST = "own_request"  # only BREAKGLASS_SELF_APPROVE_USERS may approve their own
    NO_EMERGENCY_NOTE = "no_emergency_note"  # a self-approval without its justification
    NO_DENIAL_REASON = "no_denial_reason"
    DECIDED = "decided"  # `decision` on the request, or on extension `extension`
    EXTENSION_CLOSED = "extension_closed"  # extension `extension` is not open, nor decided
    WITHDRAWN = "withdrawn"  # by `user`
    UNANSWERED = "unanswered"
    NOTHING_TO_DECIDE = "nothing_to_decide"  # in `state`
    NOT_YOURS_TO_EXTEND = "not_yours_to_extend"
    NOT_ACTIVE = "not_active"  # only active access is extended; it is in `state`
    PRE_EXISTING = "pre_existing"  # the access was there before: nothing to extend
    EXTENSION_WAITING = "extension_waiting"
    NOT_YOURS_TO_WITHDRAW = "not_yours_to_withdraw"  # only `user`, the requester, may
    NOT_YOURS_TO_REVOKE = "not_yours_to_revoke"
    NOTHING_TO_REVOKE = "nothing_to_revoke"  # in `state`
    NO_LONGER_PENDING = "no_longer_pending"  # a Withdraw that came after a decision


class GrantRefused(RefusedByRule):
    """The person may not do this to the grant as it stands: `rule` says which rule, and the
    other fields the facts an answer names. No words: bot/ui/breakglass_answers.py has them."""

    def __init__(
        self,
        rule: GrantRule,
        grant_id: str,
        *,
        state: GrantState | None = None,
        user: str | None = None,
        extension: int | None = None,
        decision: Decision | None = None,
    ) -> None:
        super().__init__(f"{grant_id}: {rule.value}")
        self.rule = rule
        self.grant_id = grant_id
        self.state = state
        self.user = user
        self.extension = extension
        self.decision = decision


class AccessRequest(BaseModel, frozen=True):
    """What was asked for, after validation."""

    account_id: str
    account_name: str
    duration: timedelta
    justification: str
    ticket: str | None = None
    # BREAKGLASS_PERMISSION_SET when it was filed (a name or an ARN), so the approver sees
    # what they approve; what AWS resolves it to is in the grant's progress once given.
    permission_set: str | None = None
    management: bool = False  # the organization's management account, allowed by the settings


class Decision(BaseModel, frozen=True):
    approved: bool
    by: str
    at: datetime
    note: str = ""  # the reason for a denial, or the emergency justification of a self-approval
    self_approved: bool = False
    direct: bool = False  # ops granted it themselves, with no separate request


class Extension(BaseModel, frozen=True):
    """More time asked for on an active grant; approved like the request itself."""

    number: int
    duration: timedelta
    reason: str
    requested_by: str
    requested_at: datetime
    decision: Decision | None = None


class AccessProgress(BaseModel, frozen=True):
    """What AWS has told us so far; saved before each call it guards, so a crash repeats nothing."""

    instance_arn: str | None = None
    identity_store_id: str | None = None
    permission_set_arn: str | None = None
    permission_set_name: str | None = None
    user_id: str | None = None
    checked_existing: bool = False
    pre_existing: bool = False
    create_sent_at: datetime | None = None
    creation_request_id: str | None = None
    polls: int = 0
    delete_sent_at: datetime | None = None
    deletion_request_id: str | None = None
    schedule_name: str | None = None
    schedule_at: datetime | None = None  # the time the AWS schedule revokes at, when it exists
    schedule_gone: bool = False  # deleted as the grant ends, before the assignment is
    rounds: int = 0  # attempts at granting that ended in an error AWS may get past


def new_grant_id() -> str:
    return f"bg-{secrets.token_hex(4)}"


def is_grant_id(text: str) -> bool:
    return text.startswith("bg-")


class Grant(BaseModel, frozen=True):
    id: str = Field(default_factory=new_grant_id)
    state: GrantState = GrantState.PENDING
    requester: str  # the Slack user who gets the access
    requester_email: str  # read from Slack when filed; maps to the Identity Center user
    filed_by: str  # the requester, or the ops member who granted it directly
    request: AccessRequest
    channel: str  # where the card with Approve and Deny goes
    created_at: datetime
    updated_at: datetime
    answer_by: datetime  # unanswered after this
    reminded: bool = False
    decision: Decision | None = None
    granted_at: datetime | None = None
    expires_at: datetime | None = None
    ended_at: datetime | None = None
    end_reason: EndReason | None = None
    revoked_by: str | None = None
    failure: AwsFailure | None = None
    extensions: tuple[Extension, ...] = ()
    progress: AccessProgress = AccessProgress()
    next_run_at: datetime | None = None  # when the worker acts next while granting or revoking
    version: int = 0  # bumped by the store on every save: a stale writer is refused

    # When the worker must next look at it: the one indexed time a sweep queries by.

    @property
    def due_at(self) -> datetime | None:
        match self.state:
            case GrantState.PENDING:
                return self.remind_at if not self.reminded else self.answer_by
            case GrantState.GRANTING | GrantState.REVOKING:
                return self.next_run_at or self.updated_at
            case GrantState.ACTIVE:
                times = [t for t in (self.expires_at, self.next_run_at) if t is not None]
                return min(times) if times else None
            case _:
                return None

    @property
    def remind_at(self) -> datetime:
        return self.created_at + (self.answer_by - self.created_at) / 2

    @property
    def pending_extension(self) -> Extension | None:
        last = self.extensions[-1] if self.extensions else None
        return last if last is not None and last.decision is None else None

    @property
    def decision_open(self) -> bool:
        """Whether ops have something to decide on it: the request, or an extension."""
        return self.state is GrantState.PENDING or self.pending_extension is not None

    @property
    def deciding(self) -> str:
        """What a decision now applies to: the request, or the pending extension."""
        extension = self.pending_extension
        return f"extension-{extension.number}" if extension else "request"

    @property
    def asked_by(self) -> frozenset[str]:
        """Who cannot approve what is now being decided: whoever it is for or asked for it."""
        extension = self.pending_extension
        return frozenset({self.requester, extension.requested_by if extension else self.filed_by})

    # Decisions

    def approve(
        self,
        now: datetime,
        by: str,
        *,
        is_ops: bool,
        may_self_approve: bool,
        what: str,
        note: str = "",
    ) -> Grant:
        """`what` is the `deciding` the approver saw: a click on an old card decides nothing."""
        self._expect_decidable(now, what, is_ops=is_ops, not_ops=GrantRule.NOT_OPS_TO_APPROVE)
        extension = self.pending_extension
        self_approved = by in self.asked_by
        if self_approved:
            if not may_self_approve:
                raise GrantRefused(GrantRule.OWN_REQUEST, self.id)
            if len(note.strip()) < SHORTEST_JUSTIFICATION:
                raise GrantRefused(GrantRule.NO_EMERGENCY_NOTE, self.id)
        decision = Decision(
            approved=True, by=by, at=now, note=note.strip(), self_approved=self_approved
        )
        if extension is not None:
            assert self.expires_at is not None
            return self._with_extension_decided(
                decision,
                expires_at=self.expires_at + extension.duration,
                # The AWS schedule, if any, must move too: the worker does it when due.
                next_run_at=now if self.progress.schedule_name else self.next_run_at,
            )
        return self._now_in(GrantState.GRANTING, now, decision=decision, next_run_at=now)

    def deny(self, now: datetime, by: str, *, is_ops: bool, what: str, reason: str) -> Grant:
        # Ops may deny their own request: that only calls it off.
        self._expect_decidable(now, what, is_ops=is_ops, not_ops=GrantRule.NOT_OPS_TO_DENY)
        if not reason.strip():
            raise GrantRefused(GrantRule.NO_DENIAL_REASON, self.id)
        decision = Decision(approved=False, by=by, at=now, note=reason.strip())
        if self.pending_extension is not None:
            return self._with_extension_decided(decision)
        return self._now_in(GrantState.DENIED, now, decision=decision, ended_at=now)

    def _with_extension_decided(self, decision: Decision, **update: object) -> Grant:
        extension = self.pending_extension
        assert extension is not None
        decided = extension.model_copy(update={"decision": decision})
        return self.model_copy(
            update={
                "extensions": (*self.extensions[:-1], decided),
                "updated_at": decision.at,
                **update,
            }
        )

    def _expect_decidable(
        self, now: datetime, what: str, *, is_ops: bool, not_ops: GrantRule
    ) -> None:
        if not is_ops:
            raise GrantRefused(not_ops, self.id)
        if what != self.deciding or (
            self.state is not GrantState.PENDING and self.pending_extension is None
        ):
            raise self._no_longer_open(what)
        if self.state is GrantState.PENDING and now >= self.answer_by:
            # Its time is up even if the sweep has not closed it yet.
            raise GrantRefused(GrantRule.UNANSWERED, self.id)

    def _no_longer_open(self, what: str) -> GrantRefused:
        """Why a decision on `what` ("request" or "extension-n") is no longer open."""
        if what.startswith("extension-"):
            number = what.removeprefix("extension-")
            found = [e for e in self.extensions if str(e.number) == number]
            shown = int(number) if number.isdigit() else None
            if found and found[0].decision is not None:
                return GrantRefused(
                    GrantRule.DECIDED, self.id, extension=shown, decision=found[0].decision
                )
            return GrantRefused(GrantRule.EXTENSION_CLOSED, self.id, extension=shown)
        if self.decision is not None:
            return GrantRefused(GrantRule.DECIDED, self.id, decision=self.decision)
        match self.state:
            case GrantState.WITHDRAWN:
                return GrantRefused(GrantRule.WITHDRAWN, self.id, user=self.revoked_by)
            case GrantState.UNANSWERED:
                return GrantRefused(GrantRule.UNANSWERED, self.id)
        return GrantRefused(GrantRule.NOTHING_TO_DECIDE, self.id, state=self.state)

    # Extension

    def extend(
        self, now: datetime, by: str, *, is_ops: bool, duration: timedelta, reason: str
    ) -> Grant:
        if by != self.requester and not is_ops:
            raise GrantRefused(GrantRule.NOT_YOURS_TO_EXTEND, self.id)
        if self.state is not GrantState.ACTIVE:
            raise GrantRefused(GrantRule.NOT_ACTIVE, self.id, state=self.state)
        if self.progress.pre_existing:
            raise GrantRefused(GrantRule.PRE_EXISTING, self.id)
        if self.pending_extension is not None:
            raise GrantRefused(GrantRule.EXTENSION_WAITING, self.id)
        extension = Extension(
            number=len(self.extensions) + 1,
            duration=duration,
            reason=reason.strip(),
            requested_by=by,
            requested_at=now,
        )
        return self.model_copy(
            update={"extensions": (*self.extensions, extension), "updated_at": now}
        )

    # Ending

    def revoke(self, now: datetime, by: str, *, is_ops: bool) -> Grant:
        """End the access now, or call off the request if it was not decided yet.

        Only its requester calls off a request: ops decide it, and a denial tells them why.
        """
        if self.state is GrantState.PENDING and by != self.requester:
            raise GrantRefused(GrantRule.NOT_YOURS_TO_WITHDRAW, self.id, user=self.requester)
        if by != self.requester and not is_ops:
            raise GrantRefused(GrantRule.NOT_YOURS_TO_REVOKE, self.id)
        if self.state is GrantState.PENDING:
            return self._now_in(GrantState.WITHDRAWN, now, revoked_by=by, ended_at=now)
        if self.state not in (GrantState.GRANTING, GrantState.ACTIVE):
            raise GrantRefused(GrantRule.NOTHING_TO_REVOKE, self.id, state=self.state)
        return self._revoking(now, EndReason.REVOKED, by=by)

    def expire(self, now: datetime) -> Grant:
        assert self.state is GrantState.ACTIVE
        return self._revoking(now, EndReason.EXPIRED)

    def _revoking(self, now: datetime, reason: EndReason, by: str | None = None) -> Grant:
        return self._now_in(
            GrantState.REVOKING,
            now,
            end_reason=reason,
            revoked_by=by,
            next_run_at=now,
            # An extension nobody decided has nothing left to extend.
            extensions=tuple(
                e
                if e.decision is not None
                else e.model_copy(
                    update={
                        "decision": Decision(
                            approved=False, by="outpost", at=now, note="the access ended"
                        )
                    }
                )
                for e in self.extensions
            ),
        )

    def unanswered(self, now: datetime) -> Grant:
        assert self.state is GrantState.PENDING
        return self._now_in(GrantState.UNANSWERED, now, ended_at=now)

    # Steps of the worker

    def record(self, now: datetime, **progress: object) -> Grant:
        return self.model_copy(
            update={"progress": self.progress.model_copy(update=progress), "updated_at": now}
        )

    def wait(self, now: datetime, until: datetime | None) -> Grant:
        return self.model_copy(update={"next_run_at": until, "updated_at": now})

    def granted(self, now: datetime, *, pre_existing: bool) -> Grant:
        """The access is there: expiry counts from now, so the requester gets the time asked."""
        return self._now_in(
            GrantState.ACTIVE,
            now,
            granted_at=now,
            expires_at=now + self.request.duration,
            next_run_at=None,
            failure=None,
            progress=self.progress.model_copy(update={"pre_existing": pre_existing}),
        )

    def ended(self, now: datetime) -> Grant:
        """Nothing of it is left in AWS. A failed grant, cleaned up, stays failed."""
        failed = self.end_reason is EndReason.GRANT_FAILED
        return self._now_in(
            GrantState.FAILED if failed else GrantState.ENDED,
            now,
            ended_at=now,
            next_run_at=None,
            failure=self.failure if failed else None,
        )

    def fail(self, now: datetime, failure: AwsFailure) -> Grant:
        """The grant failed. If AWS may have created the assignment, it is taken back first."""
        if self.progress.create_sent_at is not None and not self.progress.pre_existing:
            failed = self._revoking(now, EndReason.GRANT_FAILED)
            return failed.model_copy(update={"failure": failure})
        return self._now_in(GrantState.FAILED, now, failure=failure, ended_at=now, next_run_at=None)

    def revoke_failed(self, now: datetime, failure: AwsFailure, retry_at: datetime) -> Grant:
        """Revoking never gives up: access must not outlive its grant. It is tried again."""
        return self.model_copy(
            update={"failure": failure, "updated_at": now, "next_run_at": retry_at}
        )

    def _now_in(self, state: GrantState, now: datetime, **update: object) -> Grant:
        """Moved to `state` at `now`, with whatever else changes with it."""
        return self.model_copy(update={"state": state, "updated_at": now, **update})

    @property
    def needs_aws_removal(self) -> bool:
        """Whether ending it must delete an assignment: only one Outpost may have created."""
        return self.progress.create_sent_at is not None and not self.progress.pre_existing


class AccessLimits(BaseModel, frozen=True):
    """The bounds a request must keep to, from the settings."""

    longest: timedelta
    shortest: timedelta = SHORTEST_GRANT

    def check_duration(self, duration: timedelta) -> str | None:
        """What is wrong with the duration, or None."""
        if duration < self.shortest:
            return (
                f"{format_duration(duration)} is too short: break-glass access lasts at least "
                f"{format_duration(self.shortest)}."
            )
        if duration > self.longest:
            return (
                f"{format_duration(duration)} is too long: break-glass access lasts at most "
                f"{format_duration(self.longest)} (BREAKGLASS_MAX_DURATION); ask to extend "
                "it later if you need more."
            )
        return None

    def check_extension(self, duration: timedelta) -> str | None:
        """What is wrong with the time an extension adds, or None."""
        if duration > self.longest:
            return (
                f"{format_duration(duration)} is too long: an extension adds at most "
                f"{format_duration(self.longest)} (BREAKGLASS_MAX_DURATION) at a time; ask "
                "for another one when it is approved if you need more."
            )
        return self.check_duration(duration)


def check_justification(text: str) -> str | None:
    stripped = text.strip()
    if len(stripped) < SHORTEST_JUSTIFICATION:
        return (
            f"Say why you need the access, in at least {SHORTEST_JUSTIFICATION} characters: "
            "the approver and the audit trail read it."
        )
    if len(stripped) > LONGEST_JUSTIFICATION:
        return f"Keep the justification under {LONGEST_JUSTIFICATION} characters."
    return None


def check_ticket(text: str) -> str | None:
    if len(text.strip()) > LONGEST_TICKET:
        return f"Keep the ticket under {LONGEST_TICKET} characters: an id or a link."
    return None

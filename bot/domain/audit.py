"""The audit trail of break-glass access: who asked, who decided, what AWS was asked, when.

Each event is stored in the same write as the change to the grant it records, so the trail
has exactly one line per thing that happened: a decision that lost a race writes no event.
Each event is then told where people look: the grant's thread, the audit channel and, when it
concerns them, the requester.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from bot.domain.durations import InvalidDuration, format_duration, parse_duration
from bot.domain.grants import Grant
from bot.domain.outbox import Delivery, OutboxMessage

AUDIT_STREAM = "audit"  # one stream, so the audit channel reads in order


class AuditKind(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    SELF_APPROVED = "self_approved"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"
    UNANSWERED = "unanswered"
    GRANTED = "granted"
    PRE_EXISTING = "pre_existing"  # the access was already there: nothing created or removed
    EXTENSION_REQUESTED = "extension_requested"
    EXTENDED = "extended"
    EXTENSION_DENIED = "extension_denied"
    REVOKED = "revoked"  # taken back early
    EXPIRED = "expired"  # taken back on time
    KEPT = "kept"  # the grant ended; the pre-existing access stays
    FAILED = "failed"
    CLEANED_UP = "cleaned_up"  # after a failed grant: whatever AWS may have made is removed
    SCHEDULED = "scheduled"  # the AWS-side backstop schedule was created or moved


# Events the requester is told about directly, besides seeing them in the thread.
TOLD_TO_REQUESTER = frozenset(
    {
        AuditKind.APPROVED,
        AuditKind.SELF_APPROVED,
        AuditKind.DENIED,
        AuditKind.UNANSWERED,
        AuditKind.GRANTED,
        AuditKind.PRE_EXISTING,
        AuditKind.EXTENDED,
        AuditKind.EXTENSION_DENIED,
        AuditKind.REVOKED,
        AuditKind.EXPIRED,
        AuditKind.KEPT,
        AuditKind.FAILED,
    }
)


def new_event_id() -> str:
    return f"ev-{secrets.token_hex(6)}"


class AuditEvent(BaseModel, frozen=True):
    id: str = Field(default_factory=new_event_id)
    at: datetime
    kind: AuditKind
    actor: str  # the Slack user who acted, or "outpost" for what the worker did on its own
    grant_id: str
    requester: str
    account_id: str
    account_name: str
    permission_set: str | None = None
    detail: str = ""  # a reason, a note, a duration: what a reader of the trail needs
    request_ids: tuple[str, ...] = ()  # AWS request ids of the calls that did it
    expires_at: datetime | None = None


def event(
    grant: Grant,
    kind: AuditKind,
    actor: str,
    at: datetime,
    *,
    detail: str = "",
    request_ids: tuple[str, ...] = (),
) -> AuditEvent:
    return AuditEvent(
        at=at,
        kind=kind,
        actor=actor,
        grant_id=grant.id,
        requester=grant.requester,
        account_id=grant.request.account_id,
        account_name=grant.request.account_name,
        permission_set=grant.progress.permission_set_name or grant.request.permission_set,
        detail=detail,
        request_ids=tuple(r for r in request_ids if r),
        expires_at=grant.expires_at,
    )


def split_requested_detail(detail: str) -> tuple[str | None, str]:
    """The duration and the justification of a REQUESTED event's detail.

    The detail is stored as "1h: why (ticket INC-1)": the duration as `format_duration`
    writes it, then the justification. A detail that does not start so is all justification.
    """
    duration, colon, justification = detail.partition(": ")
    if colon and _is_written_duration(duration):
        return duration, justification
    return None, detail


def _is_written_duration(text: str) -> bool:
    try:
        return format_duration(parse_duration(text)) == text
    except InvalidDuration:
        return False


def announcements(grant: Grant, events: Sequence[AuditEvent]) -> list[OutboxMessage]:
    """Where each event is told: the grant's thread, the audit channel, the requester.

    The text is rendered at delivery from the stored event, so a message waiting for Slack
    costs nothing to keep and reads the same whenever it goes out.
    """
    messages = []
    for audit in events:
        messages.append(OutboxMessage(stream=grant.id, delivery=Delivery.THREAD, audit_id=audit.id))
        messages.append(
            OutboxMessage(stream=AUDIT_STREAM, delivery=Delivery.AUDIT, audit_id=audit.id)
        )
        if audit.kind in TOLD_TO_REQUESTER:
            messages.append(
                OutboxMessage(
                    stream=grant.id,
                    delivery=Delivery.DIRECT,
                    user=grant.requester,
                    audit_id=audit.id,
                )
            )
    return messages

"""Who may act on an operation from Slack.

The requester and ops may retry or cancel; only ops may mark a failed operation resolved,
since that closes it without AWS having done the work.
"""

from __future__ import annotations

from bot.domain.operations import Operation, TriageKind


def refusal(kind: TriageKind, operation: Operation, user: str, *, is_ops: bool) -> str | None:
    """Why `user` may not do this, or None when they may."""
    if kind is TriageKind.RESOLVE:
        if is_ops:
            return None
        return f"Only ops can mark {operation.id} resolved; ask on-call in this thread."
    if is_ops or user == operation.requester:
        return None
    return (
        f"Only <@{operation.requester}>, who asked for {operation.id}, or ops can {kind.value} it."
    )

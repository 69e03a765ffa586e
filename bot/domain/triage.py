"""Who may act on an operation from Slack.

The requester and ops may retry or cancel; only ops may mark a failed operation resolved,
since that closes it without AWS having done the work.
"""

from __future__ import annotations

from enum import StrEnum

from bot.domain.operations import Operation, TriageKind


class TriageRule(StrEnum):
    """The rule that keeps someone from acting; bot/ui/triage.py words it."""

    OPS_RESOLVE = "ops_resolve"  # only ops mark an operation resolved
    REQUESTER_OR_OPS = "requester_or_ops"  # only the requester or ops retry or cancel


def refusal(
    kind: TriageKind, operation: Operation, user: str, *, is_ops: bool
) -> TriageRule | None:
    """The rule `user` may not do this by, or None when they may."""
    if kind is TriageKind.RESOLVE:
        return None if is_ops else TriageRule.OPS_RESOLVE
    if is_ops or user == operation.requester:
        return None
    return TriageRule.REQUESTER_OR_OPS

"""`/account ops`: which operations on-call wants to see.

By default: everything running (stuck or not) and everything failed and not yet resolved,
because those are what may need a person.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.errors import InvalidInput
from bot.domain.operations import Operation, OperationState


class OpsFilter(StrEnum):
    ATTENTION = ""  # the default: running, stuck and failed
    STUCK = "stuck"
    FAILED = "failed"
    MINE = "mine"
    ALL = "all"


FILTER_WORDS = ", ".join(f"`{f.value}`" for f in OpsFilter if f.value)


class UnknownFilter(InvalidInput):
    """The message says what is accepted."""


def parse_ops_filter(text: str) -> OpsFilter:
    word = text.strip().lower()
    try:
        return OpsFilter(word)
    except ValueError:
        raise UnknownFilter(f"`/account ops` takes nothing, or one of {FILTER_WORDS}.") from None


def select(
    operations: list[Operation],
    wanted: OpsFilter,
    *,
    user: str,
    now: datetime,
    stuck_after: timedelta,
) -> list[Operation]:
    """The operations to show, most recently active first."""

    def keep(operation: Operation) -> bool:
        stuck = operation.stuck_since(now, stuck_after) is not None
        match wanted:
            case OpsFilter.STUCK:
                return stuck
            case OpsFilter.FAILED:
                return operation.state is OperationState.FAILED
            case OpsFilter.MINE:
                return operation.requester == user
            case OpsFilter.ALL:
                return True
            case OpsFilter.ATTENTION:
                return operation.state in (OperationState.RUNNING, OperationState.FAILED)

    return sorted(filter(keep, operations), key=lambda op: op.updated_at, reverse=True)

"""Reading the break-glass audit trail back, for `/account audit` and its CSV file.

Every request, decision, grant, extension, revoke, expiry and failure is written as an audit
event in the same transaction as the change it records (bot/services/breakglass.py, the
break-glass workflow); this is the one place that reads them back for people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.domain.audit import AuditEvent
from bot.domain.errors import RefusedByRule
from bot.slack.people import OpsDirectory
from bot.store.base import Store

# The most audit events one export reads (and puts in its CSV).
EXPORT_LIMIT = 100_000


class NotOpsToAudit(RefusedByRule):
    """The audit trail is for ops."""


@dataclass(frozen=True)
class AuditExport:
    events: list[AuditEvent]  # newest first
    since: datetime
    until: datetime
    capped: bool  # `limit` was reached: older events of the period are left out
    limit: int


@dataclass(frozen=True)
class Audit:
    store: Store
    ops: OpsDirectory
    clock: Clock
    limit: int = EXPORT_LIMIT

    async def check_reader(self, user: str) -> None:
        """Only ops read the trail; raises NotOpsToAudit for anyone else."""
        if not await self.ops.is_ops(user):
            raise NotOpsToAudit(user)

    async def export(self, by: str, days: int, account_id: str | None = None) -> AuditExport:
        """The last `days` of the trail, of one account or all, newest first."""
        await self.check_reader(by)
        until = self.clock.now()
        since = until - timedelta(days=days)
        events = await self.store.audit_events(since, account_id, limit=self.limit)
        return AuditExport(events, since, until, len(events) >= self.limit, self.limit)

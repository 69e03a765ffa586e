"""The audit trail read back: ops only, the period asked for, and a cap it says it reached."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.domain.audit import AuditKind, event
from bot.services.audit import Audit, NotOpsToAudit
from bot.slack.people import OpsDirectory
from bot.store.base import Store
from tests.unit.factories import access_request, grant


class NoGroup:
    async def usergroups_users_list(self, **_: Any) -> dict[str, Any]:
        return {"users": []}


def audit(store: Store, clock: FakeClock, limit: int = 100) -> Audit:
    ops = OpsDirectory(NoGroup(), usergroup=None, users=["UOPS"])  # type: ignore[arg-type]
    return Audit(store, ops, clock, limit=limit)


async def filed(store: Store, clock: FakeClock, account_id: str) -> None:
    """A request by someone new each time: one person has one open request per account."""
    requester = f"U{clock.now():%d%H%M}"
    asked = grant(
        at=clock.now(), request=access_request(account_id=account_id), requester=requester
    )
    await store.insert_grant(asked, [event(asked, AuditKind.REQUESTED, requester, clock.now())])


class TestAuditExport:
    async def test_only_ops_read_the_trail(self, store: Store, clock: FakeClock) -> None:
        with pytest.raises(NotOpsToAudit):
            await audit(store, clock).export("UENGINEER", days=7)

    async def test_the_period_and_the_account_asked_for_newest_first(
        self, store: Store, clock: FakeClock
    ) -> None:
        await filed(store, clock, "111111111111")
        clock.advance(timedelta(days=3))
        await filed(store, clock, "222222222222")
        clock.advance(timedelta(hours=1))
        await filed(store, clock, "111111111111")

        trail = await audit(store, clock).export("UOPS", days=1)
        assert [e.account_id for e in trail.events] == ["111111111111", "222222222222"]
        assert trail.until - trail.since == timedelta(days=1) and not trail.capped
        one = await audit(store, clock).export("UOPS", days=7, account_id="111111111111")
        assert len(one.events) == 2

    async def test_a_trail_longer_than_the_limit_says_it_was_cut(
        self, store: Store, clock: FakeClock
    ) -> None:
        for _ in range(3):
            await filed(store, clock, "111111111111")
            clock.advance(timedelta(minutes=1))
        trail = await audit(store, clock, limit=2).export("UOPS", days=1)
        assert len(trail.events) == 2 and trail.capped

"""The access desk against a real store: decisions are conditional writes, first one wins."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from bot.clock import SystemClock
from bot.domain.grants import GrantRefused, GrantState
from bot.services.breakglass import AlreadyCovered, BreakGlassDesk, ManagementRefused
from bot.slack.people import OpsDirectory
from bot.ui.breakglass_answers import refused
from tests.support.stores import InspectableStore
from tests.unit.factories import access_request


class Worker:
    def __init__(self) -> None:
        self.woken = 0

    def wake(self) -> None:
        self.woken += 1


class NoGroup:
    async def usergroups_users_list(self, **_: Any) -> dict[str, Any]:
        return {"users": []}


MANAGEMENT = "999988887777"


class Management:
    """The organization's management account, as DescribeOrganization would give it."""

    async def id(self) -> str:
        return MANAGEMENT


def desk(store: InspectableStore, *, allow_management: bool = False) -> BreakGlassDesk:
    return BreakGlassDesk(
        store=store,
        ops=OpsDirectory(NoGroup(), usergroup=None, users=["UOPS", "UOPS2"]),  # type: ignore[arg-type]
        worker=Worker(),  # type: ignore[arg-type]
        approvals_channel="CAUDIT",
        request_ttl=timedelta(hours=8),
        self_approvers=frozenset(),
        clock=SystemClock(),
        management=Management(),
        allow_management=allow_management,
    )


async def test_a_management_account_request_filed_while_allowed_is_not_approved_after(
    store: InspectableStore,
):
    request = access_request(account_id=MANAGEMENT, account_name="org-root")
    filed = await desk(store, allow_management=True).file(
        "UENGINEER", "erin@example.com", request, "CPLATFORM"
    )
    assert filed.request.management
    # BREAKGLASS_ALLOW_MANAGEMENT_ACCOUNT is turned off before anyone decides.
    with pytest.raises(ManagementRefused) as refusal:
        await desk(store).approve(filed.id, "request", "UOPS")
    told = refused(refusal.value)
    assert "is the organization's management account" in told
    assert "BREAKGLASS_ALLOW_MANAGEMENT_ACCOUNT=true" in told
    assert f"Nothing was approved: deny {filed.id}" in told
    grant = await store.get_grant(filed.id)
    assert grant is not None and grant.state is GrantState.PENDING
    events = await store.audit_events(filed.created_at)
    assert [e.kind.value for e in events] == ["requested"]


async def test_a_withdraw_that_lands_after_an_approval_revokes_nothing(store: InspectableStore):
    office = desk(store)
    filed = await office.file("UENGINEER", "erin@example.com", access_request(), "CPLATFORM")
    approved = await office.approve(filed.id, "request", "UOPS")
    assert approved.state is GrantState.GRANTING
    with pytest.raises(GrantRefused) as refusal:
        await office.revoke(filed.id, "UENGINEER", only_pending=True)
    assert "nothing was withdrawn" in refused(refusal.value)
    grant = await store.get_grant(filed.id)
    assert grant is not None and grant.state is GrantState.GRANTING


async def test_two_approvals_at_once_one_wins_and_one_is_told_who(store: InspectableStore):
    office = desk(store)
    filed = await office.file("UENGINEER", "erin@example.com", access_request(), "CPLATFORM")
    first, second = await asyncio.gather(
        office.approve(filed.id, "request", "UOPS"),
        office.approve(filed.id, "request", "UOPS2"),
        return_exceptions=True,
    )
    losers = [o for o in (first, second) if isinstance(o, GrantRefused)]
    assert len(losers) == 1
    assert "already approved by <@UOPS" in refused(losers[0])
    events = await store.audit_events(filed.created_at)
    assert [e.kind.value for e in events].count("approved") == 1


async def test_a_second_request_for_the_same_access_at_once_is_refused(store: InspectableStore):
    office = desk(store)
    outcomes = await asyncio.gather(
        office.file("UENGINEER", "erin@example.com", access_request(), "CPLATFORM"),
        office.file("UENGINEER", "erin@example.com", access_request(), "CPLATFORM"),
        return_exceptions=True,
    )
    refusals = [o for o in outcomes if isinstance(o, AlreadyCovered)]
    assert len(refusals) == 1
    assert "already has request" in refused(refusals[0])

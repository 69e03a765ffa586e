"""The break-glass worker against moto behind the fault proxy, with a real SQLite store.

Each test resets moto and sets up its Identity Center instance with boto3 straight at moto: a
permission set named BreakGlass and a user whose email is the requester's. Grants are stored
already approved, as the Slack handlers store them, and the worker takes them from there: what
a test checks is what ops would look at afterwards, the grant, the assignment in Identity
Center, the audit trail and the calls AWS received.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from bot.aws.caller import AwsCaller
from bot.aws.clients import identitystore_client, scheduler_client, sso_admin_client
from bot.aws.identity_center import IdentityCenterGateway
from bot.aws.scheduler import SchedulerGateway, schedule_name
from bot.clock import Clock, FakeClock
from bot.domain.audit import AuditEvent, AuditKind
from bot.domain.events import Retrying
from bot.domain.grants import Decision, EndReason, Grant, GrantState
from bot.domain.outbox import Delivery, OutboxMessage
from bot.emulator.aws_faults import (
    ThreadedAwsFaultProxy,
    aws_error,
    garbage_answer,
    lose_response,
    rewrite_json,
    server_error,
)
from bot.engine.breakglass import ROUNDS, BreakGlass, BreakGlassSettings
from bot.engine.runner import UNEXPECTED_ERRORS_TOLERATED, Runner
from bot.store import open_store
from bot.store.base import StaleGrant
from tests.integration.conftest import FAST_RETRIES, ON_A_FAKE_CLOCK
from tests.support.aws_clients import built_as_the_bot_builds_them
from tests.support.identity_center import IdentityCenter, moto_client
from tests.support.organization import reset_moto
from tests.support.stores import InspectableStore
from tests.unit.factories import grant as filed_grant

EMAIL = "erin@example.com"
ROLE_ARN = "arn:aws:iam::123456789012:role/x"
SCP_REASON = (
    "Received a 403 status error: User: arn:aws:sts::111122223333:assumed-role/"
    "AWSReservedSSO_BreakGlass/x is not authorized to perform: iam:CreateRole with an "
    "explicit deny in a service control policy"
)
SETTINGS = BreakGlassSettings(
    permission_set="BreakGlass",
    poll_interval=timedelta(milliseconds=50),
    revoke_retry=timedelta(milliseconds=200),
    sweep_interval=timedelta(milliseconds=50),
    lease=timedelta(seconds=5),
)


def now() -> datetime:
    return datetime.now(UTC)


class Narrator:
    """Records what the worker tells a grant's thread besides its audit events."""

    def __init__(self) -> None:
        self.retries: list[tuple[str, Retrying]] = []
        self.failures: list[Grant] = []
        self.reminders: list[Grant] = []

    async def retrying(self, grant: Grant, event: Retrying) -> None:
        self.retries.append((grant.id, event))

    async def failed(self, grant: Grant) -> None:
        self.failures.append(grant)

    def failure_line(self, grant: Grant) -> OutboxMessage:
        self.failures.append(grant)
        return OutboxMessage(stream=grant.id, delivery=Delivery.THREAD, text="failed")

    def reminder_line(self, grant: Grant) -> OutboxMessage:
        self.reminders.append(grant)
        return OutboxMessage(stream=grant.id, delivery=Delivery.THREAD, text="reminder")


@pytest.fixture(scope="module")
def api_clients(session_proxy: ThreadedAwsFaultProxy) -> Iterator[tuple[Any, Any, Any]]:
    builders = (sso_admin_client, identitystore_client, scheduler_client)
    with built_as_the_bot_builds_them(session_proxy.url, *builders) as (admin, store, scheduler):
        yield admin, store, scheduler


@pytest.fixture(scope="module")
def moto_schedules(moto_url: str) -> Any:
    """EventBridge Scheduler in moto, read without the proxy."""
    return moto_client("scheduler", moto_url)


@dataclass
class Setup:
    """Identity Center in moto, the store, and what the worker is built from."""

    store: InspectableStore
    db_path: str
    aws: ThreadedAwsFaultProxy
    center: IdentityCenter
    gateway: IdentityCenterGateway
    scheduler_api: Any
    permission_set_arn: str
    user_id: str
    clock: Clock
    started_at: datetime = field(default_factory=now)
    narrator: Narrator = field(default_factory=Narrator)

    def worker(self, *, scheduler: bool = False) -> Runner:
        backstop = (
            SchedulerGateway(
                self.scheduler_api, AwsCaller(FAST_RETRIES, self.clock), role_arn=ROLE_ARN
            )
            if scheduler
            else None
        )
        return BreakGlass(
            self.store, self.gateway, backstop, self.narrator, SETTINGS, clock=self.clock
        ).runner()

    @asynccontextmanager
    async def running(self, *, scheduler: bool = False) -> AsyncIterator[Runner]:
        worker = self.worker(scheduler=scheduler)
        await worker.start()
        try:
            worker.wake()
            yield worker
        finally:
            await worker.stop()

    async def approved_until(self, state: GrantState, *, tick: FakeClock | None = None) -> Grant:
        """A grant ops just approved, once a worker has taken it to `state`."""
        grant = await self.approved()
        async with self.running():
            return await reaches(self.store, grant.id, state, tick=tick)

    async def approved(self, store: InspectableStore | None = None) -> Grant:
        """A grant ops just approved, for the Identity Center user's email, in moto's account."""
        t = self.clock.now()
        grant = filed_grant(
            at=t - timedelta(minutes=1),
            requester_email=EMAIL,
            state=GrantState.GRANTING,
            decision=Decision(approved=True, by="UOPS", at=t),
            next_run_at=t,
        )
        assert grant.request.account_id == self.center.account
        return await (store or self.store).insert_grant(grant)

    def assigned(self) -> list[tuple[str, str]]:
        return self.center.assigned(self.permission_set_arn)

    async def trail(self) -> list[AuditEvent]:
        """The audit events written since the test began, oldest first."""
        return list(reversed(await self.store.audit_events(self.started_at)))

    async def kinds(self) -> list[AuditKind]:
        return [e.kind for e in await self.trail()]

    def calls(self, operation: str) -> int:
        return len(self.aws.calls_to(operation))

    async def lease_free(self, grant_id: str) -> bool:
        """Whether no worker holds the grant's lease: another process could take it now (and
        gives it back at once)."""
        until = self.clock.now() + timedelta(seconds=1)
        if not await self.store.acquire_grant_lease(grant_id, "another process", until):
            return False
        await self.store.release_grant_lease(grant_id, "another process")
        return True


@pytest.fixture
def setup(
    store: InspectableStore,
    db_path: str,
    aws: ThreadedAwsFaultProxy,
    moto_url: str,
    api_clients: tuple[Any, Any, Any],
    clock: Clock,
) -> Setup:
    reset_moto(moto_url)
    center = IdentityCenter.in_moto(moto_url)
    permission_set_arn = center.permission_set("BreakGlass")
    center.permission_set("ReadOnly")
    user_id = center.user("erin", email=EMAIL)
    center.user("omar", email="omar@example.com")
    sso_admin, identity_store, scheduler = api_clients
    return Setup(
        store=store,
        db_path=db_path,
        aws=aws,
        center=center,
        gateway=IdentityCenterGateway(sso_admin, identity_store, AwsCaller(FAST_RETRIES, clock)),
        scheduler_api=scheduler,
        permission_set_arn=permission_set_arn,
        user_id=user_id,
        clock=clock,
        started_at=clock.now(),
    )


async def reaches(
    store: InspectableStore,
    grant_id: str,
    state: GrantState,
    *,
    timeout: float = 5.0,
    tick: FakeClock | None = None,
) -> Grant:
    """The grant once it is in `state`; fails after `timeout` saying where it is. With a
    FakeClock as `tick`, time moves on by a poll at each look, so that AWS can be asked again."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        current = await store.get_grant(grant_id)
        assert current is not None
        if current.state is state:
            return current
        if tick is not None:
            tick.advance(SETTINGS.poll_interval)
        if loop.time() > deadline:
            raise AssertionError(
                f"{grant_id} is {current.state.value} after {timeout}s, not {state.value}: "
                f"failure={current.failure}, progress={current.progress}"
            )
        await asyncio.sleep(0.01)


async def until(
    probe: Any, *, timeout: float = 5.0, what: str, tick: FakeClock | None = None
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await _holds(probe):
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        if tick is not None:
            tick.advance(SETTINGS.poll_interval)
        await asyncio.sleep(0.01)


async def _holds(probe: Any) -> Any:
    result = probe()
    return await result if inspect.isawaitable(result) else result


async def _reminded(store: InspectableStore, grant_id: str) -> bool:
    grant = await store.get_grant(grant_id)
    return grant is not None and grant.reminded


async def change(store: InspectableStore, grant_id: str, make: Any) -> Grant:
    """Save `make(grant)` on the latest version, as a Slack handler would."""
    while True:
        current = await store.get_grant(grant_id)
        assert current is not None
        try:
            return await store.save_grant(make(current))
        except StaleGrant:
            continue


# Changes made as of the grant's last save: on the store's clock, whichever that is.


def past_expiry(grant: Grant) -> Grant:
    return grant.model_copy(update={"expires_at": grant.updated_at - timedelta(seconds=1)})


def revoked_by_ops(grant: Grant) -> Grant:
    return grant.revoke(grant.updated_at, "UOPS", is_ops=True)


class TestGrantingAndExpiring:
    async def test_given_then_taken_back_at_expiry(self, setup):
        grant = await setup.approved()
        async with setup.running() as worker:
            active = await reaches(setup.store, grant.id, GrantState.ACTIVE)
            assert setup.assigned() == [("USER", setup.user_id)]
            request_id = active.progress.creation_request_id
            assert request_id
            assert active.progress.user_id == setup.user_id
            assert active.progress.permission_set_arn == setup.permission_set_arn
            assert not active.progress.pre_existing
            assert active.expires_at == active.granted_at + timedelta(hours=1)
            (granted,) = await setup.trail()
            assert (granted.kind, granted.actor) == (AuditKind.GRANTED, "outpost")
            assert granted.request_ids == (request_id,)
            assert granted.permission_set == "BreakGlass"
            assert setup.calls("CreateAccountAssignment") == 1

            await change(setup.store, grant.id, past_expiry)
            worker.wake()
            ended = await reaches(setup.store, grant.id, GrantState.ENDED)

        assert ended.end_reason is EndReason.EXPIRED
        assert ended.ended_at is not None and ended.due_at is None
        assert setup.assigned() == []
        assert await setup.kinds() == [AuditKind.GRANTED, AuditKind.EXPIRED]
        expired = (await setup.trail())[-1]
        assert expired.request_ids == (ended.progress.deletion_request_id,)
        assert setup.calls("CreateAccountAssignment") == 1
        assert setup.calls("DeleteAccountAssignment") == 1
        assert setup.narrator.failures == []
        recorded = {c.operation for c in await setup.store.calls_for(grant.id)}
        assert {"CreateAccountAssignment", "DeleteAccountAssignment"} <= recorded

    async def test_access_already_held_is_neither_created_nor_taken_away(self, setup):
        setup.center.assign(setup.permission_set_arn, setup.user_id)
        grant = await setup.approved()
        async with setup.running() as worker:
            active = await reaches(setup.store, grant.id, GrantState.ACTIVE)
            assert active.progress.pre_existing
            assert setup.calls("CreateAccountAssignment") == 0
            assert await setup.kinds() == [AuditKind.PRE_EXISTING]

            await change(setup.store, grant.id, past_expiry)
            worker.wake()
            await reaches(setup.store, grant.id, GrantState.ENDED)

        assert setup.assigned() == [("USER", setup.user_id)]
        assert setup.calls("DeleteAccountAssignment") == 0
        assert await setup.kinds() == [AuditKind.PRE_EXISTING, AuditKind.KEPT]

    @ON_A_FAKE_CLOCK
    async def test_taken_back_when_its_time_is_up_and_not_before(self, setup, clock):
        grant = await setup.approved()
        async with setup.running():
            active = await reaches(setup.store, grant.id, GrantState.ACTIVE, tick=clock)
            assert active.expires_at is not None
            await clock.until_waiting()
            clock.set(active.expires_at - timedelta(seconds=1))
            await asyncio.sleep(0.05)
            assert (await setup.store.get_grant(grant.id)).state is GrantState.ACTIVE
            assert setup.assigned() == [("USER", setup.user_id)]

            await clock.until_waiting()
            clock.advance(timedelta(seconds=1))
            ended = await reaches(setup.store, grant.id, GrantState.ENDED, tick=clock)

        assert ended.end_reason is EndReason.EXPIRED
        assert ended.ended_at is not None and ended.ended_at >= active.expires_at
        assert setup.assigned() == []
        assert await setup.kinds() == [AuditKind.GRANTED, AuditKind.EXPIRED]

    @ON_A_FAKE_CLOCK
    async def test_an_expiry_that_passed_while_the_bot_was_down(self, setup, clock):
        grant = await setup.approved()
        async with setup.running():
            active = await reaches(setup.store, grant.id, GrantState.ACTIVE, tick=clock)
            await until(lambda: setup.lease_free(grant.id), what="the worker to idle")

        assert active.expires_at is not None
        clock.set(active.expires_at + timedelta(minutes=5))  # the hour runs out while down
        assert (await setup.store.get_grant(grant.id)).state is GrantState.ACTIVE
        assert setup.assigned() == [("USER", setup.user_id)]

        restarted = setup.worker()
        await restarted.start()  # no wake: its first sweep finds what fell due
        try:
            ended = await reaches(setup.store, grant.id, GrantState.ENDED, timeout=2.0, tick=clock)
        finally:
            await restarted.stop()
        assert ended.end_reason is EndReason.EXPIRED
        assert setup.assigned() == []
        assert setup.calls("DeleteAccountAssignment") == 1
        assert await setup.kinds() == [AuditKind.GRANTED, AuditKind.EXPIRED]


class TestUnansweredRequests:
    @ON_A_FAKE_CLOCK
    async def test_ops_are_reminded_halfway_then_the_request_lapses(self, setup, clock):
        filed = await setup.store.insert_grant(filed_grant(at=clock.now(), requester_email=EMAIL))
        halfway = (filed.answer_by - filed.created_at) / 2
        async with setup.running():
            await clock.until_waiting()
            clock.advance(halfway - timedelta(seconds=1))
            await asyncio.sleep(0.05)
            assert setup.narrator.reminders == []

            await clock.until_waiting()
            clock.advance(timedelta(seconds=1))
            await until(lambda: setup.narrator.reminders, what="the reminder")
            # The reminder is told with the save that records it: wait for that to commit.
            await until(lambda: _reminded(setup.store, filed.id), what="the reminder recorded")
            reminded = await setup.store.get_grant(filed.id)
            assert reminded.state is GrantState.PENDING and reminded.reminded

            await clock.until_waiting()
            clock.set(filed.answer_by - timedelta(seconds=1))
            await asyncio.sleep(0.05)
            assert (await setup.store.get_grant(filed.id)).state is GrantState.PENDING

            await clock.until_waiting()
            clock.advance(timedelta(seconds=1))
            lapsed = await reaches(setup.store, filed.id, GrantState.UNANSWERED)

        assert lapsed.ended_at == filed.answer_by
        assert len(setup.narrator.reminders) == 1
        assert await setup.kinds() == [AuditKind.UNANSWERED]
        assert setup.assigned() == []
        assert setup.calls("CreateAccountAssignment") == 0


class SlowToRelease:
    """The store, letting go of a grant's lease slowly, as when another process holds the
    database's write lock."""

    def __init__(self, inner: InspectableStore) -> None:
        self._inner = inner
        self.releasing = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def release_grant_lease(self, grant_id: str, owner: str) -> None:
        self.releasing.set()
        await asyncio.sleep(0.05)
        await self._inner.release_grant_lease(grant_id, owner)


class TestStopping:
    async def test_a_stop_while_a_grant_is_let_go_leaves_no_lease_behind(self, setup):
        slow = SlowToRelease(await open_store(f"sqlite:///{setup.db_path}", clock=setup.clock))
        try:
            grant = await setup.approved(slow)
            worker = BreakGlass(
                slow, setup.gateway, None, setup.narrator, SETTINGS, clock=setup.clock
            ).runner()
            await worker.start()
            try:
                worker.wake()
                await reaches(slow, grant.id, GrantState.ACTIVE)
                await asyncio.wait_for(slow.releasing.wait(), timeout=5)
            finally:
                await worker.stop()
            assert await setup.lease_free(grant.id)
        finally:
            await slow.close()


class TestGrantingFaults:
    async def test_a_lost_answer_to_the_creation_does_not_fail_the_grant(self, setup):
        setup.aws.add(lose_response("CreateAccountAssignment"))
        active = await setup.approved_until(GrantState.ACTIVE)

        assert setup.assigned() == [("USER", setup.user_id)]
        assert setup.calls("CreateAccountAssignment") == 1  # AWS did it: not asked twice
        assert active.failure is None
        assert active.progress.rounds == 1
        kinds = await setup.kinds()
        assert kinds == [AuditKind.GRANTED]
        assert AuditKind.FAILED not in kinds and AuditKind.CLEANED_UP not in kinds
        (shown,) = setup.narrator.failures
        assert shown.state is GrantState.GRANTING
        assert shown.failure is not None and shown.failure.http_status is None

    async def test_a_server_error_aws_did_not_act_on_is_asked_again_next_round(self, setup):
        setup.aws.add(server_error("CreateAccountAssignment"))
        active = await setup.approved_until(GrantState.ACTIVE)

        assert setup.assigned() == [("USER", setup.user_id)]
        assert setup.calls("CreateAccountAssignment") == 2
        assert setup.aws.injected_count("CreateAccountAssignment") == 1
        assert active.progress.rounds == 1
        assert active.failure is None
        (shown,) = setup.narrator.failures
        assert shown.state is GrantState.GRANTING
        assert shown.failure is not None
        assert (shown.failure.code, shown.failure.http_status) == ("InternalFailure", 500)
        (granted,) = await setup.trail()
        assert granted.kind is AuditKind.GRANTED
        assert granted.request_ids == (active.progress.creation_request_id,)

    async def test_a_failed_status_fails_the_grant_and_cleans_up_what_aws_made(self, setup):
        def scp_denied(document: dict[str, Any]) -> dict[str, Any]:
            status = dict(document["AccountAssignmentCreationStatus"])
            status.update(Status="FAILED", FailureReason=SCP_REASON)
            return {**document, "AccountAssignmentCreationStatus": status}

        setup.aws.add(rewrite_json("CreateAccountAssignment", scp_denied))
        failed = await setup.approved_until(GrantState.FAILED)

        assert failed.failure is not None
        assert (failed.failure.code, failed.failure.reason) == ("SCP_DENIED", "SCP_DENIED")
        assert failed.failure.message == SCP_REASON
        assert failed.end_reason is EndReason.GRANT_FAILED
        assert failed.due_at is None
        assert setup.assigned() == []
        assert setup.calls("CreateAccountAssignment") == 1
        assert setup.calls("DeleteAccountAssignment") == 1
        trail = await setup.trail()
        assert [e.kind for e in trail] == [AuditKind.FAILED, AuditKind.CLEANED_UP]
        assert "SCP_DENIED" in trail[0].detail
        assert trail[0].request_ids == (failed.progress.creation_request_id,)
        assert [g.failure.code for g in setup.narrator.failures] == ["SCP_DENIED"]

    async def test_a_bug_met_while_granting_is_tried_again_not_blamed_on_identity_center(
        self, setup
    ):
        """An answer Outpost's own model cannot hold (an id that is not text) makes pydantic
        raise a ValueError while the grant looks up Identity Center: that is a bug in Outpost,
        not Identity Center missing, so the grant is not failed as one but tried again."""

        setup.aws.add(rewrite_json("ListInstances", store_id_not_text))
        active = await setup.approved_until(GrantState.ACTIVE)

        assert active.failure is None
        assert setup.aws.injected_count("ListInstances") == 1
        assert setup.assigned() == [("USER", setup.user_id)]
        assert await setup.kinds() == [AuditKind.GRANTED]
        assert setup.narrator.failures == []

    async def test_a_bug_that_does_not_go_away_fails_the_grant_with_an_error_id(
        self, setup, caplog
    ):
        """Tried a few times, a bug ends the grant as it ends an account creation: failed, with
        an error id that the requester is shown and the logs have, not tried forever unseen."""
        setup.aws.add(rewrite_json("ListInstances", store_id_not_text, times=None))
        failed = await setup.approved_until(GrantState.FAILED)

        assert setup.aws.injected_count("ListInstances") == UNEXPECTED_ERRORS_TOLERATED
        assert failed.failure is not None
        assert (failed.failure.service, failed.failure.code) == ("outpost", "InternalError")
        error_id = failed.failure.message.rsplit("error id ", 1)[1].rstrip(".")
        assert error_id in caplog.text
        assert setup.assigned() == []
        (shown,) = setup.narrator.failures
        assert shown.failure == failed.failure
        (audited,) = await setup.trail()
        assert audited.kind is AuditKind.FAILED
        assert error_id in audited.detail


def store_id_not_text(document: dict[str, Any]) -> dict[str, Any]:
    """An answer Outpost's model cannot hold: pydantic raises while reading it."""
    first = {**document["Instances"][0], "IdentityStoreId": 42}
    return {**document, "Instances": [first]}


class TestRevoking:
    @ON_A_FAKE_CLOCK
    async def test_a_refused_revoke_is_shown_once_and_tried_until_it_works(self, setup, clock):
        grant = await setup.approved()
        async with setup.running() as worker:
            await reaches(setup.store, grant.id, GrantState.ACTIVE, tick=clock)
            setup.aws.add(
                aws_error(
                    "DeleteAccountAssignment",
                    "AccessDeniedException",
                    "User is not authorized to perform: sso:DeleteAccountAssignment",
                    times=None,
                )
            )
            await change(setup.store, grant.id, revoked_by_ops)
            worker.wake()
            await until(
                lambda: setup.calls("DeleteAccountAssignment") >= 3,
                what="the revoke to be refused three times",
                tick=clock,
            )
            refusing = await setup.store.get_grant(grant.id)
            assert refusing.state is GrantState.REVOKING
            assert refusing.failure is not None
            assert refusing.failure.code == "AccessDeniedException"
            assert setup.assigned() == [("USER", setup.user_id)]

            setup.aws.clear()
            ended = await reaches(setup.store, grant.id, GrantState.ENDED, tick=clock)

        assert ended.end_reason is EndReason.REVOKED
        assert ended.failure is None
        assert setup.assigned() == []
        assert [g.failure.code for g in setup.narrator.failures] == ["AccessDeniedException"]
        trail = await setup.trail()
        assert [e.kind for e in trail] == [AuditKind.GRANTED, AuditKind.FAILED, AuditKind.REVOKED]
        assert "AccessDeniedException" in trail[1].detail
        assert trail[2].actor == "UOPS"

    async def test_an_assignment_already_gone_is_not_deleted_again(self, setup):
        grant = await setup.approved()
        async with setup.running() as worker:
            await reaches(setup.store, grant.id, GrantState.ACTIVE)
            center = setup.center
            center.admin.delete_account_assignment(
                InstanceArn=center.arn,
                TargetId=center.account,
                TargetType="AWS_ACCOUNT",
                PermissionSetArn=setup.permission_set_arn,
                PrincipalType="USER",
                PrincipalId=setup.user_id,
            )
            await change(setup.store, grant.id, revoked_by_ops)
            worker.wake()
            await reaches(setup.store, grant.id, GrantState.ENDED)

        assert setup.calls("DeleteAccountAssignment") == 0
        assert setup.assigned() == []
        trail = await setup.trail()
        assert [e.kind for e in trail] == [AuditKind.GRANTED, AuditKind.REVOKED]
        assert trail[-1].detail == "the assignment was already gone"

    async def test_a_lost_answer_to_the_deletion_is_not_audited_as_already_gone(self, setup):
        grant = await setup.approved()
        async with setup.running() as worker:
            await reaches(setup.store, grant.id, GrantState.ACTIVE)
            setup.aws.add(lose_response("DeleteAccountAssignment"))
            await change(setup.store, grant.id, past_expiry)
            worker.wake()
            await reaches(setup.store, grant.id, GrantState.ENDED)

        assert setup.assigned() == []
        assert setup.calls("DeleteAccountAssignment") == 1
        closing = (await setup.trail())[-1]
        assert closing.kind is AuditKind.EXPIRED
        assert closing.detail != "the assignment was already gone"


async def two_rounds_or_the_end(
    setup: Setup, grant_id: str, operation: str = "ListAccountAssignments"
) -> Grant:
    """The grant once two rounds of four attempts met unreadable answers to `operation`, or
    once it ended without them."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5.0
    while True:
        current = await setup.store.get_grant(grant_id)
        assert current is not None
        unreadable = setup.aws.injected_count(operation)
        if unreadable >= 2 * FAST_RETRIES.attempts or current.state is GrantState.ENDED:
            return current
        assert loop.time() < deadline, f"{grant_id} is {current.state.value} after 5s"
        if isinstance(setup.clock, FakeClock):
            setup.clock.advance(SETTINGS.poll_interval)
        await asyncio.sleep(0.01)


class TestUnreadableAnswers:
    """An answer that is not AWS's (a proxy's page, an empty body, `{}`) is never read as
    "nothing there": not as access already gone, not as a creation that said nothing."""

    @pytest.mark.parametrize(
        ("kind", "end", "reason"),
        [
            ("html", revoked_by_ops, EndReason.REVOKED),
            ("empty", past_expiry, EndReason.EXPIRED),
            ("{}", revoked_by_ops, EndReason.REVOKED),
        ],
    )
    @ON_A_FAKE_CLOCK
    async def test_access_is_not_taken_for_gone_while_the_assignments_are_unreadable(
        self, setup, kind, end, reason, clock
    ):
        grant = await setup.approved()
        async with setup.running() as worker:
            await reaches(setup.store, grant.id, GrantState.ACTIVE, tick=clock)
            setup.aws.add(garbage_answer("ListAccountAssignments", kind, times=None))
            await change(setup.store, grant.id, end)
            worker.wake()
            waiting = await two_rounds_or_the_end(setup, grant.id)
            assert waiting.state is GrantState.REVOKING
            assert waiting.failure is not None
            assert waiting.failure.code == "UnreadableAnswer"
            assert setup.assigned() == [("USER", setup.user_id)]
            assert await setup.kinds() == [AuditKind.GRANTED]

            setup.aws.clear()
            ended = await reaches(setup.store, grant.id, GrantState.ENDED, tick=clock)

        assert ended.end_reason is reason
        assert setup.assigned() == []
        assert setup.calls("DeleteAccountAssignment") == 1
        closing = (await setup.trail())[-1]
        assert closing.detail != "the assignment was already gone"
        assert [g.failure.code for g in setup.narrator.failures] == ["UnreadableAnswer"]
        retried = {(r.operation, r.code) for _, r in setup.narrator.retries}
        assert retried == {("ListAccountAssignments", "UnreadableAnswer")}

    @pytest.mark.parametrize("operation", ["ListInstances", "ListPermissionSets"])
    async def test_an_unreadable_lookup_is_retried_not_taken_for_nothing_there(
        self, setup, operation
    ):
        setup.aws.add(garbage_answer(operation, "html"))
        active = await setup.approved_until(GrantState.ACTIVE)

        assert active.failure is None
        assert setup.assigned() == [("USER", setup.user_id)]
        assert [(r.operation, r.code) for _, r in setup.narrator.retries] == [
            (operation, "UnreadableAnswer")
        ]

    async def test_an_empty_answer_to_the_creation_is_shown_and_looked_into(self, setup):
        setup.aws.add(garbage_answer("CreateAccountAssignment", "{}", reach_aws=True))
        active = await setup.approved_until(GrantState.ACTIVE)

        assert setup.assigned() == [("USER", setup.user_id)]
        assert setup.calls("CreateAccountAssignment") == 1  # AWS did it: not asked twice
        assert active.failure is None
        (shown,) = setup.narrator.failures
        assert shown.state is GrantState.GRANTING
        assert shown.failure is not None
        assert (shown.failure.code, shown.failure.http_status) == ("UnreadableAnswer", 200)
        assert await setup.kinds() == [AuditKind.GRANTED]

    @ON_A_FAKE_CLOCK
    async def test_creation_answers_that_stay_empty_end_in_a_failure_that_says_so(
        self, setup, clock
    ):
        setup.aws.add(garbage_answer("CreateAccountAssignment", "{}", times=None))
        failed = await setup.approved_until(GrantState.FAILED, tick=clock)

        assert failed.failure is not None
        assert failed.failure.code == "UnreadableAnswer"
        assert failed.failure.operation == "CreateAccountAssignment"
        assert "AccountAssignmentCreationStatus" in failed.failure.message
        assert setup.calls("CreateAccountAssignment") == ROUNDS + 1
        assert setup.assigned() == []
        assert {g.failure.code for g in setup.narrator.failures} == {"UnreadableAnswer"}
        assert AuditKind.FAILED in await setup.kinds()


class TestTheSchedule:
    async def test_granted_with_a_schedule_that_an_early_revoke_deletes(
        self, setup, moto_schedules
    ):
        grant = await setup.approved()
        name = schedule_name(grant.id)
        async with setup.running(scheduler=True) as worker:
            active = await reaches(setup.store, grant.id, GrantState.ACTIVE)
            assert active.progress.schedule_name == name
            assert active.progress.schedule_at == active.expires_at
            schedule = moto_schedules.get_schedule(Name=name)
            assert schedule["Target"]["RoleArn"] == ROLE_ARN
            assert setup.user_id in schedule["Target"]["Input"]
            assert await setup.kinds() == [AuditKind.GRANTED, AuditKind.SCHEDULED]

            await change(setup.store, grant.id, revoked_by_ops)
            worker.wake()
            ended = await reaches(setup.store, grant.id, GrantState.ENDED)

        assert ended.progress.schedule_gone
        with pytest.raises(ClientError) as missing:
            moto_schedules.get_schedule(Name=name)
        assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
        assert setup.assigned() == []
        assert setup.calls("DeleteAccountAssignment") == 1
        assert await setup.kinds() == [
            AuditKind.GRANTED,
            AuditKind.SCHEDULED,
            AuditKind.REVOKED,
        ]
        assert setup.narrator.failures == []

    @pytest.mark.parametrize("kind", ["html", "empty", "{}"])
    @ON_A_FAKE_CLOCK
    async def test_the_schedule_is_not_taken_for_deleted_while_its_answers_are_unreadable(
        self, setup, moto_schedules, kind, clock
    ):
        """DeleteSchedule answers nothing, so only AWS's request id tells its answer from a
        proxy's page. A schedule taken for deleted but left behind would remove the same
        access from a later grant."""
        grant = await setup.approved()
        name = schedule_name(grant.id)
        async with setup.running(scheduler=True) as worker:
            await reaches(setup.store, grant.id, GrantState.ACTIVE, tick=clock)
            setup.aws.add(garbage_answer("DeleteSchedule", kind, times=None))
            await change(setup.store, grant.id, revoked_by_ops)
            worker.wake()
            waiting = await two_rounds_or_the_end(setup, grant.id, "DeleteSchedule")
            assert waiting.state is GrantState.REVOKING
            assert not waiting.progress.schedule_gone
            assert waiting.failure is not None
            assert (waiting.failure.operation, waiting.failure.code) == (
                "DeleteSchedule",
                "UnreadableAnswer",
            )
            assert moto_schedules.get_schedule(Name=name)["Name"] == name
            assert setup.assigned() == [("USER", setup.user_id)]

            setup.aws.clear()
            ended = await reaches(setup.store, grant.id, GrantState.ENDED, tick=clock)

        assert ended.progress.schedule_gone
        with pytest.raises(ClientError) as missing:
            moto_schedules.get_schedule(Name=name)
        assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
        assert setup.assigned() == []
        assert [g.failure.code for g in setup.narrator.failures] == ["UnreadableAnswer"]
        retried = {(r.operation, r.code) for _, r in setup.narrator.retries}
        assert retried == {("DeleteSchedule", "UnreadableAnswer")}

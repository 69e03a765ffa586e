"""The engine creating accounts in-process: real store file, real gateway, moto behind the proxy.

The narrator is a recording fake: what the engine tells is what would appear in Slack.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest

from bot.aws.organizations import OrganizationsGateway
from bot.clock import Clock, FakeClock
from bot.domain.events import (
    AccountCreated,
    AccountMoved,
    CreationFound,
    CreationInDoubt,
    CreationRequested,
    Event,
    Resumed,
    Retrying,
    StepFailed,
    Succeeded,
)
from bot.domain.operations import Operation, OperationState, Step
from bot.domain.outbox import Delivery, OutboxMessage
from bot.emulator.aws_faults import (
    FaultRule,
    account_limit_reached,
    aws_error,
    create_account_status,
    drop_connection,
    garbage_answer,
    hold_response,
    lose_response,
    rewrite_json,
    throttle,
)
from bot.engine.account_creation import (
    PURPOSE_TAG,
    REQUESTER_TAG,
    TEAM_TAG,
    AccountCreation,
    NewAccounts,
    PollSchedule,
)
from bot.engine.runner import Runner
from bot.store import open_store
from bot.store.base import Store
from tests.integration.conftest import ON_A_FAKE_CLOCK, wait_for
from tests.support.organization import Organization
from tests.support.stores import InspectableStore
from tests.unit.factories import account_request, operation

E = TypeVar("E")

POLLS = PollSchedule(first=timedelta(milliseconds=20), maximum=timedelta(milliseconds=50))
ENGINE_POLL = timedelta(milliseconds=20)
LEASE = timedelta(seconds=3)


class RecordingNarrator:
    """Keeps every event told and every card change, in order. What is queued with a save
    counts once the save committed (see CommittedMessages)."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.cards: list[Operation] = []
        self._made: dict[str, Event | Operation] = {}
        self._count = 0

    async def card_changed(self, operation: Operation) -> None:
        self.cards.append(operation)

    async def tell(self, operation: Operation, event: Event) -> None:
        self.events.append(event)

    def lines(self, operation: Operation, *events: Event) -> list[OutboxMessage]:
        return [self._message(operation, Delivery.THREAD, event) for event in events]

    def card(self, operation: Operation) -> OutboxMessage:
        return self._message(operation, Delivery.CARD, operation)

    def committed(self, messages: Sequence[OutboxMessage]) -> None:
        for message in messages:
            made = self._made.pop(message.text)
            if isinstance(made, Operation):
                self.cards.append(made)
            else:
                self.events.append(made)

    def _message(
        self, operation: Operation, delivery: Delivery, made: Event | Operation
    ) -> OutboxMessage:
        self._count += 1
        key = f"{delivery.value}-{self._count}"
        self._made[key] = made
        return OutboxMessage(stream=operation.id, delivery=delivery, text=key)

    def of(self, kind: type[E]) -> list[E]:
        return [event for event in self.events if isinstance(event, kind)]

    def kinds(self) -> list[str]:
        return [type(event).__name__ for event in self.events if not isinstance(event, Retrying)]


class CommittedMessages:
    """The store, telling the narrator which messages each write of an operation committed:
    those built for a save that was refused are never told."""

    def __init__(self, inner: Store, narrator: RecordingNarrator) -> None:
        self._inner = inner
        self._narrator = narrator

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def insert_operation(
        self, operation: Operation, messages: Sequence[OutboxMessage] = (), **options: Any
    ) -> Operation:
        stored = await self._inner.insert_operation(operation, messages, **options)
        self._narrator.committed(messages)
        return stored

    async def save_operation(
        self, operation: Operation, messages: Sequence[OutboxMessage] = ()
    ) -> Operation:
        saved = await self._inner.save_operation(operation, messages)
        self._narrator.committed(messages)
        return saved


class Process:
    """One Outpost process: its own store connection, narrator and runner."""

    def __init__(
        self,
        store: InspectableStore,
        gateway: OrganizationsGateway,
        clock: Clock,
        *,
        poll_interval: timedelta = ENGINE_POLL,
        lease: timedelta = LEASE,
    ) -> None:
        self.store = store
        self.clock = clock
        self.narrator = RecordingNarrator()
        recorded = CommittedMessages(store, self.narrator)
        workflow = AccountCreation(gateway, recorded, self.narrator, POLLS, clock)
        self.runner = Runner(workflow, poll_interval=poll_interval, lease=lease, clock=clock)
        self.engine = NewAccounts(recorded, self.narrator, self.runner)

    async def start(self) -> Process:
        await self.runner.start()
        return self

    async def stop(self) -> None:
        await self.runner.stop()

    def retries(self) -> list[tuple[str, str]]:
        """The call and error code of each retry the thread was told of."""
        return [(r.operation, r.code) for r in self.narrator.of(Retrying)]

    async def finished(self, operation_id: str, *, timeout: float = 10.0) -> Operation:
        """The operation once it has finished. On a FakeClock, time moves on by a poll at each
        look, so that the waits between AWS status checks pass."""

        async def done() -> Operation:
            while True:
                current = await self.store.get_operation(operation_id)
                if current is not None and current.state.finished:
                    return current
                if isinstance(self.clock, FakeClock):
                    self.clock.advance(ENGINE_POLL)
                await asyncio.sleep(0.01)

        return await asyncio.wait_for(done(), timeout)

    async def create(self, org: Organization) -> Operation:
        """The default request for `org`, submitted and run to its end."""
        submitted = await self.engine.submit(request_for(org))
        return await self.finished(submitted.id)


def request_for(
    org: Organization,
    name: str = "payments-staging",
    *,
    at: datetime | None = None,
    **changes: Any,
) -> Operation:
    request = account_request(
        name=name,
        email=f"aws+{name}@example.com",
        ou_id=org.ous["Prod"],
        ou_name="Prod",
        **changes,
    )
    return operation(at=at or datetime.now(UTC), request=request)


def accounts_named(org: Organization, name: str) -> list[dict[str, Any]]:
    return [account for account in org.accounts() if account["Name"] == name]


def no_creation_statuses() -> FaultRule:
    """ListCreateAccountStatus answering, every time, that AWS knows of no creation."""
    return rewrite_json(
        "ListCreateAccountStatus",
        lambda page: {**page, "CreateAccountStatuses": []},
        times=None,
    )


def placed_account(org: Organization) -> dict[str, Any]:
    """The one payments-staging account in the organization, which must be in Prod."""
    (account,) = accounts_named(org, "payments-staging")
    assert org.parent_of(account["Id"]) == org.ous["Prod"]
    return account


def already_in_destination() -> FaultRule:
    """MoveAccount refused once, as AWS refuses a move to the OU the account is in."""
    return aws_error(
        "MoveAccount",
        "DuplicateAccountException",
        "That account is already present in the specified destination.",
    )


@pytest.fixture
async def process(store, gateway, clock) -> AsyncIterator[Process]:
    running = await Process(store, gateway, clock).start()
    yield running
    await running.stop()


class TestCreatingAnAccount:
    async def test_succeeds_with_the_account_in_the_chosen_ou(self, process, org, store):
        done = await process.create(org)

        assert done.state is OperationState.SUCCEEDED
        assert done.failure is None
        assert done.finished_at is not None
        (account,) = accounts_named(org, "payments-staging")
        assert done.progress.account_id == account["Id"]
        assert account["Email"] == "aws+payments-staging@example.com"
        assert org.parent_of(account["Id"]) == org.ous["Prod"]
        assert org.tags_of(account["Id"]) == {
            TEAM_TAG: "payments",
            REQUESTER_TAG: "UENGINEER",
            PURPOSE_TAG: "staging for the payments API",
        }
        assert done.progress.moved
        assert done.progress.create_sends == 1

        narrator = process.narrator
        assert narrator.kinds() == [
            "CreationRequested",
            "AccountCreated",
            "AccountMoved",
            "Succeeded",
        ]
        assert narrator.of(CreationRequested)[0].request_id == done.progress.create_request_id
        assert narrator.of(AccountMoved)[0] == AccountMoved(org.ous["Prod"], "Prod", False)
        assert narrator.of(Succeeded) == [Succeeded(account["Id"])]
        assert narrator.cards[0].state is OperationState.RUNNING  # posted when submitted
        assert narrator.cards[-1].state is OperationState.SUCCEEDED

    async def test_every_aws_call_is_recorded_with_its_request_id(self, process, org, store):
        done = await process.create(org)
        calls = await store.calls_for(done.id)
        assert [c.operation for c in calls] == ["CreateAccount", "ListParents", "MoveAccount"]
        assert all(c.outcome == "ok" and c.request_id and c.attempt == 1 for c in calls)

    async def test_polls_while_aws_is_still_creating(self, process, org, aws):
        aws.add(create_account_status("IN_PROGRESS", times=3))
        done = await process.create(org)

        assert done.state is OperationState.SUCCEEDED
        assert done.progress.polls == 3
        assert len(aws.calls_to("DescribeCreateAccountStatus")) == 4
        assert process.narrator.of(AccountCreated) == [AccountCreated(done.progress.account_id, 3)]
        waiting = [c for c in process.narrator.cards if c.step is Step.WAIT_FOR_ACCOUNT]
        assert [c.progress.polls for c in waiting] == [0, 1, 2, 3]
        assert len(accounts_named(org, "payments-staging")) == 1

    async def test_an_account_already_in_its_ou_is_not_an_error(self, process, org, aws):
        aws.add(already_in_destination())
        done = await process.create(org)
        assert done.state is OperationState.SUCCEEDED
        assert process.narrator.of(AccountMoved)[0].already_there is True

    async def test_throttling_is_retried_and_told_in_the_thread(self, process, org, aws):
        aws.add(throttle("ListParents", times=2))
        done = await process.create(org)
        assert done.state is OperationState.SUCCEEDED
        retries = process.narrator.of(Retrying)
        assert [(r.operation, r.code, r.attempt) for r in retries] == [
            ("ListParents", "TooManyRequestsException", 1),
            ("ListParents", "TooManyRequestsException", 2),
        ]


class TestFailures:
    async def test_aws_reports_the_creation_failed(self, process, org, aws):
        aws.add(create_account_status("FAILED", failure_reason="EMAIL_ALREADY_EXISTS"))
        done = await process.create(org)

        assert done.state is OperationState.FAILED
        assert done.step is Step.WAIT_FOR_ACCOUNT
        assert done.failure is not None
        assert done.failure.code == "EMAIL_ALREADY_EXISTS"
        assert done.failure.request_id == done.progress.create_request_id
        (failed,) = process.narrator.of(StepFailed)
        assert failed == StepFailed(Step.WAIT_FOR_ACCOUNT, done.failure)
        assert process.narrator.of(Succeeded) == []
        assert process.narrator.cards[-1].state is OperationState.FAILED
        assert aws.calls_to("MoveAccount") == []

    async def test_a_quota_error_fails_the_first_step_with_what_aws_said(self, process, org, aws):
        aws.add(account_limit_reached())
        done = await process.create(org)

        assert done.state is OperationState.FAILED
        assert done.step is Step.CREATE_ACCOUNT
        assert done.failure is not None
        assert done.failure.reason == "ACCOUNT_NUMBER_LIMIT_EXCEEDED"
        assert done.failure.http_status == 400
        assert done.failure.request_id
        assert len(aws.calls_to("CreateAccount")) == 1
        assert process.narrator.of(StepFailed)[0].step is Step.CREATE_ACCOUNT
        assert process.narrator.of(CreationInDoubt) == []

    async def test_a_failed_operation_is_not_run_again(self, process, org, aws):
        aws.add(create_account_status("FAILED", failure_reason="EMAIL_ALREADY_EXISTS"))
        await process.create(org)
        calls = len(aws.calls)
        await asyncio.sleep(ENGINE_POLL.total_seconds() * 5)
        assert len(aws.calls) == calls


class TestCreateAccountInDoubt:
    async def test_a_lost_response_is_found_not_sent_again(self, process, org, aws):
        aws.add(lose_response("CreateAccount"))
        done = await process.create(org)

        assert done.state is OperationState.SUCCEEDED
        kinds = process.narrator.kinds()
        assert kinds.index("CreationInDoubt") < kinds.index("CreationFound")
        assert "CreationRequested" not in kinds
        (found,) = process.narrator.of(CreationFound)
        (account,) = accounts_named(org, "payments-staging")
        assert found.request_id == done.progress.create_request_id
        assert done.progress.account_id == account["Id"]
        assert len(aws.calls_to("CreateAccount")) == 1
        assert done.progress.create_sends == 1
        assert org.parent_of(account["Id"]) == org.ous["Prod"]

    async def test_a_request_that_never_reached_aws_is_sent_again(self, process, org, aws):
        aws.add(drop_connection("CreateAccount"))
        done = await process.create(org)

        assert done.state is OperationState.SUCCEEDED
        assert len(process.narrator.of(CreationInDoubt)) == 1
        assert process.narrator.of(CreationFound) == []
        assert done.progress.create_sends == 2
        assert len(aws.calls_to("CreateAccount")) == 2
        assert len(accounts_named(org, "payments-staging")) == 1

    async def test_an_earlier_creation_aws_no_longer_lists_is_found_by_email(
        self, process, org, aws
    ):
        aws.add(lose_response("CreateAccount"))
        aws.add(no_creation_statuses())
        done = await process.create(org)

        assert done.state is OperationState.SUCCEEDED
        (account,) = accounts_named(org, "payments-staging")
        assert process.narrator.of(CreationFound) == [CreationFound(None, account["Id"])]
        assert done.progress.account_id == account["Id"]
        assert len(aws.calls_to("CreateAccount")) == 1
        assert aws.calls_to("DescribeCreateAccountStatus") == []

    async def test_an_unrelated_account_with_the_same_name_is_not_adopted(self, process, org, aws):
        existing = accounts_named(org, "billing-prod")[0]
        aws.add(drop_connection("CreateAccount"))
        op = request_for(org, "billing-prod")
        op = op.model_copy(
            update={"request": op.request.model_copy(update={"email": "aws+new-bp@example.com"})}
        )
        submitted = await process.engine.submit(op)
        done = await process.finished(submitted.id)

        assert org.parent_of(existing["Id"]) == org.root_id  # someone else's account left alone
        assert done.progress.account_id != existing["Id"]


class TestUnreadableAnswersAfterALostCreate:
    """After a CreateAccount whose answer was lost, an answer that is not AWS's (a proxy's
    page, an empty body, `{}`) is never read as "no such creation": only AWS saying so is."""

    @pytest.mark.parametrize("kind", ["html", "empty", "{}"])
    async def test_unreadable_creation_statuses_are_retried_not_read_as_none(
        self, process, org, aws, kind
    ):
        aws.add(lose_response("CreateAccount"))
        aws.add(garbage_answer("ListCreateAccountStatus", kind, times=2, also=["ListAccounts"]))
        done = await process.create(org)

        assert len(accounts_named(org, "payments-staging")) == 1
        assert len(aws.calls_to("CreateAccount")) == 1
        assert done.state is OperationState.SUCCEEDED
        assert done.progress.create_sends == 1
        assert len(process.narrator.of(CreationFound)) == 1
        assert process.retries() == [("ListCreateAccountStatus", "UnreadableAnswer")] * 2

    @pytest.mark.parametrize("kind", ["html", "empty", "{}"])
    async def test_an_unreadable_account_list_is_retried_not_read_as_none(
        self, process, org, aws, kind
    ):
        aws.add(lose_response("CreateAccount"))
        aws.add(no_creation_statuses())
        aws.add(garbage_answer("ListAccounts", kind, times=2))
        done = await process.create(org)

        (account,) = accounts_named(org, "payments-staging")
        assert len(aws.calls_to("CreateAccount")) == 1
        assert done.state is OperationState.SUCCEEDED
        assert process.narrator.of(CreationFound) == [CreationFound(None, account["Id"])]
        assert process.retries() == [("ListAccounts", "UnreadableAnswer")] * 2

    async def test_answers_that_stay_unreadable_fail_the_step_and_send_nothing_twice(
        self, process, org, aws
    ):
        aws.add(lose_response("CreateAccount"))
        aws.add(
            garbage_answer("ListCreateAccountStatus", "html", times=None, also=["ListAccounts"])
        )
        done = await process.create(org)

        assert len(accounts_named(org, "payments-staging")) == 1
        assert len(aws.calls_to("CreateAccount")) == 1
        assert done.state is OperationState.FAILED
        assert done.failure is not None
        assert done.failure.code == "UnreadableAnswer"
        assert done.failure.operation == "ListCreateAccountStatus"
        assert done.failure.http_status == 200
        (failed,) = process.narrator.of(StepFailed)
        assert failed.failure == done.failure


class TestAnUnreadableMove:
    """MoveAccount answers nothing, so only AWS's request id tells its answer from a proxy's
    page: an answer without one is not a move made, and the account is not reported placed."""

    @pytest.mark.parametrize("kind", ["html", "empty", "{}"])
    async def test_is_retried_and_told_until_aws_answers(self, process, org, aws, kind):
        aws.add(garbage_answer("MoveAccount", kind, times=2))
        done = await process.create(org)

        assert done.state is OperationState.SUCCEEDED
        placed_account(org)
        assert len(aws.calls_to("MoveAccount")) == 3
        assert process.retries() == [("MoveAccount", "UnreadableAnswer")] * 2

    async def test_one_that_reached_aws_is_retried_and_found_done(self, process, org, aws):
        aws.add(garbage_answer("MoveAccount", "{}", reach_aws=True))
        # As AWS answers a move to where the account already is (moto moves it again).
        aws.add(already_in_destination())
        done = await process.create(org)

        assert done.state is OperationState.SUCCEEDED
        placed_account(org)
        assert len(aws.calls_to("MoveAccount")) == 2
        assert process.retries() == [("MoveAccount", "UnreadableAnswer")]

    async def test_answers_that_stay_unreadable_fail_the_step(self, process, org, aws):
        aws.add(garbage_answer("MoveAccount", "html", times=None))
        done = await process.create(org)

        assert done.state is OperationState.FAILED
        assert not done.progress.moved
        assert done.failure is not None
        assert (done.failure.operation, done.failure.code) == ("MoveAccount", "UnreadableAnswer")
        (account,) = accounts_named(org, "payments-staging")
        assert org.parent_of(account["Id"]) == org.root_id
        assert process.narrator.of(AccountMoved) == []
        assert process.narrator.of(Succeeded) == []
        (failed,) = process.narrator.of(StepFailed)
        assert failed.failure == done.failure


@ON_A_FAKE_CLOCK
class TestResumingAfterACrash:
    async def test_a_new_process_finds_the_create_sent_before_the_crash(
        self, store, db_path, gateway, org, aws, clock
    ):
        aws.add(hold_response("CreateAccount", 0.3))
        first = await Process(store, gateway, clock).start()
        submitted = await first.engine.submit(request_for(org, at=clock.now()))
        # moto has created the account; its answer is held back, then the process dies.
        await wait_for(lambda: aws.calls_to("CreateAccount"), what="CreateAccount to reach AWS")
        await first.stop()
        interrupted = await store.get_operation(submitted.id)
        assert interrupted.state is OperationState.RUNNING
        assert interrupted.progress.create_sent_at is not None
        assert interrupted.progress.create_request_id is None  # the answer never arrived

        second_store = await open_store(f"sqlite:///{db_path}", clock=clock)
        second = await Process(second_store, gateway, clock).start()
        try:
            # The first process kept its lease for a full term, in case its call was still on
            # its way: nobody takes over before that term is over.
            await clock.until_waiting()
            clock.advance(LEASE - timedelta(milliseconds=1))
            await asyncio.sleep(0.05)
            assert second.narrator.events == []
            assert len(aws.calls_to("CreateAccount")) == 1
            clock.advance(timedelta(milliseconds=2))
            done = await second.finished(submitted.id)
        finally:
            await second.stop()
            await second_store.close()

        assert done.state is OperationState.SUCCEEDED
        kinds = second.narrator.kinds()
        assert kinds[0] == "Resumed"
        assert second.narrator.of(Resumed) == [Resumed(Step.CREATE_ACCOUNT)]
        assert "CreationFound" in kinds
        assert "CreationRequested" not in kinds
        account = placed_account(org)
        assert done.progress.account_id == account["Id"]
        assert len(aws.calls_to("CreateAccount")) == 1
        assert first.narrator.of(Succeeded) == []

    async def test_an_operation_waiting_for_aws_is_resumed_where_it_was(
        self, store, db_path, gateway, org, aws, clock
    ):
        aws.add(create_account_status("IN_PROGRESS", times=2))
        first = await Process(store, gateway, clock).start()
        submitted = await first.engine.submit(request_for(org, at=clock.now()))

        async def waiting() -> None:
            while True:
                current = await store.get_operation(submitted.id)
                if current is not None and current.step is Step.WAIT_FOR_ACCOUNT:
                    return
                await asyncio.sleep(0.005)

        await asyncio.wait_for(waiting(), 5)
        await first.stop()

        second = await Process(store, gateway, clock).start()
        try:
            done = await second.finished(submitted.id)
        finally:
            await second.stop()
        assert done.state is OperationState.SUCCEEDED
        # Said only if the stop cut a status check short; never about another step.
        assert second.narrator.of(Resumed) in ([], [Resumed(Step.WAIT_FOR_ACCOUNT)])
        assert second.narrator.of(CreationFound) == []  # no CreateAccount was in doubt
        assert len(aws.calls_to("CreateAccount")) == 1
        assert len(accounts_named(org, "payments-staging")) == 1

    async def test_a_lease_left_by_a_killed_process_is_waited_out(
        self, store, gateway, org, aws, clock
    ):
        # What a killed process leaves behind: CreateAccount reached AWS, its lease is still held.
        org.client.create_account(
            AccountName="payments-staging", Email="aws+payments-staging@example.com"
        )
        sent_at = clock.now()
        stored = await store.insert_operation(
            request_for(org, at=sent_at).record(sent_at, create_sent_at=sent_at, create_sends=1)
        )
        lease_until = clock.now() + timedelta(seconds=30)
        assert await store.acquire_lease(stored.id, "runner-killed", lease_until)

        survivor = await Process(store, gateway, clock).start()
        try:
            await clock.until_waiting()
            clock.set(lease_until)
            await asyncio.sleep(0.05)
            assert await store.calls_for(stored.id) == []  # the dead lease is live until then
            clock.advance(timedelta(milliseconds=1))
            done = await survivor.finished(stored.id)
        finally:
            await survivor.stop()

        assert done.state is OperationState.SUCCEEDED
        calls = await store.calls_for(stored.id)
        assert calls[0].at >= lease_until  # nothing was done while the dead lease was live
        assert survivor.narrator.of(Resumed) == [Resumed(Step.CREATE_ACCOUNT)]
        assert len(survivor.narrator.of(CreationFound)) == 1
        assert aws.calls_to("CreateAccount") == []
        assert len(accounts_named(org, "payments-staging")) == 1


class BrokenSaves:
    """The real store, except that saving the start of CreateAccount always raises."""

    def __init__(self, inner: InspectableStore) -> None:
        self._inner = inner
        self.refused = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def save_operation(
        self, operation: Operation, messages: Sequence[OutboxMessage] = ()
    ) -> Operation:
        if operation.state is OperationState.RUNNING and operation.progress.create_sent_at:
            self.refused += 1
            raise RuntimeError("disk I/O error")
        return await self._inner.save_operation(operation, messages)


class TestUnexpectedErrors:
    async def test_a_step_that_keeps_raising_fails_its_operation_and_says_so(
        self, store, gateway, org, aws, clock
    ):
        broken = BrokenSaves(store)
        process = await Process(broken, gateway, clock).start()  # type: ignore[arg-type]
        try:
            done = await process.create(org)
        finally:
            await process.stop()

        assert broken.refused == 3
        assert done.state is OperationState.FAILED
        assert done.failure is not None
        assert done.failure.code == "InternalError"
        assert "RuntimeError" in done.failure.message
        (failed,) = process.narrator.of(StepFailed)
        assert failed.step is Step.CREATE_ACCOUNT
        assert process.narrator.cards[-1].state is OperationState.FAILED
        assert aws.calls_to("CreateAccount") == []  # it never got as far as AWS


class TestTwoLiveProcesses:
    async def test_an_operation_is_created_once_by_two_processes(
        self, store, db_path, gateway, org, aws, clock
    ):
        other_store = await open_store(f"sqlite:///{db_path}", clock=clock)
        one = await Process(store, gateway, clock).start()
        two = await Process(other_store, gateway, clock).start()
        try:
            aws.add(create_account_status("IN_PROGRESS", times=4))
            submitted = await one.engine.submit(request_for(org))
            done = await one.finished(submitted.id)
        finally:
            await one.stop()
            await two.stop()
            await other_store.close()
        assert done.state is OperationState.SUCCEEDED
        assert len(aws.calls_to("CreateAccount")) == 1
        assert len(accounts_named(org, "payments-staging")) == 1
        told = one.narrator.kinds() + two.narrator.kinds()
        assert told.count("Succeeded") == 1

    async def test_no_restart_is_claimed_when_nothing_restarted(
        self, store, db_path, gateway, org, aws, clock
    ):
        aws.add(create_account_status("IN_PROGRESS", times=2))
        # The submitting process only looks again when woken; the other one polls.
        one = await Process(store, gateway, clock, poll_interval=timedelta(hours=1)).start()
        other_store = await open_store(f"sqlite:///{db_path}", clock=clock)
        two = Process(other_store, gateway, clock)
        try:
            submitted = await one.engine.submit(request_for(org))
            await two.start()
            done = await two.finished(submitted.id)
        finally:
            await one.stop()
            await two.stop()
            await other_store.close()
        assert done.state is OperationState.SUCCEEDED
        assert one.narrator.of(Resumed) + two.narrator.of(Resumed) == []


class GatedReads:
    """The real store, except that the runner's first look for due work is slow to answer:
    what it found is held until a gate opens."""

    def __init__(self, inner: InspectableStore) -> None:
        self._inner = inner
        self.reading = asyncio.Event()
        self.gate = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def runnable_operations(self, now: datetime) -> list[str]:
        found = await self._inner.runnable_operations(now)
        if not self.gate.is_set():
            self.reading.set()
            await self.gate.wait()
        return found


@ON_A_FAKE_CLOCK
class TestWaking:
    async def test_work_submitted_during_a_look_for_due_work_starts_at_once(
        self, store, gateway, org, aws, clock
    ) -> None:
        gated = GatedReads(store)
        process = await Process(gated, gateway, clock).start()  # type: ignore[arg-type]
        try:
            await asyncio.wait_for(gated.reading.wait(), 5)
            await process.engine.submit(request_for(org, at=clock.now()))
            gated.gate.set()
            # The clock stands still: nothing but the submit's wake-up can start the work.
            await wait_for(lambda: aws.calls_to("CreateAccount"), what="CreateAccount to be sent")
        finally:
            await process.stop()


@ON_A_FAKE_CLOCK
class TestLosingTheLease:
    async def test_a_process_whose_lease_was_taken_stops_acting(
        self, store, gateway, org, aws, clock
    ) -> None:
        aws.add(hold_response("CreateAccount", 0.5))
        process = await Process(store, gateway, clock).start()
        try:
            submitted = await process.engine.submit(request_for(org, at=clock.now()))
            await wait_for(lambda: aws.calls_to("CreateAccount"), what="CreateAccount to be sent")
            # Another process took the operation over (say, after a long pause of this one).
            owner = process.runner._owner
            await store.release_lease(submitted.id, owner)
            assert await store.acquire_lease(
                submitted.id, "runner-other", clock.now() + timedelta(minutes=5)
            )
            await clock.until_waiting(2)  # the runner's loop, and the heartbeat
            clock.advance(LEASE / 3)  # a heartbeat notices
            await wait_for(
                lambda: submitted.id not in process.runner._driving, what="the step to stop"
            )
        finally:
            await process.stop()
        current = await store.get_operation(submitted.id)
        assert current is not None and current.progress.create_request_id is None


class TestSomeoneElsesCreationInProgress:
    async def test_it_is_waited_for_then_left_alone(self, process, org, aws) -> None:
        other = org.client.create_account(
            AccountName="payments-staging", Email="someone-else@example.com"
        )["CreateAccountStatus"]
        aws.add(drop_connection("CreateAccount"))  # ours never reaches AWS

        def still_in_progress(document: dict[str, Any]) -> dict[str, Any]:
            for status in document.get("CreateAccountStatuses", []):
                status["State"] = "IN_PROGRESS"
                status.pop("AccountId", None)
            return document

        aws.add(rewrite_json("ListCreateAccountStatus", still_in_progress, times=2))
        done = await process.create(org)

        assert done.state is OperationState.SUCCEEDED
        mine = next(
            a
            for a in accounts_named(org, "payments-staging")
            if a["Id"] == done.progress.account_id
        )
        assert mine["Email"] == "aws+payments-staging@example.com"
        assert org.parent_of(other["AccountId"]) == org.root_id  # not moved into our OU
        assert len(aws.calls_to("ListCreateAccountStatus")) >= 3

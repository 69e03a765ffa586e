"""An operation's state and the thread lines telling it are stored in one write, or not at all."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.aws.organizations import OrganizationsGateway
from bot.domain.operations import Operation, OperationState, Step
from bot.domain.outbox import Delivery, OutboxMessage
from bot.engine.account_creation import AccountCreation, NewAccounts, PollSchedule
from bot.engine.runner import Runner
from bot.slack.narrator import OutboxNarrator
from bot.store.base import StaleOperation
from tests.contract.builders import drain
from tests.integration.test_account_creation_engine import request_for
from tests.support.organization import Organization
from tests.support.stores import InspectableStore
from tests.unit.factories import aws_failure, operation

POLLS = PollSchedule(first=timedelta(milliseconds=20), maximum=timedelta(milliseconds=50))


def now() -> datetime:
    return datetime.now(UTC)


def thread(stream: str, text: str) -> OutboxMessage:
    return OutboxMessage(stream=stream, delivery=Delivery.THREAD, text=text)


def card(stream: str) -> OutboxMessage:
    return OutboxMessage(stream=stream, delivery=Delivery.CARD)


async def queued(store: InspectableStore, stream: str) -> list[OutboxMessage]:
    """Every pending message of the stream, in delivery order: delivered as the outbox worker
    would, so none is left queued afterwards."""
    return [message for message in await drain(store) if message.stream == stream]


def texts(messages: list[OutboxMessage]) -> list[str]:
    return [m.text or m.delivery.value for m in messages]


class TestSaveWithMessages:
    async def test_a_save_writes_the_operation_and_queues_its_messages(self, store):
        stored = await store.insert_operation(operation(at=now()))
        failed = stored.fail(now(), aws_failure())
        saved = await store.save_operation(failed, [thread(stored.id, "failed"), card(stored.id)])
        assert saved.version == 2
        assert await store.get_operation(stored.id) == saved
        assert texts(await queued(store, stored.id)) == ["failed", "card"]

    async def test_a_stale_save_writes_neither_the_operation_nor_its_messages(self, store):
        stored = await store.insert_operation(operation(at=now()))
        first = await store.save_operation(stored.advance(now()), [thread(stored.id, "moved on")])
        with pytest.raises(StaleOperation):
            await store.save_operation(
                stored.fail(now(), aws_failure()), [thread(stored.id, "failed"), card(stored.id)]
            )
        assert await store.get_operation(stored.id) == first
        assert await store.pending_count() == 1
        assert texts(await queued(store, stored.id)) == ["moved on"]

    async def test_a_card_refresh_already_waiting_is_not_repeated(self, store):
        stored = await store.insert_operation(operation(at=now()))
        await store.enqueue(thread(stored.id, "head"))
        first = await store.save_operation(stored.advance(now()), [card(stored.id)])
        await store.save_operation(first.wait(now(), timedelta(seconds=1)), [card(stored.id)])
        assert texts(await queued(store, stored.id)) == ["head", "card"]


class TestStepsQueueWhatTheySave:
    async def test_a_finished_creation_has_its_lines_and_card_queued(
        self, store, gateway: OrganizationsGateway, org: Organization, clock
    ):
        narrator = OutboxNarrator(store)
        workflow = AccountCreation(gateway, store, narrator, POLLS, clock)
        runner = Runner(workflow, poll_interval=POLLS.first, lease=timedelta(5), clock=clock)
        await runner.start()
        try:
            submitted = await NewAccounts(store, narrator, runner).submit(request_for(org))

            async def finished() -> Operation:
                while True:
                    current = await store.get_operation(submitted.id)
                    if current is not None and current.state.finished:
                        return current
                    await asyncio.sleep(0.01)

            done = await asyncio.wait_for(finished(), 10)
        finally:
            await runner.stop()
        assert done.state is OperationState.SUCCEEDED
        messages = await queued(store, submitted.id)
        lines = [m.text for m in messages if m.delivery is Delivery.THREAD]
        assert any("Moved the account into" in line for line in lines)
        assert lines[-1].endswith("is ready.")
        # Behind the card posted on submit, a refresh waits: it renders Succeeded when delivered.
        assert messages[0].delivery is Delivery.CARD
        assert Delivery.CARD in [m.delivery for m in messages[1:]]

    async def test_a_step_whose_save_is_stale_queues_no_line(
        self, store, gateway: OrganizationsGateway, org: Organization, clock
    ):
        account_id = org.accounts()[0]["Id"]
        at_move = request_for(org).advance(now()).record(now(), account_id=account_id)
        at_move = at_move.advance(now())
        assert at_move.step is Step.MOVE_ACCOUNT
        stored = await store.insert_operation(at_move)
        current = await store.save_operation(stored.record(now(), polls=1))
        narrator = OutboxNarrator(store)
        workflow = AccountCreation(gateway, store, narrator, POLLS, clock)
        with pytest.raises(StaleOperation):
            await workflow.run_step(stored, store.save_operation)
        assert await store.get_operation(stored.id) == current
        assert await queued(store, stored.id) == []

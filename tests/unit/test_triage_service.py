"""Retry, cancel and resolve as use cases: the operation as saved, or a typed refusal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.domain.events import Event
from bot.domain.operations import Operation, OperationState, TriageKind
from bot.domain.outbox import Delivery, OutboxMessage
from bot.services.operations import NoSuchOperation, Operations
from bot.services.triage import (
    ChangedMeanwhile,
    NothingToCancel,
    Triage,
    TriageRefused,
)
from bot.slack.people import OpsDirectory
from bot.store.base import Store
from bot.ui.triage import refused
from tests.unit.factories import aws_failure, operation


class NoGroup:
    async def usergroups_users_list(self, **_: Any) -> dict[str, Any]:
        return {"users": []}


class Narrator:
    """The thread's messages, as plain outbox entries."""

    def lines(self, op: Operation, *events: Event) -> list[OutboxMessage]:
        return [OutboxMessage(stream=op.id, delivery=Delivery.THREAD, text=str(e)) for e in events]

    def card(self, op: Operation) -> OutboxMessage:
        return OutboxMessage(stream=op.id, delivery=Delivery.CARD)


class Runner:
    def __init__(self) -> None:
        self.woken = 0

    def wake(self) -> None:
        self.woken += 1


def triage(store: Store, clock: FakeClock) -> Triage:
    ops = OpsDirectory(NoGroup(), usergroup=None, users=["UOPS"])  # type: ignore[arg-type]
    return Triage(store, Narrator(), Runner(), ops, clock)  # type: ignore[arg-type]


async def failed(store: Store, clock: FakeClock) -> Operation:
    stored = await store.insert_operation(operation(at=clock.now()))
    return await store.save_operation(stored.fail(clock.now(), aws_failure()))


class TestTriage:
    async def test_an_unknown_operation_is_not_found(self, store: Store, clock: FakeClock) -> None:
        with pytest.raises(NoSuchOperation):
            await Operations(store).operation("op-000000")

    async def test_a_retry_comes_back_as_the_operation_running_again(
        self, store: Store, clock: FakeClock
    ) -> None:
        op = await failed(store, clock)
        retried = await triage(store, clock).retry(op, "UENGINEER", OperationState.FAILED.value)
        assert retried.state is OperationState.RUNNING
        assert retried.actions[-1].kind is TriageKind.RETRY
        assert await store.get_operation(op.id) == retried

    async def test_someone_else_may_not_retry_and_nothing_changes(
        self, store: Store, clock: FakeClock
    ) -> None:
        op = await failed(store, clock)
        with pytest.raises(TriageRefused) as refusal:
            await triage(store, clock).retry(op, "UOTHER")
        assert refused(refusal.value) == (
            f"Only <@UENGINEER>, who asked for {op.id}, or ops can retry it."
        )
        assert await store.get_operation(op.id) == op

    async def test_a_click_after_someone_acted_says_who_did_what(
        self, store: Store, clock: FakeClock
    ) -> None:
        op = await failed(store, clock)
        desk = triage(store, clock)
        await desk.retry(op, "UOPS", OperationState.FAILED.value)
        clock.advance(timedelta(minutes=1))
        with pytest.raises(ChangedMeanwhile) as changed:
            await desk.retry(op, "UENGINEER", OperationState.FAILED.value)
        assert changed.value.last is not None and changed.value.last.by == "UOPS"
        assert refused(changed.value).startswith(f"Already done: <@UOPS> chose retry on {op.id}")

    async def test_only_a_running_operation_is_cancelled(
        self, store: Store, clock: FakeClock
    ) -> None:
        op = await failed(store, clock)
        with pytest.raises(NothingToCancel) as refusal:
            await triage(store, clock).cancel(op, "UENGINEER")
        assert (
            refused(refusal.value) == f"{op.id} {op.state.described}: there is nothing to cancel."
        )

"""Delivery wakes on commit: a write that commits outbox messages tells the listeners once it
has committed, and a write that is refused, or queues nothing, tells nobody. This is how the
outbox worker learns of new messages; no caller wakes it by hand."""

from __future__ import annotations

import pytest

from bot.store.base import StaleGrant, StaleOperation, Store
from tests.contract.builders import T, edit_of, insert_requested, posted_alert, thread
from tests.unit.factories import grant, operation


@pytest.fixture
def wakes(store: Store) -> list[str]:
    heard: list[str] = []
    store.on_messages_committed(lambda: heard.append("wake"))
    return heard


class TestCommittedMessagesWakeDelivery:
    async def test_a_saved_operation_with_messages_wakes_delivery(
        self, store: Store, wakes: list[str]
    ) -> None:
        op = await store.insert_operation(operation(at=T), [thread("x", "created")])
        assert wakes == ["wake"]
        await store.save_operation(op.advance(T), [thread(op.id, "moved on")])
        assert wakes == ["wake", "wake"]

    async def test_a_save_without_messages_wakes_nobody(
        self, store: Store, wakes: list[str]
    ) -> None:
        op = await store.insert_operation(operation(at=T))
        await store.save_operation(op.advance(T))
        assert wakes == []

    async def test_a_refused_save_wakes_nobody(self, store: Store, wakes: list[str]) -> None:
        op = await store.insert_operation(operation(at=T))
        await store.save_operation(op.advance(T))
        with pytest.raises(StaleOperation):
            await store.save_operation(op.advance(T), [thread(op.id, "never told")])
        assert wakes == []

    async def test_a_queued_message_wakes_delivery(self, store: Store, wakes: list[str]) -> None:
        await store.enqueue(thread("op-1", "a line"))
        assert wakes == ["wake"]

    async def test_a_grant_written_wakes_delivery_for_its_card(
        self, store: Store, wakes: list[str]
    ) -> None:
        filed, _ = await insert_requested(store, grant(at=T))
        assert wakes == ["wake"]
        await store.save_grant(filed.revoke(T, filed.requester, is_ops=False))
        assert wakes == ["wake", "wake"]

    async def test_a_stale_grant_wakes_nobody(self, store: Store, wakes: list[str]) -> None:
        filed, _ = await insert_requested(store, grant(at=T))
        wakes.clear()
        await store.save_grant(filed.revoke(T, filed.requester, is_ops=False))
        wakes.clear()
        with pytest.raises(StaleGrant):
            await store.save_grant(filed.revoke(T, filed.requester, is_ops=False))
        assert wakes == []

    async def test_an_alert_settled_twice_wakes_delivery_once(
        self, store: Store, wakes: list[str]
    ) -> None:
        alert = posted_alert("op-aaaaaa")
        await store.remember_alert(alert)
        assert await store.settle_alert(alert, edit_of(alert))
        assert not await store.settle_alert(alert, edit_of(alert))
        assert wakes == ["wake"]

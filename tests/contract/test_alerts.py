"""Stuck alerts Slack took: remembered once, settled once, with the edit that settles them queued
in the same write."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.outbox import Delivery
from bot.store.base import Store
from tests.contract.builders import T, edit_of, posted_alert


class TestPostedAlerts:
    async def test_an_alert_is_settled_once_with_its_edit_queued_in_the_same_write(
        self, store: Store
    ) -> None:
        alert = posted_alert("op-aaaaaa")
        await store.remember_alert(alert)
        await store.remember_alert(alert)  # delivered again: still one alert
        assert await store.unsettled_alerts("op-aaaaaa") == [alert]

        assert await store.settle_alert(alert, edit_of(alert))
        assert not await store.settle_alert(alert, edit_of(alert))

        assert await store.unsettled_alerts("op-aaaaaa") == []
        assert await store.posted_alert(alert.channel, alert.ts) == alert
        (edit,) = await store.claim_due_messages(
            "worker", T + timedelta(days=1), 10, timedelta(minutes=1)
        )
        assert (edit.message.stream, edit.message.delivery, edit.message.ts, edit.message.text) == (
            "op-aaaaaa",
            Delivery.EDIT,
            alert.ts,
            "moved on",
        )

    async def test_an_alert_not_on_record_is_not_settled(self, store: Store) -> None:
        alert = posted_alert("op-cccccc")
        assert await store.posted_alert(alert.channel, alert.ts) is None
        assert not await store.settle_alert(alert, edit_of(alert))
        assert (
            await store.claim_due_messages(
                "worker", T + timedelta(days=1), 10, timedelta(minutes=1)
            )
            == []
        )

    async def test_alerts_are_kept_per_operation(self, store: Store) -> None:
        first, second = posted_alert("op-aaaaaa", "1.1"), posted_alert("op-bbbbbb", "1.2")
        await store.remember_alert(first)
        await store.remember_alert(second)
        assert await store.unsettled_alerts("op-aaaaaa") == [first]
        assert await store.settle_alert(second, edit_of(second))
        assert await store.unsettled_alerts("op-aaaaaa") == [first]

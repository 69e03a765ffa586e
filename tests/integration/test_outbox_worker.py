"""The outbox worker delivering to the fake Slack API through the real slack_sdk client."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock, FakeClock
from bot.domain.events import CreationRequested, Resumed, Stuck, Succeeded
from bot.domain.operations import Operation, SlackCard, Step
from bot.domain.outbox import Delivery, OutboxMessage
from bot.emulator.slack import FakeSlack, SlackMessage
from bot.slack.narrator import OutboxNarrator
from bot.slack.outbox import OutboxWorker
from bot.store import open_store
from bot.tasks import cancel_all
from tests.integration.conftest import ON_A_FAKE_CLOCK, wait_for
from tests.support.stores import InspectableStore
from tests.unit.factories import aws_failure, operation

HOUR = timedelta(hours=1)
POLL = timedelta(milliseconds=20)
SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "one block"}}


def now() -> datetime:
    return datetime.now(UTC)


def readable(message: SlackMessage) -> str:
    parts = [message.text]
    for block in message.blocks:
        if isinstance(block.get("text"), dict):
            parts.append(block["text"]["text"])
        parts.extend(field["text"] for field in block.get("fields", []))
    return "\n".join(parts)


class Outbox:
    """A worker, its narrator and the store, as the bot wires them."""

    def __init__(
        self,
        store: InspectableStore,
        slack: FakeSlack,
        clock: Clock,
        *,
        worker_store: Any = None,
        claim_for: timedelta = timedelta(seconds=30),
    ) -> None:
        self.store = store
        self.slack = slack
        self.clock = clock
        client = AsyncWebClient(token="xoxb-test-token", base_url=slack.base_url, retry_handlers=[])
        self.worker = OutboxWorker(
            worker_store or store,
            client,
            poll_interval=POLL,
            retry_max=timedelta(milliseconds=40),
            clock=clock,
            claim_for=claim_for,
        )
        store.on_messages_committed(self.worker.wake)
        self.narrator = OutboxNarrator(store)

    async def new_operation(self, **changes: Any) -> Operation:
        stored = await self.store.insert_operation(operation(at=now(), **changes))
        await self.narrator.card_changed(stored)
        return stored

    async def say(self, op: Operation, *lines: str) -> None:
        for line in lines:
            await self.store.enqueue(
                OutboxMessage(
                    stream=op.id,
                    delivery=Delivery.THREAD,
                    text=line,
                    blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": line}}],
                )
            )
        self.worker.wake()

    async def delivered(self, *, timeout: float = 5.0, tick: timedelta | None = None) -> None:
        """Wait until nothing is left to send; on a FakeClock, moving time on by `tick` at
        each look, so that retries fall due."""

        async def drained() -> None:
            while await self.store.pending_count():
                if tick is not None and isinstance(self.clock, FakeClock):
                    self.clock.advance(tick)
                await asyncio.sleep(0.01)

        await asyncio.wait_for(drained(), timeout)

    async def card_of(self, op: Operation) -> SlackMessage:
        card = await self.store.get_card(op.id)
        assert card is not None, "no card was stored"
        return self.slack.message(card.channel, card.ts)

    async def rescheduled(self) -> None:
        """Wait until no message is due: one that failed was put off until later."""

        async def put_off() -> None:
            while await self.store.due_messages(self.clock.now(), 1):
                await asyncio.sleep(0.01)

        await asyncio.wait_for(put_off(), 5)

    def thread_of(self, card: SlackMessage) -> list[str]:
        return [m.text for m in self.slack.thread(card.channel, card.ts)]


@pytest.fixture
async def outbox(store: InspectableStore, slack: FakeSlack, clock: Clock) -> AsyncIterator[Outbox]:
    wired = Outbox(store, slack, clock)
    await wired.worker.start()
    yield wired
    await wired.worker.stop()


class TestDelivery:
    async def test_the_card_is_posted_then_its_thread_in_order(self, outbox, slack):
        op = await outbox.new_operation()
        await outbox.narrator.tell(op, Resumed(Step.CREATE_ACCOUNT))
        await outbox.narrator.tell(op, CreationRequested("car-123", timedelta(seconds=5)))
        await outbox.say(op, "third", "fourth")
        await outbox.delivered()

        card = await outbox.card_of(op)
        assert card.channel == "CPLATFORM"
        assert card.thread_ts is None
        assert "Running · step 1 of 3" in readable(card)
        assert op.id in readable(card)
        thread = outbox.thread_of(card)
        assert len(thread) == 4
        assert "Resumed after restart" in thread[0]
        assert "car-123" in thread[1]
        assert thread[2:] == ["third", "fourth"]
        # Only one top-level message: the thread did not leak into the channel.
        assert [m.ts for m in slack.messages("CPLATFORM") if m.thread_ts is None] == [card.ts]

    async def test_a_card_change_updates_the_same_message(self, outbox, store, slack):
        op = await outbox.new_operation()
        await outbox.delivered()
        first = await outbox.card_of(op)

        done = op.record(now(), account_id="111122223333")
        done = await store.save_operation(done.advance(now()).advance(now()).advance(now()))
        await outbox.narrator.card_changed(done)
        await outbox.narrator.tell(done, Succeeded("111122223333"))
        await outbox.delivered()

        card = await outbox.card_of(op)
        assert card.ts == first.ts
        assert card.updates == 1
        assert "Succeeded · account `111122223333`" in readable(card)
        assert len(slack.calls_to("chat.update")) == 1
        assert "is ready" in outbox.thread_of(card)[0]

    async def test_streams_do_not_wait_for_each_other(self, outbox):
        ops = [await outbox.new_operation() for _ in range(3)]
        for op in ops:
            await outbox.say(op, f"hello {op.id}")
        await outbox.delivered()
        for op in ops:
            assert outbox.thread_of(await outbox.card_of(op)) == [f"hello {op.id}"]


class TestSlackTroubles:
    async def test_a_few_503s_delay_but_lose_nothing_and_keep_order(self, outbox, slack):
        slack.fail_next(3)
        op = await outbox.new_operation()
        await outbox.say(op, "one", "two", "three")
        await outbox.delivered()

        card = await outbox.card_of(op)
        assert outbox.thread_of(card) == ["one", "two", "three"]
        refused = [c for c in slack.calls if c.http_status == 503]
        assert len(refused) == 3
        assert len([m for m in slack.messages("CPLATFORM") if m.thread_ts is None]) == 1

    async def test_the_log_gives_the_next_try_as_a_duration(self, outbox, slack, caplog):
        slack.fail_next(1)
        with caplog.at_level("WARNING", logger="bot.slack.outbox"):
            await outbox.new_operation()
            await outbox.delivered()
        (line,) = [r.getMessage() for r in caplog.records if "next try in" in r.getMessage()]
        # A duration as settings are written ("0.0s"), not a raw timedelta ("0:00:00.024536").
        assert re.search(r"next try in \d+\.\ds$", line), line

    async def test_an_outage_holds_everything_until_slack_is_back(self, outbox, slack, store):
        slack.set_down(True)
        op = await outbox.new_operation()
        await outbox.say(op, "one", "two")
        await wait_for(lambda: len(slack.calls) >= 3, what="several refused attempts")
        assert slack.messages("CPLATFORM") == []
        assert await store.pending_count() == 3
        assert await store.get_card(op.id) is None

        slack.set_down(False)
        await outbox.delivered()
        assert outbox.thread_of(await outbox.card_of(op)) == ["one", "two"]


@ON_A_FAKE_CLOCK
class TestRateLimits:
    async def test_retry_after_is_honoured(self, outbox, slack, store, clock):
        slack.rate_limit_next(1, retry_after=1)
        op = await outbox.new_operation()
        limited = await wait_for(
            lambda: [c for c in slack.calls if c.http_status == 429], what="the 429"
        )
        assert len(limited) == 1
        await outbox.rescheduled()
        # Scheduled Retry-After later, though retry_max is only 40 ms.
        assert await store.due_messages(clock.now() + timedelta(milliseconds=999), 10) == []
        assert await store.due_messages(clock.now() + timedelta(seconds=1), 10) != []
        await clock.until_waiting()
        clock.advance(timedelta(milliseconds=999))
        await asyncio.sleep(0.05)
        assert len(slack.calls_to("chat.postMessage")) == 1

        clock.advance(timedelta(milliseconds=1))
        await outbox.delivered(timeout=3, tick=POLL)
        assert len(slack.calls_to("chat.postMessage")) == 2
        assert (await outbox.card_of(op)).channel == "CPLATFORM"


class TestWhereTheCardGoes:
    async def test_a_channel_the_bot_cannot_post_in_sends_the_card_to_the_requester(
        self, outbox, slack, store
    ):
        op = await outbox.new_operation(card_channel="CPRIVATE", origin_channel="CPRIVATE")
        await outbox.say(op, "first line", "second line")
        await outbox.delivered()

        dm = slack.dm_channel("UENGINEER")
        assert await store.get_card(op.id) == SlackCard(channel=dm, ts=slack.messages(dm)[0].ts)
        card = await outbox.card_of(op)
        assert op.id in readable(card)
        assert outbox.thread_of(card) == ["first line", "second line"]
        assert slack.messages("CPRIVATE") == []

    async def test_later_card_changes_update_the_card_in_the_dm(self, outbox, slack, store):
        op = await outbox.new_operation(card_channel="CNOWHERE")
        await outbox.delivered()
        failed = await store.save_operation(op.fail(now(), aws_failure()))
        await outbox.narrator.card_changed(failed)
        await outbox.delivered()
        card = await outbox.card_of(op)
        assert card.channel == slack.dm_channel("UENGINEER")
        assert "Failed at step 1 of 3" in readable(card)


class TestMessagesSlackRefuses:
    async def test_a_refused_message_is_set_aside_and_the_stream_goes_on(self, outbox, slack):
        op = await outbox.new_operation()
        await outbox.store.enqueue(
            OutboxMessage(
                stream=op.id, delivery=Delivery.THREAD, text="too big", blocks=[SECTION] * 51
            )
        )
        await outbox.say(op, "after the refused one")
        await outbox.delivered()

        card = await outbox.card_of(op)
        assert outbox.thread_of(card) == ["after the refused one"]
        refused = [c for c in slack.calls_to("chat.postMessage") if c.error == "invalid_blocks"]
        assert len(refused) == 1  # refused for good: not tried again

    async def test_a_thread_line_without_a_card_is_set_aside(self, outbox, slack, store):
        # The card itself was refused for good (an operation the store does not know).
        await store.enqueue(OutboxMessage(stream="op-gone00", delivery=Delivery.CARD))
        await store.enqueue(
            OutboxMessage(stream="op-gone00", delivery=Delivery.THREAD, text="orphan")
        )
        outbox.worker.wake()
        await outbox.delivered()
        assert slack.calls_to("chat.postMessage") == []

    async def test_a_direct_message_without_recipient_does_not_block_its_stream(
        self, outbox, slack, store
    ):
        await store.enqueue(OutboxMessage(stream="dm-1", delivery=Delivery.DIRECT, text="who?"))
        await store.enqueue(
            OutboxMessage(stream="dm-1", delivery=Delivery.DIRECT, text="hi", user="UENGINEER")
        )
        outbox.worker.wake()
        await outbox.delivered(timeout=0.5)
        assert [m.text for m in slack.messages(slack.dm_channel("UENGINEER"))] == ["hi"]


class RacingStore:
    """The real store, but the engine saves a new state right after the worker read the old one.

    That is what happens when an operation progresses while its card is being delivered.
    """

    def __init__(self, inner: InspectableStore) -> None:
        self._inner = inner
        self.narrator = OutboxNarrator(inner)
        self.raced = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def get_operation(self, operation_id: str) -> Operation | None:
        read = await self._inner.get_operation(operation_id)
        if read is not None and not self.raced:
            self.raced = True
            progressed = read.record(now(), account_id="111122223333")
            progressed = progressed.advance(now()).advance(now()).advance(now())
            saved = await self._inner.save_operation(progressed)
            await self.narrator.card_changed(saved)  # what the engine does after a save
        return read


class TestCardRefreshRace:
    async def test_a_card_change_during_delivery_is_not_lost(self, store, slack, clock):
        racing = RacingStore(store)
        wired = Outbox(store, slack, clock, worker_store=racing)
        op = await store.insert_operation(operation(at=now()))
        await wired.narrator.card_changed(op)
        await wired.worker.start()
        try:
            await wired.delivered()
            assert racing.raced
            card = await wired.card_of(op)
            assert "Succeeded" in readable(card)
        finally:
            await wired.worker.stop()


def has_buttons(message: SlackMessage) -> bool:
    return any(block["type"] == "actions" for block in message.blocks)


def note_of(message: SlackMessage) -> str:
    last = message.blocks[-1]
    assert last["type"] == "context"
    return str(last["elements"][0]["text"])


class TestStuckAlerts:
    """An alert's Retry now and Cancel go once its operation moves on, without a click."""

    async def stalled(self, outbox: Outbox) -> Operation:
        op = await outbox.new_operation(progress_at=now() - timedelta(minutes=20))
        await outbox.delivered()
        return op

    async def alert(self, outbox: Outbox, op: Operation) -> None:
        stuck = Stuck(op.id, "<!subteam^S0OPS>", op.step, op.progress_at, 0, None)
        await outbox.narrator.tell(op, stuck)

    async def save(self, outbox: Outbox, changed: Operation) -> Operation:
        card = outbox.narrator.card(changed)
        return await outbox.store.save_operation(changed, [card])

    def alerts(self, outbox: Outbox, card: SlackMessage) -> list[SlackMessage]:
        return [m for m in outbox.slack.thread(card.channel, card.ts) if "looks stuck" in m.text]

    async def test_a_card_refresh_after_success_takes_the_buttons_off_once(self, outbox):
        op = await self.stalled(outbox)
        await self.alert(outbox, op)
        await outbox.delivered()
        card = await outbox.card_of(op)
        (alert,) = self.alerts(outbox, card)
        assert has_buttons(alert)

        done = op.record(now(), account_id="111122223333")
        done = await self.save(outbox, done.advance(now()).advance(now()).advance(now()))
        await outbox.delivered()
        await outbox.narrator.card_changed(done)  # a later refresh changes nothing more
        await outbox.delivered()

        (alert,) = self.alerts(outbox, card)
        assert not has_buttons(alert)
        assert "looks stuck" in readable(alert)
        assert note_of(alert) == f"`{op.id}` moved on: it has succeeded."
        assert alert.updates == 1

    async def test_an_alert_that_arrives_after_its_operation_moved_on_goes_at_once(self, outbox):
        op = await self.stalled(outbox)
        # The detector saw it stuck just before it was cancelled: the alert is queued behind
        # the card that shows it cancelled.
        await self.save(outbox, op.cancel(now(), "UOPS"))
        await self.alert(outbox, op)
        await outbox.delivered()

        (alert,) = self.alerts(outbox, await outbox.card_of(op))
        assert not has_buttons(alert)
        assert note_of(alert) == f"`{op.id}` moved on: <@UOPS> chose cancel; it was cancelled."

    async def test_a_check_that_finds_aws_still_creating_leaves_the_buttons(self, outbox):
        op = await self.stalled(outbox)
        await self.alert(outbox, op)
        await outbox.delivered()
        polls = op.progress.model_copy(update={"polls": op.progress.polls + 1})
        await self.save(outbox, op.model_copy(update={"progress": polls}).wait(now(), HOUR))
        await outbox.delivered()

        (alert,) = self.alerts(outbox, await outbox.card_of(op))
        assert has_buttons(alert)
        assert alert.updates == 0


class TestTwoProcesses:
    async def test_two_workers_on_one_store_deliver_each_message_once(
        self, store: InspectableStore, db_path: str, slack: FakeSlack, clock: Clock
    ) -> None:
        other_store = await open_store(f"sqlite:///{db_path}", clock=clock)
        first, second = (
            Outbox(store, slack, clock),
            Outbox(store, slack, clock, worker_store=other_store),
        )
        await first.worker.start()
        await second.worker.start()
        try:
            ops = [await first.new_operation() for _ in range(5)]
            for op in ops:
                await first.say(op, "one", "two", "three")
            second.worker.wake()
            await first.delivered()
        finally:
            await first.worker.stop()
            await second.worker.stop()
            await other_store.close()
        for op in ops:
            card = await first.store.get_card(op.id)
            assert card is not None
            assert [m.text for m in slack.thread(card.channel, card.ts)] == ["one", "two", "three"]
        assert len([m for m in slack.messages("CPLATFORM") if m.thread_ts is None]) == 5


class SlowToPost(AsyncWebClient):
    """Slack taking its time over each message: a stop lands while one is under way."""

    async def chat_postMessage(self, **kwargs: Any) -> Any:  # type: ignore[override]
        await asyncio.sleep(0.3)
        return await super().chat_postMessage(**kwargs)


class TestStopping:
    def slow_worker(self, store: InspectableStore, slack: FakeSlack, clock: Clock) -> OutboxWorker:
        client = SlowToPost(token="xoxb-test-token", base_url=slack.base_url, retry_handlers=[])
        return OutboxWorker(
            store,
            client,
            poll_interval=timedelta(seconds=1),
            retry_max=timedelta(seconds=1),
            clock=clock,
        )

    async def test_a_delivery_under_way_is_finished_before_stopping(self, store, slack, clock):
        worker = self.slow_worker(store, slack, clock)
        op = await store.insert_operation(operation(at=now()))
        await OutboxNarrator(store).card_changed(op)
        await worker.start()
        await asyncio.sleep(0.1)  # the card is being posted
        await worker.stop()
        assert await store.get_card(op.id) is not None
        assert len([m for m in slack.messages("CPLATFORM") if m.thread_ts is None]) == 1

    async def test_claims_are_given_back_so_the_next_process_delivers_at_once(
        self, store, slack, clock
    ):
        worker = self.slow_worker(store, slack, clock)
        op = await store.insert_operation(operation(at=now()))
        await OutboxNarrator(store).card_changed(op)
        await worker.start()
        await asyncio.sleep(0.1)
        await worker.stop(grace=timedelta(0))  # no time to finish: the post is abandoned
        assert await store.get_card(op.id) is None
        claimed = await store.claim_due_messages("next-process", now(), 10, timedelta(minutes=1))
        assert [entry.message.stream for entry in claimed] == [op.id]


LEASE = timedelta(milliseconds=300)


async def die(worker: OutboxWorker) -> None:
    """The worker's process is killed: it stops where it is, and gives nothing back."""
    (loop,) = [task for task in asyncio.all_tasks() if task.get_name() == "outbox"]
    await cancel_all([loop])


async def lease_runs_out(clock: FakeClock, worker: Outbox) -> None:
    """Move the clock to the end of a dead worker's claim, see that `worker` has sent nothing
    of what it held until then, and move it on to `worker`'s next look."""
    await clock.until_waiting()
    sent = len(worker.slack.calls)
    clock.advance(LEASE)
    await asyncio.sleep(0.05)
    assert len(worker.slack.calls) == sent, "a claim was taken over before it ran out"
    await clock.until_waiting()
    clock.advance(POLL)  # the worker's next look


async def taken_over(
    store: InspectableStore, slack: FakeSlack, clock: FakeClock, op: Operation, line: str = ""
) -> Outbox:
    """A worker started after another died: it queues `line` (if any) for `op`, delivers all
    once the dead worker's claim runs out, and is stopped."""
    taking_over = Outbox(store, slack, clock, claim_for=LEASE)
    await taking_over.worker.start()
    try:
        if line:
            await taking_over.say(op, line)
        await lease_runs_out(clock, taking_over)
        await taking_over.delivered(timeout=5)
    finally:
        await taking_over.worker.stop()
    return taking_over


@ON_A_FAKE_CLOCK
class TestClaims:
    async def test_a_dead_workers_claims_lapse_with_its_lease(self, store, slack, clock):
        dying = Outbox(store, slack, clock, claim_for=LEASE)
        op = await dying.new_operation()
        await dying.worker.start()
        await dying.delivered()
        slack.hold_next_answer("chat.postMessage", 10)
        await dying.say(op, "under way when it died")
        await wait_for(lambda: len(slack.messages("CPLATFORM")) == 2)
        await die(dying.worker)

        taking_over = await taken_over(store, slack, clock, op, "next")
        # Slack took the line before the death, unknown to the store: it is told again.
        card = await taking_over.card_of(op)
        assert taking_over.thread_of(card) == ["under way when it died"] * 2 + ["next"]

    async def test_a_delivery_slower_than_a_lease_keeps_its_claim(
        self, store: InspectableStore, db_path: str, slack: FakeSlack, clock: Clock
    ) -> None:
        first = Outbox(store, slack, clock, claim_for=LEASE)
        op = await first.new_operation()
        await first.worker.start()
        other_store = await open_store(f"sqlite:///{db_path}", clock=clock)
        second = Outbox(store, slack, clock, worker_store=other_store, claim_for=LEASE)
        try:
            await first.delivered()
            slack.hold_next_answer("chat.postMessage", 0.5)
            await first.say(op, "slow to be answered")
            # Slack has the line; the first worker waits for the answer.
            await wait_for(lambda: len(slack.messages("CPLATFORM")) == 2)
            await second.worker.start()
            # Four leases go by while Slack holds its answer; each third of one, the first
            # worker renews its claim (and the second looks for work) before time moves on.
            for _ in range(12):
                await clock.until_waiting(2)
                clock.advance(LEASE / 3)
            await first.delivered(timeout=5)
        finally:
            await first.worker.stop()
            await second.worker.stop()
            await other_store.close()
        card = await first.card_of(op)
        assert first.thread_of(card) == ["slow to be answered"]


def card_metadata(op: Operation) -> dict[str, Any]:
    """What a card of `op` carries, as anybody who can post with metadata could copy it."""
    return {"event_type": "outpost_card", "event_payload": {"card": op.id, "outbox_entry": 1}}


IMPOSTORS = {
    "another app": {"user": "UOTHERBOT", "bot_id": "BOTHER"},
    "a person": {"user": "UOTHER", "bot_id": None},
}


@pytest.fixture(params=IMPOSTORS.values(), ids=IMPOSTORS.keys())
def impostor(request: pytest.FixtureRequest, slack: FakeSlack) -> dict[str, Any]:
    slack.add_user("UOTHERBOT", name="otherbot", email="otherbot@example.com", is_bot=True)
    return dict(request.param)


@ON_A_FAKE_CLOCK
class TestDeliveryCutShort:
    """A process dies, or loses Slack's answer, after Slack took a message and before the
    store records it: another process takes over within a lease, and a card is not posted
    twice."""

    async def cut_short(
        self,
        store: InspectableStore,
        slack: FakeSlack,
        clock: Clock,
        *,
        card_channel: str = "CPLATFORM",
    ) -> tuple[Outbox, Operation, SlackMessage]:
        """A card posted by a worker that dies before it hears Slack's answer."""
        slack.hold_next_answer("chat.postMessage", 10)
        dying = Outbox(store, slack, clock, claim_for=LEASE)
        op = await dying.new_operation(card_channel=card_channel)
        await dying.worker.start()
        where = card_channel if card_channel == "CPLATFORM" else slack.dm_channel(op.requester)
        (posted,) = await wait_for(lambda: slack.messages(where), timeout=5)
        await die(dying.worker)
        assert await store.get_card(op.id) is None
        return dying, op, posted

    async def test_a_card_posted_before_a_death_is_adopted_not_posted_again(
        self, store, slack, clock
    ):
        _, op, posted = await self.cut_short(store, slack, clock)
        await store.save_operation(op.record(now(), account_id="111122223333"))
        taking_over = Outbox(store, slack, clock, claim_for=LEASE)
        await taking_over.worker.start()
        try:
            await taking_over.narrator.card_changed(await store.get_operation(op.id))
            await taking_over.say(op, "after the restart")
            # The dead worker's claim lapses with its lease, not a fixed minute later.
            await lease_runs_out(clock, taking_over)
            await taking_over.delivered(timeout=5)
        finally:
            await taking_over.worker.stop()
        assert [m.ts for m in slack.messages("CPLATFORM") if m.thread_ts is None] == [posted.ts]
        card = await taking_over.card_of(op)
        assert card.ts == posted.ts
        assert "111122223333" in readable(card)  # brought up to date where it is
        assert taking_over.thread_of(card) == ["after the restart"]

    async def test_a_card_sent_to_the_requester_instead_is_found_in_their_messages(
        self, store, slack, clock
    ):
        _, op, posted = await self.cut_short(store, slack, clock, card_channel="CPRIVATE")
        taking_over = await taken_over(store, slack, clock, op, "after the restart")
        dm = slack.dm_channel(op.requester)
        assert [m.ts for m in slack.messages(dm) if m.thread_ts is None] == [posted.ts]
        assert (await taking_over.card_of(op)).ts == posted.ts

    async def test_a_card_is_posted_when_its_channel_cannot_be_read(self, store, slack, clock):
        """Without the history scope nothing can be looked up: the card is posted again
        rather than never."""
        slack.scopes = slack.scopes - {"channels:history"}
        _, op, _ = await self.cut_short(store, slack, clock)
        await taken_over(store, slack, clock, op)
        assert len([m for m in slack.messages("CPLATFORM") if m.thread_ts is None]) == 2
        assert await store.get_card(op.id) is not None

    async def test_a_look_that_slack_turns_away_is_made_again_before_posting(
        self, store, slack, clock
    ):
        _, _, posted = await self.cut_short(store, slack, clock)
        slack.rate_limit_next(1, retry_after=1)  # the first look, taking over
        taking_over = Outbox(store, slack, clock, claim_for=LEASE)
        await taking_over.worker.start()
        try:
            await lease_runs_out(clock, taking_over)
            await wait_for(lambda: slack.calls_to("conversations.history"), what="the first look")
            await taking_over.rescheduled()
            clock.advance(timedelta(seconds=1))  # its Retry-After
            await taking_over.delivered(timeout=5, tick=POLL)
        finally:
            await taking_over.worker.stop()
        looks = slack.calls_to("conversations.history")
        assert [call.http_status for call in looks] == [429, 200]
        assert [m.ts for m in slack.messages("CPLATFORM") if m.thread_ts is None] == [posted.ts]

    async def test_a_card_posted_at_the_first_try_is_not_looked_for(self, outbox, slack):
        await outbox.new_operation()
        await outbox.delivered()
        assert slack.calls_to("conversations.history") == []

    async def test_a_copied_card_is_left_alone_and_outpost_posts_its_own(
        self, store, slack, impostor, clock
    ):
        wired = Outbox(store, slack, clock, claim_for=LEASE)
        op = await wired.new_operation()
        copy = slack.add_message("CPLATFORM", text="card", metadata=card_metadata(op), **impostor)
        slack.fail_next(1)  # the first post may have reached Slack: the card is looked for
        await wired.worker.start()
        try:
            await wired.say(op, "a line under the card")
            await wired.delivered(timeout=5, tick=POLL)
        finally:
            await wired.worker.stop()
        assert slack.calls_to("conversations.history")
        card = await wired.card_of(op)
        assert card.ts != copy.ts
        assert card.user == slack.bot_user_id
        assert wired.thread_of(card) == ["a line under the card"]
        assert slack.thread(copy.channel, copy.ts) == []
        assert copy.updates == 0

    async def test_outposts_card_is_adopted_past_a_newer_copy(self, store, slack, impostor, clock):
        _, op, posted = await self.cut_short(store, slack, clock)
        copy = slack.add_message("CPLATFORM", text="card", metadata=card_metadata(op), **impostor)
        taking_over = await taken_over(store, slack, clock, op, "after the restart")
        card = await taking_over.card_of(op)
        assert card.ts == posted.ts
        assert taking_over.thread_of(card) == ["after the restart"]
        assert copy.updates == 0
        assert [m.ts for m in slack.messages("CPLATFORM") if m.thread_ts is None] == [
            posted.ts,
            copy.ts,
        ]

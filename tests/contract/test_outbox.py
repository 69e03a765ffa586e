"""The outbox: each stream delivered in order, one card refresh waiting at a time, and claims
that keep two workers from delivering one message."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.outbox import Delivery, OutboxMessage
from tests.contract.builders import T, card, drain, due_texts, thread

CLAIM = timedelta(seconds=5)


class TestStreams:
    async def test_a_stream_is_delivered_in_order(self, store):
        await store.enqueue(thread("op-1", "first"))
        await store.enqueue(thread("op-1", "second"))
        entries = await store.due_messages(T, 50)
        assert [e.message.text for e in entries] == ["first"]  # the second waits
        await store.mark_sent(entries[0].id)
        assert await due_texts(store) == [("op-1", "second")]
        await store.mark_sent((await store.due_messages(T, 50))[0].id)
        assert await due_texts(store) == []
        assert await store.pending_count() == 0

    async def test_each_message_has_an_id_of_its_own_made_by_the_store(self, store):
        for n in range(5):
            await store.enqueue(thread(f"op-{n}", "line"))
        ids = [e.id for e in await store.due_messages(T, 50)]
        assert all(isinstance(i, str) and i for i in ids)
        assert len(set(ids)) == 5

    async def test_many_interleaved_streams_each_keep_their_order(self, store):
        for n in range(30):
            await store.enqueue(thread(f"op-{n % 3}", f"line {n // 3}"))
        delivered = await drain(store)
        for stream in ("op-0", "op-1", "op-2"):
            texts = [m.text for m in delivered if m.stream == stream]
            assert texts == [f"line {n}" for n in range(10)]

    async def test_a_stream_queued_after_everything_was_sent_keeps_its_order(self, store):
        await store.enqueue(thread("op-1", "before"))
        assert [m.text for m in await drain(store)] == ["before"]
        for text in ("a", "b", "c", "d"):
            await store.enqueue(thread("op-1", text))
        assert [m.text for m in await drain(store)] == ["a", "b", "c", "d"]

    async def test_streams_are_independent(self, store):
        await store.enqueue(thread("op-1", "a1"))
        await store.enqueue(thread("op-2", "b1"))
        await store.enqueue(thread("op-1", "a2"))
        await store.enqueue(thread("op-3", "c1"))
        assert await due_texts(store) == [("op-1", "a1"), ("op-2", "b1"), ("op-3", "c1")]
        entries = await store.due_messages(T, 2)
        assert len(entries) == 2  # the limit is honoured

    async def test_a_waiting_card_refresh_is_not_queued_twice(self, store):
        await store.enqueue(card("op-1"))  # the head of the stream: it may be in delivery,
        await store.enqueue(card("op-1"))  # so a refresh is queued behind it
        await store.enqueue(thread("op-1", "line"))
        await store.enqueue(card("op-1"))  # a refresh is already waiting: not repeated
        await store.enqueue(card("op-2"))
        assert await store.pending_count() == 4

        head = (await store.due_messages(T, 50))[0]
        assert head.message.delivery is Delivery.CARD
        await store.mark_sent(head.id)
        await store.enqueue(card("op-1"))  # the waiting refresh is now the head
        assert await store.pending_count() == 4
        await store.enqueue(card("op-1"))
        assert await store.pending_count() == 4

    async def test_a_message_retried_later_is_not_due_and_holds_its_stream(self, store):
        await store.enqueue(thread("op-1", "first"))
        await store.enqueue(thread("op-1", "second"))
        await store.enqueue(thread("op-2", "other"))
        first = (await store.due_messages(T, 50))[0]
        not_before = T + timedelta(seconds=30)
        await store.retry_later(first.id, not_before, "HTTP 503")
        assert await due_texts(store) == [("op-2", "other")]
        later = await store.due_messages(not_before, 50)
        assert [(e.message.text, e.attempts) for e in later] == [("first", 1), ("other", 0)]

    async def test_a_dead_message_unblocks_its_stream(self, store):
        await store.enqueue(thread("op-1", "refused"))
        await store.enqueue(thread("op-1", "next"))
        first = (await store.due_messages(T, 50))[0]
        await store.mark_dead(first.id, "invalid_blocks")
        assert await due_texts(store) == [("op-1", "next")]
        assert await store.pending_count() == 1

    async def test_messages_keep_their_blocks_and_recipient(self, store):
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi* <@U1>"}}]
        message = OutboxMessage(
            stream="op-1", delivery=Delivery.DIRECT, text="hi", blocks=blocks, user="U1"
        )
        await store.enqueue(message)
        message.blocks.clear()  # what was queued is what was asked for then
        (entry,) = await store.due_messages(T, 50)
        assert entry.message.blocks[0]["text"]["text"] == "*hi* <@U1>"
        assert entry.message.user == "U1"
        assert entry.attempts == 0 and entry.claims == 0


class TestClaims:
    async def test_a_claimed_head_is_not_given_to_another_owner_until_the_claim_ends(self, store):
        await store.enqueue(thread("op-eeeeee", "hello"))
        await store.enqueue(thread("op-eeeeee", "behind it"))
        (claimed,) = await store.claim_due_messages("a", T, 10, CLAIM)
        assert await store.claim_due_messages("b", T, 10, CLAIM) == []
        (again,) = await store.claim_due_messages("b", T + 2 * CLAIM, 10, CLAIM)
        assert again.id == claimed.id

    async def test_its_owner_claims_it_again(self, store):
        await store.enqueue(thread("op-1", "hello"))
        (claimed,) = await store.claim_due_messages("a", T, 10, CLAIM)
        (again,) = await store.claim_due_messages("a", T, 10, CLAIM)
        assert again.id == claimed.id

    async def test_claims_take_the_due_heads_in_order_up_to_the_limit(self, store):
        for stream in ["op-1", "op-2", "op-3"]:
            await store.enqueue(thread(stream, stream))
        await store.retry_later((await store.due_messages(T, 1))[0].id, T + CLAIM, "HTTP 503")
        taken = await store.claim_due_messages("a", T, 1, CLAIM)
        assert [e.message.text for e in taken] == ["op-2"]
        rest = await store.claim_due_messages("b", T, 10, CLAIM)
        assert [e.message.text for e in rest] == ["op-3"]

    async def test_a_message_put_back_for_later_is_free_to_claim(self, store):
        await store.enqueue(thread("op-ffffff", "hello"))
        (claimed,) = await store.claim_due_messages("a", T, 10, CLAIM)
        await store.retry_later(claimed.id, T, "HTTP 503")
        assert len(await store.claim_due_messages("b", T, 10, CLAIM)) == 1

    async def test_a_claim_lapses_after_its_term_unless_renewed(self, store):
        await store.enqueue(thread("op-1", "hi"))
        assert await store.claim_due_messages("a", T, 10, CLAIM)
        await store.extend_claims("a", T + CLAIM * 2)
        assert (
            await store.claim_due_messages("b", T + CLAIM + timedelta(seconds=1), 10, CLAIM) == []
        )
        (taken,) = await store.claim_due_messages(
            "b", T + CLAIM * 2 + timedelta(seconds=1), 10, CLAIM
        )
        assert taken.message.text == "hi"

    async def test_renewing_keeps_only_the_owners_claims(self, store):
        await store.enqueue(thread("op-1", "hi"))
        await store.enqueue(thread("op-2", "hi"))
        (mine,) = await store.claim_due_messages("a", T, 1, CLAIM)
        await store.extend_claims("b", T + CLAIM * 10)
        later = await store.claim_due_messages("b", T + CLAIM * 2, 10, CLAIM)
        assert len(later) == 2 and mine.id in {entry.id for entry in later}

    async def test_each_claim_is_counted(self, store):
        await store.enqueue(thread("op-1", "hi"))
        (first,) = await store.claim_due_messages("a", T, 10, CLAIM)
        assert first.claims == 1 and not first.maybe_delivered
        (second,) = await store.claim_due_messages("b", T + CLAIM * 2, 10, CLAIM)
        assert second.claims == 2 and second.maybe_delivered

    async def test_a_claim_given_back_is_free_and_still_counts(self, store):
        """A stop that gave up on a delivery under way does not know whether Slack took it."""
        await store.enqueue(thread("op-1", "hi"))
        await store.enqueue(thread("op-2", "hi"))
        await store.claim_due_messages("a", T, 1, CLAIM)
        (other,) = await store.claim_due_messages("c", T, 1, CLAIM)
        await store.release_claims("a")
        (again,) = await store.claim_due_messages("b", T, 10, CLAIM)
        assert again.maybe_delivered
        assert again.id != other.id  # what another owner holds stays with it

    async def test_tests_see_what_waits_with_no_worker_holding_it(self, store):
        await store.enqueue(thread("op-1", "held"))
        await store.enqueue(thread("op-1", "behind it"))
        await store.enqueue(thread("op-2", "put back"))
        await store.enqueue(thread("op-3", "refused"))
        await store.claim_due_messages("a", T, 1, CLAIM)
        (put_back, refused) = await store.claim_due_messages("b", T, 10, CLAIM)
        await store.retry_later(put_back.id, T + timedelta(seconds=30), "HTTP 503")
        await store.mark_dead(refused.id, "channel_not_found")
        waiting = await store.unclaimed_messages()
        assert [(e.message.text, e.attempts) for e in waiting] == [
            ("behind it", 0),
            ("put back", 1),
        ]

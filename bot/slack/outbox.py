"""Delivers the outbox to Slack, in order per operation, retrying until Slack takes it.

Slack being slow, rate limiting (HTTP 429 with Retry-After) or down never reaches the AWS
work: the engine only writes to the outbox, and this worker catches up when Slack is back.
A message Slack refuses for good (bad blocks, say) is set aside so it cannot hold up the
messages behind it.

A worker claims what it delivers for the engine's lease, and renews the claim while a delivery
is under way: a process that dies holds nothing for longer than a lease. A process can die (or
lose Slack's answer) after Slack took a message and before it is recorded as sent; the message
is then delivered again, except a card's first post: each card carries metadata naming its
operation or grant, and a card whose earlier delivery may have got through is first looked for
in its conversation's recent history, and adopted if found, instead of being posted twice. Only
a message Outpost's own bot posted is adopted: anybody can post a message with the same metadata,
and the card adopted is the message Outpost then edits and replies under.

A stuck alert Slack took is remembered in the store. Its Retry now and Cancel buttons go, by an
edit queued here like any other message, as soon as a card refresh shows that its operation
has moved on: whichever process delivers that refresh, not necessarily the one that posted it.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock
from bot.domain.alerts import PostedAlert
from bot.domain.audit import AuditEvent
from bot.domain.durations import format_duration
from bot.domain.errors import Unavailable
from bot.domain.grants import Grant, is_grant_id
from bot.domain.operations import Operation, SlackCard
from bot.domain.outbox import Delivery, OutboxEntry, OutboxMessage
from bot.slack.narrator import settled
from bot.store.base import Store
from bot.tasks import cancel_all
from bot.ui.blocks import Block
from bot.ui.breakglass import (
    audit_direct,
    audit_line,
    card_refused_note,
    grant_card_blocks,
    grant_card_text,
)
from bot.ui.card import card_blocks, card_text
from bot.ui.thread import moved_on_note

log = logging.getLogger(__name__)

# Errors after which the same call can succeed later.
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
# A channel the card cannot go to: the requester gets it as a direct message instead.
CHANNEL_REFUSED = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "restricted_action",
        "channel_is_archived",
    }
)
BATCH = 50
CLAIM = timedelta(seconds=30)  # the default ENGINE_LEASE
STOP_GRACE = timedelta(seconds=5)
# Message metadata on every card, naming what it is the card of: how a card is found again.
CARD_EVENT_TYPE = "outpost_card"
# How far back a card that may have been posted is looked for: the newest messages of its
# conversation, as many as Slack gives in one page.
HISTORY_LOOKBACK = 200


class Undeliverable(Unavailable):
    """Slack refused the message for good."""


class OutboxWorker:
    def __init__(
        self,
        store: Store,
        client: AsyncWebClient,
        *,
        poll_interval: timedelta,
        retry_max: timedelta,
        clock: Clock,
        audit_channel: str | None = None,
        start_url: str | None = None,
        ops_mention: Callable[[], str] = lambda: "ops",
        ops_members: Callable[[], Awaitable[frozenset[str]]] | None = None,
        claim_for: timedelta = CLAIM,
        bot_id: str | None = None,
    ) -> None:
        """`bot_id`: Outpost's bot, as Slack's auth.test gave it at start-up; asked for when a
        card is first looked for if Slack did not answer then."""
        self._claim_for = claim_for
        self._clock = clock
        self._bot_id = bot_id
        self._audit_channel = audit_channel
        self._ops_members = ops_members
        self._start_url = start_url
        self._ops_mention = ops_mention
        self._store = store
        self._client = client
        self._poll_interval = poll_interval
        self._retry_max = retry_max
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._owner = f"outbox-{secrets.token_hex(4)}"
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="outbox")

    async def stop(self, grace: timedelta = STOP_GRACE) -> None:
        """Finish the deliveries under way (for at most `grace`), take no more, and release
        every claim, so that a process started next delivers at once, not a claim later."""
        self._stopping = True
        self._wake.set()
        if self._task is not None and not self._task.done():
            try:
                async with asyncio.timeout(grace.total_seconds()):
                    await asyncio.shield(self._task)
            except TimeoutError:
                log.warning("outbox: deliveries still under way after %s; stopping them", grace)
        await cancel_all([self._task])
        try:
            await self._store.release_claims(self._owner)
        except Exception:
            log.warning("outbox: could not release claims; they lapse on their own", exc_info=True)

    async def _loop(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                entries = await self._store.claim_due_messages(
                    self._owner, self._clock.now(), BATCH, self._claim_for
                )
                # Each entry heads a different stream, so they can go out side by side.
                await self._holding_claims(
                    asyncio.gather(*(self._deliver(entry) for entry in entries))
                )
            except Exception:
                log.exception("outbox: could not read pending messages; trying again")
                entries = []
            if len(entries) == BATCH:
                continue
            await self._clock.wait(self._wake, self._poll_interval)

    async def _holding_claims(self, deliveries: Awaitable[Any]) -> None:
        """Run `deliveries`, renewing this worker's claims every third of a claim meanwhile:
        a slow Slack call keeps its claim, a dead process's claims lapse within one."""
        renewing = asyncio.create_task(self._renew_claims())
        try:
            await deliveries
        finally:
            await cancel_all([renewing])

    async def _renew_claims(self) -> None:
        while True:
            await self._clock.sleep(self._claim_for / 3)
            try:
                until = self._clock.now() + self._claim_for
                await self._store.extend_claims(self._owner, until)
            except Exception:
                log.warning("outbox: could not renew claims yet", exc_info=True)

    async def _deliver(self, entry: OutboxEntry) -> None:
        try:
            await self._send(entry)
        except SlackApiError as error:
            await self._refused(entry, error)
        except Undeliverable as error:
            log.error("outbox: message %s set aside: %s", entry.id, error)
            await self._store.mark_dead(entry.id, str(error))
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            await self._later(entry, f"{type(error).__name__}: {error}")
        except Exception as error:
            # Whatever it is, it must not stop the worker or pin its stream without a backoff.
            log.exception("outbox: message %s could not be sent", entry.id)
            await self._later(entry, f"{type(error).__name__}: {error}")
        else:
            await self._store.mark_sent(entry.id)
            self._wake.set()  # the next message of this stream is due now

    async def _refused(self, entry: OutboxEntry, error: SlackApiError) -> None:
        status = error.response.status_code
        code = str(error.response.get("error", "")) if _is_json(error) else ""
        if status == 429:
            retry_after = _retry_after(error.response.headers)
            await self._later(entry, "ratelimited", at_least=retry_after)
        elif _transient(error):
            await self._later(entry, f"HTTP {status} {code}".strip())
        else:
            log.error("outbox: Slack refused message %s: %s", entry.id, code)
            await self._store.mark_dead(entry.id, code)

    async def _later(
        self, entry: OutboxEntry, reason: str, at_least: timedelta = timedelta(0)
    ) -> None:
        backoff = min(timedelta(seconds=2 ** min(entry.attempts, 16)), self._retry_max)
        delay = max(backoff * random.uniform(0.5, 1.0), at_least)
        log.warning(
            "outbox: message %s not delivered (%s); next try in %s",
            entry.id,
            reason,
            format_duration(delay),
        )
        await self._store.retry_later(entry.id, self._clock.now() + delay, reason)

    async def _send(self, entry: OutboxEntry) -> None:
        message = entry.message
        match message.delivery:
            case Delivery.CARD if is_grant_id(message.stream):
                await self._send_grant_card(entry)
            case Delivery.CARD:
                await self._send_card(entry)
            case Delivery.THREAD:
                card = await self._store.get_card(message.stream)
                if card is None:
                    raise Undeliverable(f"no card was posted for {message.stream}")
                text, blocks = await self._content(message, audit_line)
                response = await self._client.chat_postMessage(
                    channel=card.channel,
                    thread_ts=card.ts,
                    text=text,
                    blocks=blocks,
                    unfurl_links=False,
                )
                if message.stalled_since is not None:
                    await self._remember_alert(message, message.stalled_since, response)
            case Delivery.EDIT:
                if message.channel is None or message.ts is None:
                    raise Undeliverable("an edit that does not say which message it edits")
                await self._client.chat_update(
                    channel=message.channel, ts=message.ts, text=message.text, blocks=message.blocks
                )
            case Delivery.DIRECT:
                if message.user is None:
                    raise Undeliverable("a direct message without a recipient")
                text, blocks = await self._content(message, self._direct)
                await self._post_direct(message.user, text, blocks)
            case Delivery.AUDIT:
                if self._audit_channel is None:
                    return  # AUDIT_CHANNEL is not set: the trail is in the store alone
                text, blocks = await self._content(message, audit_line)
                await self._client.chat_postMessage(
                    channel=self._audit_channel, text=text, blocks=blocks, unfurl_links=False
                )

    async def _remember_alert(
        self, message: OutboxMessage, stalled_since: datetime, response: Any
    ) -> None:
        """Keep the stuck alert Slack just took, so that its buttons go when its operation
        moves on; at once if it already has (it may have while the alert waited here)."""
        alert = PostedAlert(
            operation_id=message.stream,
            channel=str(response["channel"]),
            ts=str(response["ts"]),
            stalled_since=stalled_since,
            text=message.text,
            blocks=message.blocks,
        )
        await self._store.remember_alert(alert)
        operation = await self._store.get_operation(message.stream)
        if operation is not None:
            await self._settle_alerts(operation)

    async def _settle_alerts(self, operation: Operation) -> None:
        """Queue the edits that take the buttons off the operation's stuck alerts it has moved
        on from. Each alert is settled once, by whichever process or click comes first."""
        for alert in await self._store.unsettled_alerts(operation.id):
            if alert.moved_on(operation):
                note = moved_on_note(operation, alert.stalled_since)
                await self._store.settle_alert(alert, settled(alert, note))

    def _direct(self, event: AuditEvent) -> tuple[str, list[Block]]:
        return audit_direct(event, start_url=self._start_url)

    async def _content(
        self, message: OutboxMessage, render: Callable[[AuditEvent], tuple[str, list[Block]]]
    ) -> tuple[str, list[Block]]:
        """The message's own text, or its audit event's, rendered now."""
        if message.audit_id is None:
            return message.text, message.blocks
        event = await self._store.get_audit_event(message.audit_id)
        if event is None:
            raise Undeliverable(f"audit event {message.audit_id} is not in the store")
        return render(event)

    async def _send_grant_card(self, entry: OutboxEntry) -> None:
        grant_id = entry.message.stream
        grant = await self._store.get_grant(grant_id)
        if grant is None:
            raise Undeliverable(f"grant {grant_id} is not in the store")
        blocks = grant_card_blocks(grant, ops_mention=self._ops_mention())
        text = grant_card_text(grant)

        async def to_ops_too(channel: str, error: str) -> None:
            if grant.decision_open:
                await self._grant_card_to_ops(grant, channel, error, text, blocks)

        await self._post_or_update(
            entry, grant.channel, grant.requester, text, blocks, when_refused=to_ops_too
        )

    async def _grant_card_to_ops(
        self, grant: Grant, channel: str, error: str, text: str, blocks: list[Block]
    ) -> None:
        """A request whose channel refused its card goes to each ops member as well, with its
        buttons: in the requester's DM alone, nobody who can decide it would see it.

        Best effort: the requester's copy is the card Outpost keeps up to date.
        """
        if self._ops_members is None:
            return
        note = card_refused_note(channel, error, grant.requester)
        for member in sorted(await self._ops_members() - {grant.requester}):
            try:
                await self._post_direct(member, text, [*blocks, note])
            except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError) as failure:
                log.warning("outbox: could not send %s's card to %s: %s", grant.id, member, failure)

    async def _send_card(self, entry: OutboxEntry) -> None:
        operation_id = entry.message.stream
        operation = await self._store.get_operation(operation_id)
        if operation is None:
            raise Undeliverable(f"operation {operation_id} is not in the store")
        await self._post_or_update(
            entry,
            operation.card_channel,
            operation.requester,
            card_text(operation),
            card_blocks(operation, self._clock.now(), start_url=self._start_url),
        )
        # Every change of state refreshes the card: its alerts are brought up to date with it.
        await self._settle_alerts(operation)

    async def _post_or_update(
        self,
        entry: OutboxEntry,
        channel: str,
        requester: str,
        text: str,
        blocks: list[Block],
        *,
        when_refused: Callable[[str, str], Awaitable[None]] | None = None,
    ) -> None:
        """Update the card where it is, or post it; a channel that refuses it sends it to the
        requester instead, so that someone sees it, then calls `when_refused`.

        A card whose earlier delivery may have reached Slack is first looked for where it
        would be, and updated there if found."""
        stream = entry.message.stream
        card = await self._store.get_card(stream)
        if card is not None:
            await self._client.chat_update(
                channel=card.channel, ts=card.ts, text=text, blocks=blocks
            )
            return
        found = await self._posted_before(channel, stream) if entry.maybe_delivered else None
        if found is not None:
            await self._adopt(stream, found, text, blocks)
            return
        metadata = {
            "event_type": CARD_EVENT_TYPE,
            "event_payload": {"card": stream, "outbox_entry": entry.id},
        }
        try:
            response = await self._client.chat_postMessage(
                channel=channel, text=text, blocks=blocks, unfurl_links=False, metadata=metadata
            )
        except SlackApiError as error:
            if not _is_json(error) or error.response.get("error") not in CHANNEL_REFUSED:
                raise
            log.warning(
                "outbox: %s refused the card of %s (%s); sending it to the requester",
                channel,
                stream,
                error.response.get("error"),
            )
            direct = await self._direct_channel(requester)
            found = await self._posted_before(direct, stream) if entry.maybe_delivered else None
            if found is not None:
                await self._adopt(stream, found, text, blocks)
                return
            response = await self._client.chat_postMessage(
                channel=direct, text=text, blocks=blocks, unfurl_links=False, metadata=metadata
            )
            await self._store.set_card(
                stream, SlackCard(channel=str(response["channel"]), ts=str(response["ts"]))
            )
            if when_refused is not None:
                await when_refused(channel, str(error.response.get("error")))
            return
        await self._store.set_card(
            stream, SlackCard(channel=str(response["channel"]), ts=str(response["ts"]))
        )

    async def _adopt(self, stream: str, card: SlackCard, text: str, blocks: list[Block]) -> None:
        """Take a card found in Slack as the card of `stream`, brought up to date."""
        await self._store.set_card(stream, card)
        await self._client.chat_update(channel=card.channel, ts=card.ts, text=text, blocks=blocks)

    async def _posted_before(self, channel: str, stream: str) -> SlackCard | None:
        """The card of `stream` if it is among the newest messages of `channel`: posted by a
        delivery that ended before it was recorded. None where Outpost cannot read."""
        try:
            history = await self._client.conversations_history(
                channel=channel, limit=HISTORY_LOOKBACK, include_all_metadata=True
            )
        except SlackApiError as error:
            if _transient(error):
                raise  # the delivery is tried again later, looking again first
            # Most likely a missing history scope or a channel Outpost is not in: a card
            # posted twice is better than a card never posted.
            log.warning(
                "outbox: cannot look in %s for the card of %s (%s); posting it",
                channel,
                stream,
                error.response.get("error") if _is_json(error) else error.response.status_code,
            )
            return None
        ours = await self._own_bot_id()
        for message in history.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") != CARD_EVENT_TYPE or payload.get("card") != stream:
                continue
            if message.get("bot_id") != ours:
                log.warning(
                    "outbox: a message in %s names the card of %s but was not posted by "
                    "Outpost (bot %s, user %s); not adopting it",
                    channel,
                    stream,
                    message.get("bot_id"),
                    message.get("user"),
                )
                continue
            log.info("outbox: found the card of %s already in %s", stream, channel)
            return SlackCard(channel=channel, ts=str(message["ts"]))
        return None

    async def _own_bot_id(self) -> str:
        """Outpost's bot id, asking Slack if start-up could not: without it no message can be
        told to be Outpost's, and a failure here is retried like the look itself."""
        if self._bot_id is None:
            answer = await self._client.auth_test()
            self._bot_id = str(answer["bot_id"])
        return self._bot_id

    async def _direct_channel(self, user: str) -> str:
        opened = await self._client.conversations_open(users=user)
        return str(opened["channel"]["id"])

    async def _post_direct(self, user: str, text: str, blocks: list[dict[str, Any]]) -> Any:
        return await self._client.chat_postMessage(
            channel=await self._direct_channel(user), text=text, blocks=blocks, unfurl_links=False
        )


def _is_json(error: SlackApiError) -> bool:
    return isinstance(error.response.data, dict)


def _transient(error: SlackApiError) -> bool:
    """Whether the same call can succeed later: Slack rate limiting, down, or erring."""
    status = error.response.status_code
    code = str(error.response.get("error", "")) if _is_json(error) else ""
    return status == 429 or status >= 500 or code in TRANSIENT_ERRORS or not code


def _retry_after(headers: Any) -> timedelta:
    try:
        return timedelta(seconds=float(headers.get("Retry-After", 1)))
    except (TypeError, ValueError):
        return timedelta(seconds=1)

"""What the contract tests build and read back, written against the store's protocols only."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain.alerts import PostedAlert
from bot.domain.audit import AuditEvent, AuditKind, announcements, event
from bot.domain.grants import AccessRequest, Grant
from bot.domain.operations import Operation, OperationState
from bot.domain.outbox import Delivery, OutboxMessage
from bot.store.base import AccountAlreadyRequested, Store
from tests.support.stores import InspectableStore
from tests.unit.factories import access_request, account_request, grant, operation

T = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
LATER = timedelta(days=365)
_ACCOUNTS = itertools.count(100_000_000_000)


def thread(stream: str, text: str) -> OutboxMessage:
    return OutboxMessage(stream=stream, delivery=Delivery.THREAD, text=text)


def card(stream: str) -> OutboxMessage:
    return OutboxMessage(stream=stream, delivery=Delivery.CARD)


async def due_texts(store: InspectableStore, at: datetime = T) -> list[tuple[str, str]]:
    entries = await store.due_messages(at, 50)
    return [(e.message.stream, e.message.text or e.message.delivery.value) for e in entries]


async def drain(store: InspectableStore) -> list[OutboxMessage]:
    """Every message queued, delivered as the outbox worker would: in order in each stream."""
    delivered: list[OutboxMessage] = []
    while entries := await store.due_messages(T + LATER, 100):
        for entry in entries:
            delivered.append(entry.message)
            await store.mark_sent(entry.id)
    return delivered


def of_stream(messages: list[OutboxMessage], stream: str) -> list[tuple[Delivery, str | None]]:
    return [(m.delivery, m.audit_id) for m in messages if m.stream == stream]


async def assert_one_stored(store: Store, results: list[object]) -> None:
    """Of inserts of one account made at once, one was stored and every other refused, each
    naming the stored one as running under the same name and email."""
    stored = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, AccountAlreadyRequested)]
    assert len(stored) == 1 and len(refused) == len(results) - 1, results
    assert {r.operation_id for r in refused} == {stored[0].id}
    assert all(r.running and r.name and r.email for r in refused)
    assert [op.id for op in await store.running_operations()] == [stored[0].id]


def named(name: str, email: str | None = None, at: datetime = T) -> Operation:
    """A new operation creating the account `name`."""
    return operation(
        at=at, request=account_request(name=name, email=email or f"aws+{name}@example.com")
    )


def succeeded(running: Operation, at: datetime = T) -> Operation:
    done = running
    while done.state is OperationState.RUNNING:
        done = done.advance(at)
    return done


def own_account() -> AccessRequest:
    """A request for an account no other grant names: a person has at most one open grant per
    account, so a test that needs several open grants gives each its own."""
    return access_request(account_id=str(next(_ACCOUNTS)))


def approved(pending: Grant, at: datetime, by: str = "UOPS") -> Grant:
    return pending.approve(at, by, is_ops=True, may_self_approve=False, what="request")


def denied(pending: Grant, at: datetime, by: str = "UOPS2") -> Grant:
    return pending.deny(at, by, is_ops=True, what="request", reason="not without a ticket")


def active(granted_at: datetime, **changes: Any) -> Grant:
    """Access given at `granted_at`, for the hour asked."""
    filed = grant(at=granted_at - timedelta(minutes=5), **changes)
    return approved(filed, granted_at).granted(granted_at, pre_existing=False)


async def insert_requested(store: Store, filed: Grant) -> tuple[Grant, AuditEvent]:
    requested = event(filed, AuditKind.REQUESTED, filed.requester, filed.created_at)
    stored = await store.insert_grant(filed, [requested], announcements(filed, [requested]))
    return stored, requested


def posted_alert(operation_id: str, ts: str = "1700000000.000200") -> PostedAlert:
    return PostedAlert(
        operation_id=operation_id,
        channel="CPLATFORM",
        ts=ts,
        stalled_since=T - timedelta(minutes=20),
        text="looks stuck",
        blocks=[{"type": "actions", "elements": []}],
    )


def edit_of(alert: PostedAlert) -> OutboxMessage:
    return OutboxMessage(
        stream=alert.operation_id,
        delivery=Delivery.EDIT,
        channel=alert.channel,
        ts=alert.ts,
        text="moved on",
    )

"""The in-memory store: the whole Store protocol, kept in dictionaries.

It exists for unit tests, which need a real store without a file, and as the reference the
store contract suite (tests/contract) holds every backend to: whatever it does, SQLite must do
too, and so must any backend added later. It is not for production: nothing survives a
restart, and only the process that holds it sees it.

One asyncio lock stands for a database's write lock: each method runs whole under it, so a
write made of several steps (check that no other grant is open, then insert) is atomic, and
a write that is refused has changed nothing. Models are copied through their JSON on the way
in and out, as a database stores them, so that no caller shares an object with the store.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol, TypeVar

from pydantic import BaseModel

from bot.clock import Clock
from bot.domain.alerts import PostedAlert
from bot.domain.audit import AuditEvent
from bot.domain.grants import Grant
from bot.domain.operations import AwsCall, Operation, OperationState, SlackCard
from bot.domain.outbox import Delivery, OutboxEntry, OutboxMessage
from bot.store.base import (
    RECENT_OPERATIONS,
    AccountAlreadyRequested,
    OverlappingGrant,
    StaleGrant,
    StaleOperation,
    StoreUnavailable,
    new_outbox_id,
)
from bot.store.deadline import WriteAbandoned, WriteDeadline
from bot.store.listeners import CommitListeners

if TYPE_CHECKING:
    from bot.store.base import Store

M = TypeVar("M", bound=BaseModel)


def _copy(model: M) -> M:
    return type(model).model_validate_json(model.model_dump_json())


@dataclass
class _Lease:
    owner: str | None = None
    until: datetime | None = None

    def take(self, owner: str, until: datetime, now: datetime) -> bool:
        if self.owner is None or self.owner == owner or _before(self.until, now):
            self.owner, self.until = owner, until
            return True
        return False

    def release(self, owner: str) -> None:
        if self.owner == owner:
            self.owner = self.until = None

    def free_at(self, now: datetime) -> bool:
        return self.until is None or self.until < now


class _Leased(Protocol):
    """A row that can be leased: an operation's or a grant's."""

    lease: _Lease


@dataclass
class _OperationRow:
    operation: Operation
    lease: _Lease = field(default_factory=_Lease)


@dataclass
class _GrantRow:
    grant: Grant
    lease: _Lease = field(default_factory=_Lease)


@dataclass
class _Queued:
    id: str
    seq: int  # the order it was queued in
    message: OutboxMessage
    dead: bool = False
    attempts: int = 0
    not_before: datetime | None = None  # due at once
    last_error: str | None = None
    claimed_by: str | None = None
    claimed_until: datetime | None = None
    claims: int = 0

    def entry(self) -> OutboxEntry:
        return OutboxEntry(
            id=self.id, message=_copy(self.message), attempts=self.attempts, claims=self.claims
        )


@dataclass
class _StuckAlert:
    progress_at: datetime
    alerted_at: datetime


def _before(moment: datetime | None, now: datetime) -> bool:
    return moment is not None and moment < now


class MemoryStore:
    def __init__(self, *, clock: Clock) -> None:
        # The protocol passes no `now` to a lease: like SQLite's, it is judged by the clock.
        self._clock = clock
        self._lock = asyncio.Lock()
        # Dictionaries keep insertion order: it stands for the order rows were created in.
        self._operations: dict[str, _OperationRow] = {}
        self._grants: dict[str, _GrantRow] = {}
        self._audit: dict[str, AuditEvent] = {}
        self._cards: dict[str, SlackCard] = {}
        self._calls: dict[str, list[AwsCall]] = {}
        self._cancels: dict[str, tuple[str, datetime]] = {}
        self._stuck: dict[str, _StuckAlert] = {}
        self._posted_alerts: dict[tuple[str, str], tuple[PostedAlert, bool]] = {}  # settled?
        self._events: dict[str, datetime] = {}
        self._outbox: dict[str, _Queued] = {}
        self._last_seq = 0
        self._listeners = CommitListeners()
        self._queued = False  # whether the write under way queued a message

    async def close(self) -> None:
        """Nothing to close: what the store held goes with it."""

    def on_messages_committed(self, listener: Callable[[], None]) -> None:
        self._listeners.add(listener)

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[None]:
        """The lock, for a write that may queue messages: once it is done, and only if it was
        not refused, the listeners hear of what it queued."""
        async with self._lock:
            self._queued = False
            yield
            queued = self._queued
        if queued:
            self._listeners.messages_committed()

    async def _take_lease(
        self, rows: Mapping[str, _Leased], key: str, owner: str, until: datetime
    ) -> bool:
        async with self._lock:
            row = rows.get(key)
            return row is not None and row.lease.take(owner, until, self._clock.now())

    async def _release_lease(self, rows: Mapping[str, _Leased], key: str, owner: str) -> None:
        async with self._lock:
            if row := rows.get(key):
                row.lease.release(owner)

    # operations

    async def insert_operation(
        self,
        operation: Operation,
        messages: Sequence[OutboxMessage] = (),
        *,
        deadline: WriteDeadline | None = None,
    ) -> Operation:
        stored = _copy(operation.model_copy(update={"version": 1}))
        async with self._write():
            if deadline is not None and not deadline.begin():
                raise WriteAbandoned()
            self._refuse_same_account(stored)
            if stored.id in self._operations:
                raise StoreUnavailable(f"an operation {stored.id} is stored already")
            self._operations[stored.id] = _OperationRow(stored)
            self._enqueue_all(messages)
        return _copy(stored)

    async def account_requested(self, name: str, email: str) -> AccountAlreadyRequested | None:
        async with self._lock:
            return self._same_account(name, email, other_than="")

    async def get_operation(self, operation_id: str) -> Operation | None:
        async with self._lock:
            row = self._operations.get(operation_id)
            return _copy(row.operation) if row else None

    async def save_operation(
        self, operation: Operation, messages: Sequence[OutboxMessage] = ()
    ) -> Operation:
        stored = _copy(operation.model_copy(update={"version": operation.version + 1}))
        async with self._write():
            row = self._operations.get(operation.id)
            if (
                row is not None
                and stored.state is OperationState.RUNNING
                and row.operation.state is not OperationState.RUNNING
            ):
                # A retry starts a finished operation again: the same check as a new one's.
                self._refuse_same_account(stored)
            if row is None or row.operation.version != operation.version:
                raise StaleOperation(operation.id)
            row.operation = stored
            self._enqueue_all(messages)
        return _copy(stored)

    async def runnable_operations(self, now: datetime) -> list[str]:
        async with self._lock:
            runnable = [
                row.operation
                for row in self._operations.values()
                if row.operation.state is OperationState.RUNNING
                and (row.operation.next_run_at <= now or row.operation.id in self._cancels)
                and row.lease.free_at(now)
            ]
        return [op.id for op in sorted(runnable, key=lambda op: op.next_run_at)]

    async def running_operations(self) -> list[Operation]:
        async with self._lock:
            return [
                _copy(row.operation)
                for row in self._operations.values()
                if row.operation.state is OperationState.RUNNING
            ]

    async def recent_operations(self, limit: int) -> list[Operation]:
        """Every running operation and the `limit` most recently created, newest first."""
        async with self._lock:
            rows = list(self._operations.values())
            latest = rows[len(rows) - limit :] if limit > 0 else []
            latest_ids = {row.operation.id for row in latest}
            return [
                _copy(row.operation)
                for row in reversed(rows)
                if row.operation.state is OperationState.RUNNING or row.operation.id in latest_ids
            ]

    async def request_cancel(self, operation_id: str, by: str, at: datetime) -> None:
        async with self._lock:
            self._cancels.setdefault(operation_id, (by, at.astimezone(UTC)))

    async def cancel_request(self, operation_id: str) -> tuple[str, datetime] | None:
        async with self._lock:
            return self._cancels.get(operation_id)

    async def clear_cancel_request(self, operation_id: str) -> None:
        async with self._lock:
            self._cancels.pop(operation_id, None)

    async def claim_stuck_alert(
        self, operation_id: str, progress_at: datetime, now: datetime, every: timedelta
    ) -> bool:
        async with self._lock:
            alert = self._stuck.get(operation_id)
            if (
                alert is not None
                and alert.progress_at == progress_at
                and alert.alerted_at > now - every
            ):
                return False
            self._stuck[operation_id] = _StuckAlert(progress_at=progress_at, alerted_at=now)
            return True

    async def remember_alert(self, alert: PostedAlert) -> None:
        async with self._lock:
            self._posted_alerts.setdefault((alert.channel, alert.ts), (_copy(alert), False))

    async def posted_alert(self, channel: str, ts: str) -> PostedAlert | None:
        async with self._lock:
            kept = self._posted_alerts.get((channel, ts))
            return _copy(kept[0]) if kept else None

    async def unsettled_alerts(self, operation_id: str) -> list[PostedAlert]:
        async with self._lock:
            return [
                _copy(alert)
                for alert, settled in self._posted_alerts.values()
                if alert.operation_id == operation_id and not settled
            ]

    async def settle_alert(self, alert: PostedAlert, edit: OutboxMessage) -> bool:
        async with self._write():
            kept = self._posted_alerts.get((alert.channel, alert.ts))
            if kept is None or kept[1]:
                return False
            self._posted_alerts[(alert.channel, alert.ts)] = (kept[0], True)
            self._enqueue(edit)
            return True

    async def operation_for_card(self, channel: str, ts: str) -> Operation | None:
        async with self._lock:
            row = self._operations.get(self._card_owner(channel, ts) or "")
            return _copy(row.operation) if row else None

    async def acquire_lease(self, operation_id: str, owner: str, until: datetime) -> bool:
        return await self._take_lease(self._operations, operation_id, owner, until)

    async def release_lease(self, operation_id: str, owner: str) -> None:
        await self._release_lease(self._operations, operation_id, owner)

    async def lease_abandoned(self, operation_id: str, now: datetime) -> bool:
        async with self._lock:
            row = self._operations.get(operation_id)
            return row is not None and row.lease.owner is not None and _before(row.lease.until, now)

    def _refuse_same_account(self, operation: Operation) -> None:
        taken = self._same_account(operation.request.name, operation.request.email, operation.id)
        if taken is not None:
            raise taken

    def _same_account(
        self, name: str, email: str, other_than: str
    ) -> AccountAlreadyRequested | None:
        """The running operation, else the newest of the RECENT_OPERATIONS latest that
        succeeded, asking for this account name (as written) or root email (in any case)."""
        email = email.lower()
        rows = list(self._operations.values())
        recent = {row.operation.id for row in rows[-RECENT_OPERATIONS:]}
        running, succeeded = None, None
        for row in reversed(rows):
            op = row.operation
            same_name, same_email = op.request.name == name, op.request.email.lower() == email
            if op.id == other_than or not (same_name or same_email):
                continue
            if op.state is OperationState.RUNNING and running is None:
                running = AccountAlreadyRequested(
                    op.id, running=True, name=same_name, email=same_email
                )
            elif op.state is OperationState.SUCCEEDED and op.id in recent and succeeded is None:
                succeeded = AccountAlreadyRequested(
                    op.id, running=False, name=same_name, email=same_email
                )
        return running or succeeded

    # cards

    async def set_card(self, operation_id: str, card: SlackCard) -> None:
        async with self._lock:
            # One message is one card: whatever else named that message no longer does.
            if (other := self._card_owner(card.channel, card.ts)) is not None:
                del self._cards[other]
            self._cards[operation_id] = _copy(card)

    async def get_card(self, operation_id: str) -> SlackCard | None:
        async with self._lock:
            card = self._cards.get(operation_id)
            return _copy(card) if card else None

    def _card_owner(self, channel: str, ts: str) -> str | None:
        for owner, card in self._cards.items():
            if (card.channel, card.ts) == (channel, ts):
                return owner
        return None

    # AWS calls

    async def record_call(self, operation_id: str, call: AwsCall) -> None:
        async with self._lock:
            self._calls.setdefault(operation_id, []).append(_copy(call))

    async def calls_for(self, operation_id: str) -> list[AwsCall]:
        async with self._lock:
            return [_copy(call) for call in self._calls.get(operation_id, [])]

    # outbox

    async def enqueue(self, message: OutboxMessage) -> None:
        async with self._write():
            self._enqueue(message)

    # Outside the protocol: the queue as tests look at it, without claiming anything.
    async def due_messages(self, now: datetime, limit: int) -> list[OutboxEntry]:
        async with self._lock:
            due = [q for q in self._heads() if not _after(q.not_before, now)]
            return [q.entry() for q in due[: max(limit, 0)]]

    async def claim_due_messages(
        self, owner: str, now: datetime, limit: int, claim_for: timedelta
    ) -> list[OutboxEntry]:
        async with self._lock:
            free = [
                q
                for q in self._heads()
                if not _after(q.not_before, now)
                and (q.claimed_until is None or q.claimed_until < now or q.claimed_by == owner)
            ]
            claimed = free[: max(limit, 0)]
            for queued in claimed:
                queued.claimed_by, queued.claimed_until = owner, now + claim_for
                queued.claims += 1
            return [q.entry() for q in claimed]

    async def extend_claims(self, owner: str, until: datetime) -> None:
        async with self._lock:
            for queued in self._claimed_by(owner):
                queued.claimed_until = until

    async def release_claims(self, owner: str) -> None:
        async with self._lock:
            for queued in self._claimed_by(owner):
                queued.claimed_by = queued.claimed_until = None

    async def mark_sent(self, entry_id: str) -> None:
        async with self._lock:
            self._outbox.pop(entry_id, None)

    async def retry_later(self, entry_id: str, not_before: datetime, error: str) -> None:
        async with self._lock:
            if queued := self._outbox.get(entry_id):
                queued.attempts += 1
                queued.not_before, queued.last_error = not_before, error
                queued.claimed_by = queued.claimed_until = None

    async def mark_dead(self, entry_id: str, error: str) -> None:
        async with self._lock:
            if queued := self._outbox.get(entry_id):
                queued.dead = True
                queued.attempts += 1
                queued.last_error = error

    # Outside the protocol, for tests: how much is waiting.
    async def pending_count(self) -> int:
        async with self._lock:
            return sum(1 for q in self._outbox.values() if not q.dead)

    # Outside the protocol, for tests: what waits for a try with no deliverer holding it.
    async def unclaimed_messages(self) -> list[OutboxEntry]:
        async with self._lock:
            queue = self._outbox.values()
            return [q.entry() for q in queue if not q.dead and q.claimed_by is None]

    def _enqueue_all(self, messages: Iterable[OutboxMessage]) -> None:
        for message in messages:
            self._enqueue(message)

    def _enqueue(self, message: OutboxMessage) -> None:
        self._queued = True
        if message.delivery is Delivery.CARD:
            # A waiting refresh renders the latest state when delivered, so one is enough. The
            # head of the stream is left out: it may be in delivery, rendered already.
            behind_head = self._pending(message.stream)[1:]
            if any(q.message.delivery is Delivery.CARD for q in behind_head):
                return
        self._last_seq += 1
        entry_id = new_outbox_id()
        self._outbox[entry_id] = _Queued(id=entry_id, seq=self._last_seq, message=_copy(message))

    def _pending(self, stream: str) -> list[_Queued]:
        return [q for q in self._outbox.values() if not q.dead and q.message.stream == stream]

    def _heads(self) -> list[_Queued]:
        """The first pending message of each stream, in the order they were queued."""
        heads: dict[str, _Queued] = {}
        for queued in self._outbox.values():
            if not queued.dead:
                heads.setdefault(queued.message.stream, queued)
        return sorted(heads.values(), key=lambda q: q.seq)

    def _claimed_by(self, owner: str) -> list[_Queued]:
        return [q for q in self._outbox.values() if not q.dead and q.claimed_by == owner]

    # Slack events already acted on

    async def claim_event(self, event_id: str, now: datetime, keep_for: timedelta) -> bool:
        async with self._lock:
            forget_before = now - keep_for
            for seen in [e for e, at in self._events.items() if at < forget_before]:
                del self._events[seen]
            if event_id in self._events:
                return False
            self._events[event_id] = now
            return True

    # accounts Outpost created

    async def operations_for_account(self, account_id: str) -> list[Operation]:
        return await self.operations_for_accounts([account_id])

    async def operations_for_accounts(self, account_ids: Collection[str]) -> list[Operation]:
        wanted = set(account_ids)
        async with self._lock:
            return [
                _copy(row.operation)
                for row in reversed(self._operations.values())
                if row.operation.progress.account_id in wanted
            ]

    # break-glass grants

    async def insert_grant(
        self,
        grant: Grant,
        audit: Sequence[AuditEvent] = (),
        messages: Sequence[OutboxMessage] = (),
    ) -> Grant:
        stored = _copy(grant.model_copy(update={"version": 1}))
        async with self._write():
            if stored.id in self._grants:
                raise StoreUnavailable(f"a grant {stored.id} is stored already")
            self._refuse_overlap(stored)
            self._refuse_known_events(audit)
            self._grants[stored.id] = _GrantRow(stored)
            self._record(stored, audit, messages)
        return _copy(stored)

    async def save_grant(
        self,
        grant: Grant,
        audit: Sequence[AuditEvent] = (),
        messages: Sequence[OutboxMessage] = (),
    ) -> Grant:
        stored = _copy(grant.model_copy(update={"version": grant.version + 1}))
        async with self._write():
            row = self._grants.get(grant.id)
            if row is None or row.grant.version != grant.version:
                raise StaleGrant(grant.id)
            self._refuse_overlap(stored)
            self._refuse_known_events(audit)
            row.grant = stored
            self._record(stored, audit, messages)
        return _copy(stored)

    async def get_grant(self, grant_id: str) -> Grant | None:
        async with self._lock:
            row = self._grants.get(grant_id)
            return _copy(row.grant) if row else None

    async def due_grants(self, now: datetime, limit: int) -> list[str]:
        async with self._lock:
            due = [
                (due_at, row.lease.until, row.grant.id)
                for row in self._grants.values()
                if (due_at := row.grant.due_at) is not None
                and due_at <= now
                and row.lease.free_at(now)
            ]
        # Soonest first; among grants due at one time, SQLite's index order: unleased first.
        due.sort(key=lambda d: (d[0], d[1] is not None, d[1] or d[0], d[2]))
        return [grant_id for _, _, grant_id in due[: max(limit, 0)]]

    async def open_grants(
        self, requester: str | None = None, account_id: str | None = None
    ) -> list[Grant]:
        async with self._lock:
            found = [
                row.grant
                for row in self._grants.values()
                if row.grant.state.open
                and requester in (None, row.grant.requester)
                and account_id in (None, row.grant.request.account_id)
            ]
        # A stable sort: grants filed at one time stay in the order they were stored.
        return [_copy(g) for g in sorted(found, key=lambda g: g.created_at)]

    # Outside the protocol, for tests: the bot only ever looks for grants by id or by state.
    async def all_grants(self) -> list[Grant]:
        async with self._lock:
            return [_copy(row.grant) for row in self._grants.values()]

    async def acquire_grant_lease(self, grant_id: str, owner: str, until: datetime) -> bool:
        return await self._take_lease(self._grants, grant_id, owner, until)

    async def release_grant_lease(self, grant_id: str, owner: str) -> None:
        await self._release_lease(self._grants, grant_id, owner)

    def _refuse_overlap(self, grant: Grant) -> None:
        if not grant.state.open:
            return
        for row in self._grants.values():
            other = row.grant
            if (
                other.id != grant.id
                and other.state.open
                and other.requester == grant.requester
                and other.request.account_id == grant.request.account_id
            ):
                raise OverlappingGrant(grant.requester, grant.request.account_id)

    def _refuse_known_events(self, audit: Sequence[AuditEvent]) -> None:
        ids = [e.id for e in audit]
        if len(set(ids)) != len(ids) or any(i in self._audit for i in ids):
            raise StoreUnavailable("an audit event of this write is stored already")

    def _record(
        self, grant: Grant, audit: Sequence[AuditEvent], messages: Sequence[OutboxMessage]
    ) -> None:
        """What goes with a write of the grant: its audit events, its card and its messages.
        The card comes first in the grant's stream: replies in its thread need it posted."""
        for audit_event in audit:
            self._audit[audit_event.id] = _copy(audit_event)
        self._enqueue(OutboxMessage(stream=grant.id, delivery=Delivery.CARD))
        self._enqueue_all(messages)

    # the audit trail

    async def get_audit_event(self, event_id: str) -> AuditEvent | None:
        async with self._lock:
            found = self._audit.get(event_id)
            return _copy(found) if found else None

    async def audit_events(
        self, since: datetime, account_id: str | None = None, limit: int = 1000
    ) -> list[AuditEvent]:
        async with self._lock:
            newest_stored_first = [
                e
                for e in reversed(self._audit.values())
                if e.at >= since and account_id in (None, e.account_id)
            ]
        # A stable sort: events of one time stay newest stored first.
        found = sorted(newest_stored_first, key=lambda e: e.at, reverse=True)
        return [_copy(e) for e in found[: max(limit, 0)]]


def _after(moment: datetime | None, now: datetime) -> bool:
    return moment is not None and moment > now


if TYPE_CHECKING:

    def _is_a_store(store: MemoryStore) -> Store:
        return store

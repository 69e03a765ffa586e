"""The store's ports: small protocols by concern, and `Store`, their union, which every backend
implements and the runtime wires."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from bot.domain.alerts import PostedAlert
from bot.domain.audit import AuditEvent
from bot.domain.errors import Conflict, Unavailable
from bot.domain.grants import Grant
from bot.domain.operations import AwsCall, Operation, SlackCard
from bot.domain.outbox import OutboxEntry, OutboxMessage

if TYPE_CHECKING:
    from bot.store.deadline import WriteDeadline


class StaleOperation(Conflict):
    """Someone saved the operation since it was read; re-read it and decide again."""


class OverlappingGrant(Conflict):
    """The person already has an open grant for that account: one at a time."""


class StaleGrant(Conflict):
    """Someone saved the grant since it was read: the first writer won; re-read it."""


# How many of the latest operations count as "just created" an account, besides the running
# ones: the organization's list of accounts, checked too, can be a few minutes old.
RECENT_OPERATIONS = 200


class StoreUnavailable(Unavailable):
    """The store could not be opened, or did not take a write: its text is the cause, as the
    database gave it (`database is locked`, `file is not a database`)."""


class AccountAlreadyRequested(Conflict):
    """Another operation is creating an account with this name or root email, or has just
    created one: a second one would be refused by AWS, or would make two accounts."""

    def __init__(self, operation_id: str, *, running: bool, name: bool, email: bool) -> None:
        super().__init__(operation_id)
        self.operation_id = operation_id
        self.running = running
        self.name = name
        self.email = email


class Operations(Protocol):
    """Account creations: stored, saved only over the version read, found when due."""

    async def insert_operation(
        self,
        operation: Operation,
        messages: Sequence[OutboxMessage] = (),
        *,
        deadline: WriteDeadline | None = None,
    ) -> Operation:
        """Store a new operation and queue `messages`, in one write. Refused with
        AccountAlreadyRequested when a running operation, or one of the `RECENT_OPERATIONS`
        latest that succeeded, has the same account name or root email: the check and the
        insert are one atomic step, whoever else writes at the same time. With a `deadline`,
        nothing is written once it has passed (see WriteDeadline). A write the store cannot
        make raises StoreUnavailable."""
        ...

    async def account_requested(self, name: str, email: str) -> AccountAlreadyRequested | None:
        """The operation creating, or lately created, an account of that name or root email,
        as far as the last commit shows; a hint read off the write lock, which the check made
        when storing an operation settles."""
        ...

    async def get_operation(self, operation_id: str) -> Operation | None: ...

    async def save_operation(
        self, operation: Operation, messages: Sequence[OutboxMessage] = ()
    ) -> Operation:
        """Write if nobody else has since `operation` was read (else StaleOperation), and queue
        `messages` (as `enqueue` does): all of it, or none of it. Returns the operation with its
        new version. An operation that runs again (a retry of a failed one) is refused with
        AccountAlreadyRequested as `insert_operation` refuses a new one, in the same write."""
        ...

    async def runnable_operations(self, now: datetime) -> list[str]: ...

    async def running_operations(self) -> list[Operation]: ...

    async def recent_operations(self, limit: int) -> list[Operation]:
        """Every running operation, and the `limit` most recently created ones, newest first."""
        ...


class AccountHistory(Protocol):
    """The operations that made or touched an account, for `/account show` and `/account list`."""

    async def operations_for_account(self, account_id: str) -> list[Operation]:
        """Operations whose `progress.account_id` is this account, newest first."""
        ...

    async def operations_for_accounts(self, account_ids: Collection[str]) -> list[Operation]:
        """Operations whose `progress.account_id` is one of these accounts, newest first: one
        query for a whole listing instead of one per account."""
        ...


class CancelRequests(Protocol):
    """A cancel asked for by a person, applied by whoever runs the operation next."""

    async def request_cancel(self, operation_id: str, by: str, at: datetime) -> None:
        """Ask the engine to stop the operation before its next step (the first ask wins)."""
        ...

    async def cancel_request(self, operation_id: str) -> tuple[str, datetime] | None: ...

    async def clear_cancel_request(self, operation_id: str) -> None: ...


class Leasing(Protocol):
    """Who may act on an operation or a grant now: one live owner at a time."""

    async def acquire_lease(self, operation_id: str, owner: str, until: datetime) -> bool:
        """Take or renew the right to act on an operation, unless another live owner holds it."""
        ...

    async def release_lease(self, operation_id: str, owner: str) -> None: ...

    async def lease_abandoned(self, operation_id: str, now: datetime) -> bool:
        """Whether the operation's lease ran out without being released (its owner died)."""
        ...

    async def acquire_grant_lease(self, grant_id: str, owner: str, until: datetime) -> bool: ...

    async def release_grant_lease(self, grant_id: str, owner: str) -> None: ...


class Cards(Protocol):
    """Where each operation's or grant's card is in Slack, both ways."""

    async def set_card(self, operation_id: str, card: SlackCard) -> None: ...

    async def get_card(self, operation_id: str) -> SlackCard | None: ...

    async def operation_for_card(self, channel: str, ts: str) -> Operation | None:
        """The operation whose card is that message: how a thread names its operation."""
        ...


class Calls(Protocol):
    """The AWS calls made for an operation or a grant, as `/account explain` shows them."""

    async def record_call(self, operation_id: str, call: AwsCall) -> None: ...

    async def calls_for(self, operation_id: str) -> list[AwsCall]: ...


class StuckAlerts(Protocol):
    """Stuck alerts: who alerts (one process), and the alerts posted until settled."""

    async def claim_stuck_alert(
        self, operation_id: str, progress_at: datetime, now: datetime, every: timedelta
    ) -> bool:
        """Whether to alert now: never alerted for this stall, or last alerted `every` ago.
        A conditional write, so that with several processes only one alerts."""
        ...

    async def remember_alert(self, alert: PostedAlert) -> None:
        """Keep a stuck alert Slack took; one already kept is left as it is."""
        ...

    async def posted_alert(self, channel: str, ts: str) -> PostedAlert | None: ...

    async def unsettled_alerts(self, operation_id: str) -> list[PostedAlert]:
        """The operation's alerts that still have their buttons, oldest first."""
        ...

    async def settle_alert(self, alert: PostedAlert, edit: OutboxMessage) -> bool:
        """Mark the alert settled and queue `edit`, which takes its buttons off, in one write,
        if it is not settled yet: a conditional write, so that of several processes (or a
        click and a card refresh) one settles it."""
        ...


class Outbox(Protocol):
    """Messages for Slack, in order per stream, each claimed by one deliverer at a time."""

    def on_messages_committed(self, listener: Callable[[], None]) -> None:
        """Call `listener` after every write that committed outbox messages (any write that
        takes messages, or `enqueue`), once it has committed: delivery wakes on commit, so
        nobody wakes it by hand. A write that is refused or fails does not call it. The
        listener must be quick and must not block: it runs in the writer's task."""
        ...

    async def enqueue(self, message: OutboxMessage) -> None:
        """Queue a message; a card refresh already waiting (and not in delivery) is not repeated."""
        ...

    async def claim_due_messages(
        self, owner: str, now: datetime, limit: int, claim_for: timedelta
    ) -> list[OutboxEntry]:
        """Like due_messages, but each one is claimed by `owner` for `claim_for`: another
        process does not deliver it meanwhile, so nothing reaches Slack twice. Each entry
        counts its claims."""
        ...

    async def extend_claims(self, owner: str, until: datetime) -> None:
        """Keep what `owner` claimed and has not delivered claimed until `until`."""
        ...

    async def release_claims(self, owner: str) -> None:
        """Give back every message `owner` claimed and has not delivered."""
        ...

    async def mark_sent(self, entry_id: str) -> None: ...

    async def retry_later(self, entry_id: str, not_before: datetime, error: str) -> None: ...

    async def mark_dead(self, entry_id: str, error: str) -> None: ...


class EventClaims(Protocol):
    """Slack events already acted on, so that a redelivered one is not acted on twice."""

    async def claim_event(self, event_id: str, now: datetime, keep_for: timedelta) -> bool:
        """Whether `event_id` is new, recording it if so: a conditional write, so that of two
        deliveries of one event (two processes, or before and after a restart) only one is
        acted on. Ids seen more than `keep_for` before `now` are forgotten."""
        ...


class Grants(Protocol):
    """Break-glass grants: one open grant per person and account, saved over the version read."""

    async def insert_grant(
        self,
        grant: Grant,
        audit: Sequence[AuditEvent] = (),
        messages: Sequence[OutboxMessage] = (),
    ) -> Grant:
        """Store a new grant, its audit events and messages, and queue its card: one write.
        Refused with OverlappingGrant if the person has an open grant for that account."""
        ...

    async def save_grant(
        self,
        grant: Grant,
        audit: Sequence[AuditEvent] = (),
        messages: Sequence[OutboxMessage] = (),
    ) -> Grant:
        """Write the grant if nobody has since it was read (else StaleGrant), with its audit
        events and messages, and queue a refresh of its card: all of it, or none of it."""
        ...

    async def get_grant(self, grant_id: str) -> Grant | None: ...

    async def due_grants(self, now: datetime, limit: int) -> list[str]:
        """Grants the worker must act on now, soonest first, leaving out those leased by a
        live owner. Found through the index on the time each is due, so a sweep costs in
        proportion to the grants due, not to all grants."""
        ...

    async def open_grants(
        self, requester: str | None = None, account_id: str | None = None
    ) -> list[Grant]:
        """Grants not finished (pending, granting, active, revoking), optionally only for one
        person and/or one account, oldest first."""
        ...


class AuditTrail(Protocol):
    """The audit trail of break-glass access, written with the grants it tells of."""

    async def get_audit_event(self, event_id: str) -> AuditEvent | None: ...

    async def audit_events(
        self, since: datetime, account_id: str | None = None, limit: int = 1000
    ) -> list[AuditEvent]:
        """Events at or after `since`, optionally only for one account, newest first."""
        ...


def new_outbox_id() -> str:
    """An id for a queued message, made up by the store: random, so no backend needs a counter;
    the order of a stream is kept apart from it."""
    return uuid.uuid4().hex


class Store(
    Operations,
    AccountHistory,
    CancelRequests,
    Leasing,
    Cards,
    Calls,
    StuckAlerts,
    Outbox,
    EventClaims,
    Grants,
    AuditTrail,
    Protocol,
):
    """Every concern at once: what the runtime opens and wires. A class that needs one concern
    takes that protocol instead, so that what it may touch shows in its signature."""

    async def close(self) -> None: ...

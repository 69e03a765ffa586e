"""Reading operations back for people: one by id, the recent ones, their cards and AWS calls.

`/account ops`, the App Home tab, `/account show`, a thread mention and the Show AWS calls
button all read the same things; they read them here rather than from the store, so that the
listeners know nothing of how operations are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.errors import NotFound
from bot.domain.operations import AwsCall, Operation, SlackCard
from bot.store.base import Store


class NoSuchOperation(NotFound):
    """No operation has this id: an old card, or a forged value."""

    def __init__(self, operation_id: str) -> None:
        super().__init__(operation_id)
        self.operation_id = operation_id


@dataclass(frozen=True)
class Operations:
    store: Store

    async def operation(self, operation_id: str) -> Operation:
        """The operation as stored now."""
        operation = await self.store.get_operation(operation_id)
        if operation is None:
            raise NoSuchOperation(operation_id)
        return operation

    async def recent(self, limit: int) -> list[Operation]:
        """Every running operation, and the `limit` most recently created, newest first."""
        return await self.store.recent_operations(limit)

    async def of_card(self, channel: str, ts: str) -> Operation | None:
        """The operation whose card is the message at `channel` and `ts`, if any: how a
        thread names its operation."""
        return await self.store.operation_for_card(channel, ts)

    async def card(self, operation_id: str) -> SlackCard | None:
        """Where the operation's card was posted; None before it was."""
        return await self.store.get_card(operation_id)

    async def calls(self, operation_id: str) -> list[AwsCall]:
        """The AWS calls made for the operation, oldest first."""
        return await self.store.calls_for(operation_id)

    async def accounts_created_since(self, since: datetime, *, among: int) -> set[str]:
        """Accounts that the `among` latest operations created at or after `since`."""
        return {
            operation.progress.account_id
            for operation in await self.store.recent_operations(among)
            if operation.progress.account_id and operation.progress_at >= since
        }

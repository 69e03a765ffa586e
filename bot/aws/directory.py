"""A short-lived cache of the organization's accounts, for checks that must answer within 3 s.

Slack gives a modal submission 3 seconds for its answer, and listing every account of a
large organization can take longer, so the list is read when the modal opens and reused
while it is fresh. A read runs as one shared background task: callers that stop waiting
for it do not stop it, so a slow ListAccounts still fills the cache for the next caller.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.aws.organizations import OrganizationsGateway
from bot.domain.accounts import AccountSummary

log = logging.getLogger(__name__)

FRESH_FOR = 120.0  # seconds


@dataclass
class AccountDirectory:
    organizations: OrganizationsGateway
    _accounts: list[AccountSummary] = field(default_factory=list)
    _read_at: float = float("-inf")
    _reading: asyncio.Task[list[AccountSummary]] | None = field(default=None, init=False)

    async def refresh(self) -> list[AccountSummary]:
        """A new read of the accounts, shared with a read already running.

        Cancelling the caller (a timeout) leaves the read running; its result fills the cache.
        """
        return await asyncio.shield(self._read_task())

    async def accounts(self, *, within: float) -> list[AccountSummary]:
        """The cached list if fresh, else a read that must finish within `within` seconds.

        Raises TimeoutError when it does not; the read goes on and a later call uses it.
        """
        if self.fresh:
            return self._accounts
        async with asyncio.timeout(within):
            return await self.refresh()

    async def accounts_with(
        self, wanted: Callable[[AccountSummary], bool], *, within: float
    ) -> list[AccountSummary]:
        """Like `accounts`, but a cached list with no `wanted` account is read again.

        The account may be newer than the list: one Outpost has just created, say. If the new
        read does not finish within what is left of `within`, the cached list is the answer.
        """
        started = time.monotonic()
        accounts = await self.accounts(within=within)
        if any(wanted(a) for a in accounts) or self._read_at >= started:
            return accounts
        left = within - (time.monotonic() - started)
        try:
            async with asyncio.timeout(max(left, 0.0)):
                return await self.refresh()
        except TimeoutError:
            return accounts

    @property
    def fresh(self) -> bool:
        return time.monotonic() - self._read_at < FRESH_FOR

    def _read_task(self) -> asyncio.Task[list[AccountSummary]]:
        task = self._reading
        if task is None or task.done():
            task = asyncio.create_task(self._read(), name="list-organization-accounts")
            task.add_done_callback(self._read_done)
            self._reading = task
        return task

    async def _read(self) -> list[AccountSummary]:
        accounts = await self.organizations.accounts()
        self._accounts = accounts
        self._read_at = time.monotonic()
        return accounts

    def _read_done(self, task: asyncio.Task[list[AccountSummary]]) -> None:
        if self._reading is task:
            self._reading = None
        if task.cancelled():
            return
        # Retrieved here so a read nobody waited for to the end is not reported as unhandled.
        if (error := task.exception()) is not None:
            log.warning("listing the organization's accounts failed: %s", error)

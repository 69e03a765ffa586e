"""A short-lived cache of the organization's accounts, for checks that must answer within 3 s.

Slack gives a modal submission 3 seconds for its answer, and listing every account of a
large organization can take longer, so the list is read when the modal opens and reused
while it is fresh.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from bot.aws.organizations import OrganizationsGateway
from bot.domain.accounts import AccountSummary

FRESH_FOR = 120.0  # seconds


@dataclass
class AccountDirectory:
    organizations: OrganizationsGateway
    _accounts: list[AccountSummary] = field(default_factory=list)
    _read_at: float = float("-inf")
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def refresh(self) -> list[AccountSummary]:
        async with self._lock:
            self._accounts = await self.organizations.accounts()
            self._read_at = time.monotonic()
            return self._accounts

    async def accounts(self, *, within: float) -> list[AccountSummary]:
        """The cached list if fresh, else a new read that must finish within `within` seconds."""
        if time.monotonic() - self._read_at < FRESH_FOR:
            return self._accounts
        async with asyncio.timeout(within):
            return await self.refresh()

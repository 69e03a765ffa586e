"""A short-lived cache of Identity Center's groups, for the team select's search-as-you-type.

Slack asks for options on every few keystrokes and gives each answer 3 seconds, while
ListGroups filters only by exact name and a directory may hold thousands of groups. So the
groups are read once (one shared background read, as bot/aws/directory.py reads accounts),
kept while fresh, and searched locally. The Identity Center instance never changes under a
running Outpost and is read once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

from bot.aws.identity_center import IdentityCenterGateway
from bot.domain.identity_center import Group, IdentityCenterInstance

log = logging.getLogger(__name__)

FRESH_FOR = 60.0  # seconds: a group made a minute ago shows in the form


@dataclass
class GroupDirectory:
    center: IdentityCenterGateway
    _groups: list[Group] = field(default_factory=list)
    _read_at: float = float("-inf")
    _instance: IdentityCenterInstance | None = None
    _reading: asyncio.Task[list[Group]] | None = field(default=None, init=False)

    async def groups(self, *, within: float) -> list[Group]:
        """The cached groups if fresh, else a read that must finish within `within` seconds.

        Raises TimeoutError when it does not (the read goes on and fills the cache), and
        AwsCallError or IdentityCenterMissing when AWS refuses it.
        """
        if time.monotonic() - self._read_at < FRESH_FOR:
            return self._groups
        async with asyncio.timeout(within):
            return await asyncio.shield(self._read_task())

    async def group(self, group_id: str, *, within: float) -> Group | None:
        """The group as the identity store has it now (not the cache): None if it is gone."""
        async with asyncio.timeout(within):
            return await self.center.group(group_id, await self.instance())

    async def instance(self) -> IdentityCenterInstance:
        if self._instance is None:
            self._instance = await self.center.instance()
        return self._instance

    def _read_task(self) -> asyncio.Task[list[Group]]:
        task = self._reading
        if task is None or task.done():
            task = asyncio.create_task(self._read(), name="list-identity-center-groups")
            task.add_done_callback(self._read_done)
            self._reading = task
        return task

    async def _read(self) -> list[Group]:
        groups = await self.center.groups(await self.instance())
        self._groups = groups
        self._read_at = time.monotonic()
        return groups

    def _read_done(self, task: asyncio.Task[list[Group]]) -> None:
        if self._reading is task:
            self._reading = None
        if task.cancelled():
            return
        # Retrieved here so a read nobody waited for to the end is not reported as unhandled.
        if (error := task.exception()) is not None:
            log.warning("listing Identity Center's groups failed: %s", error)

"""Who counts as ops: members of OPS_USERGROUP (read from Slack, cached briefly) and OPS_USERS.

Membership is read again at the moment someone acts, so removing a person from the group
takes effect within a minute. When Slack cannot be asked, the last list read stands in for
a few minutes; after that nobody counts as ops through the group until Slack answers again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

FRESH_FOR = 60.0  # seconds
STALE_AFTER = 300.0  # seconds: how long the last list read is trusted while Slack fails


@dataclass(frozen=True)
class OpsPeople:
    """Who ops are, as configured: the group and the people listed (bot/ui calls on them)."""

    usergroup: str | None
    users: frozenset[str]


class OpsDirectory:
    def __init__(
        self,
        client: AsyncWebClient,
        *,
        usergroup: str | None,
        users: list[str],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._clock = clock
        self._usergroup = usergroup
        self._users = frozenset(users)
        self._members: frozenset[str] = frozenset()
        self._read_at = float("-inf")

    async def is_ops(self, user: str) -> bool:
        return user in self._users or user in await self._group_members()

    async def members(self) -> frozenset[str]:
        """Everyone who counts as ops now."""
        return self._users | await self._group_members()

    def who(self) -> OpsPeople:
        """Who to call when ops are needed: the group, or else the people listed."""
        return OpsPeople(self._usergroup, self._users)

    async def _group_members(self) -> frozenset[str]:
        if self._usergroup is None:
            return frozenset()
        age = self._clock() - self._read_at
        if age < FRESH_FOR:
            return self._members
        try:
            response = await self._client.usergroups_users_list(usergroup=self._usergroup)
        except SlackApiError as error:
            reason = error.response.get("error")
            if age < STALE_AFTER:
                log.warning(
                    "could not read OPS_USERGROUP members (%s); using the list read %.0f s ago",
                    reason,
                    age,
                )
                return self._members
            log.warning(
                "could not read OPS_USERGROUP members (%s) and no list was read in the last "
                "%.0f s: nobody counts as ops through the group, only OPS_USERS",
                reason,
                STALE_AFTER,
            )
            return frozenset()
        self._members = frozenset(response.get("users") or [])
        self._read_at = self._clock()
        return self._members


async def email_of(client: AsyncWebClient, user: str) -> str | None:
    """The email on the person's Slack profile (needs users:read.email), or None."""
    try:
        response = await client.users_info(user=user)
    except SlackApiError as error:
        log.warning("could not read user %s: %s", user, error.response.get("error"))
        return None
    profile = (response.get("user") or {}).get("profile") or {}
    email = profile.get("email")
    return str(email).strip() if email else None

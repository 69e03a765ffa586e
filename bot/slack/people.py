"""Who counts as ops: members of OPS_USERGROUP (read from Slack, cached briefly) and OPS_USERS.

Membership is read again at the moment someone acts, so removing a person from the group
takes effect within a minute.
"""

from __future__ import annotations

import logging
import time

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

FRESH_FOR = 60.0  # seconds


class OpsDirectory:
    def __init__(self, client: AsyncWebClient, *, usergroup: str | None, users: list[str]) -> None:
        self._client = client
        self._usergroup = usergroup
        self._users = frozenset(users)
        self._members: frozenset[str] = frozenset()
        self._read_at = float("-inf")

    async def is_ops(self, user: str) -> bool:
        return user in self._users or user in await self._group_members()

    async def members(self) -> frozenset[str]:
        """Everyone who counts as ops now."""
        return self._users | await self._group_members()

    def mention(self) -> str:
        """How to call ops in a message: the group, else the listed people."""
        if self._usergroup:
            return f"<!subteam^{self._usergroup}>"
        return " ".join(f"<@{user}>" for user in sorted(self._users)) or "ops"

    async def _group_members(self) -> frozenset[str]:
        if self._usergroup is None:
            return frozenset()
        if time.monotonic() - self._read_at < FRESH_FOR:
            return self._members
        try:
            response = await self._client.usergroups_users_list(usergroup=self._usergroup)
        except SlackApiError as error:
            log.warning("could not read OPS_USERGROUP members: %s", error.response.get("error"))
            return self._members
        self._members = frozenset(response.get("users") or [])
        self._read_at = time.monotonic()
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

"""users.* and usergroups.* of the fake Slack: who a member is, and who is in a user group.

Members and groups are added by the test or the sandbox (``FakeSlack.add_user``,
``add_usergroup``); these methods only read them, as the app does with the
``users:read``, ``users:read.email`` and ``usergroups:read`` scopes.
"""

from __future__ import annotations

from typing import Any

from bot.emulator.slack.area import Area, web_api
from bot.emulator.slack.model import User
from bot.emulator.slack.refusals import Args, Refusal, str_arg


class People(Area):
    """The workspace's members and user groups, as the app looks them up."""

    def add_usergroup(self, group_id: str, *, handle: str, users: list[str]) -> None:
        self._ws.usergroups[group_id] = (handle, list(users))

    @web_api("users.info")
    async def info(self, args: Args) -> dict[str, Any]:
        return {"user": _user_payload(self._ws.known_user(args.get("user")), self._ws.team_id)}

    @web_api("users.lookupByEmail")
    async def lookup_by_email(self, args: Args) -> dict[str, Any]:
        email = args.get("email")
        wanted = email.casefold() if isinstance(email, str) else None
        for user in self._ws.users.values():
            if user.email.casefold() == wanted:
                return {"user": _user_payload(user, self._ws.team_id)}
        raise Refusal("users_not_found")

    @web_api("usergroups.users.list")
    async def usergroup_members(self, args: Args) -> dict[str, Any]:
        group = self._ws.usergroups.get(str_arg(args, "usergroup") or "")
        if group is None:
            raise Refusal("no_such_subteam")
        return {"users": list(group[1])}


def _user_payload(user: User, team_id: str) -> dict[str, Any]:
    return {
        "id": user.id,
        "team_id": team_id,
        "name": user.name,
        "real_name": user.name,
        "tz": user.tz,
        "tz_offset": user.tz_offset,
        "is_bot": user.is_bot,
        "deleted": False,
        "profile": {
            "email": user.email,
            "display_name": user.name,
            "real_name": user.name,
        },
    }

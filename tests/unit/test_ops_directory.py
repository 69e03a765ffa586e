"""Who counts as ops when Slack cannot be asked for the group's members."""

from __future__ import annotations

import logging
from typing import Any, cast

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.people import FRESH_FOR, STALE_AFTER, OpsDirectory
from bot.ui.text import ops_mention


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class UsergroupSlack:
    """usergroups.users.list, answering with `members` unless `failing`."""

    def __init__(self, members: list[str]) -> None:
        self.members = members
        self.failing = False
        self.calls = 0

    async def usergroups_users_list(self, *, usergroup: str) -> dict[str, Any]:
        self.calls += 1
        if self.failing:
            raise SlackApiError(  # type: ignore[no-untyped-call]
                "ratelimited", {"ok": False, "error": "ratelimited"}
            )
        return {"ok": True, "users": list(self.members)}


def ops(slack: UsergroupSlack, clock: Clock) -> OpsDirectory:
    return OpsDirectory(
        cast(AsyncWebClient, slack), usergroup="SOPS", users=["ULISTED"], clock=clock
    )


async def test_the_group_is_read_again_once_the_list_is_a_minute_old() -> None:
    slack, clock = UsergroupSlack(["UOPS"]), Clock()
    directory = ops(slack, clock)
    assert await directory.is_ops("UOPS")
    slack.members = []
    clock.now += FRESH_FOR - 1
    assert await directory.is_ops("UOPS")
    clock.now += 2
    assert not await directory.is_ops("UOPS")
    assert slack.calls == 2


async def test_the_last_list_stands_in_only_for_a_while_when_slack_fails(
    caplog: pytest.LogCaptureFixture,
) -> None:
    slack, clock = UsergroupSlack(["UOPS"]), Clock()
    directory = ops(slack, clock)
    assert await directory.is_ops("UOPS")

    slack.failing = True
    clock.now += FRESH_FOR + 1
    assert await directory.is_ops("UOPS")
    clock.now = 1000.0 + STALE_AFTER - 1
    assert await directory.is_ops("UOPS")

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="bot.slack.people"):
        clock.now = 1000.0 + STALE_AFTER + 1
        assert not await directory.is_ops("UOPS")
    assert "nobody counts as ops through the group" in caplog.text
    assert await directory.is_ops("ULISTED")
    assert await directory.members() == frozenset({"ULISTED"})

    slack.failing = False
    slack.members = ["UOPS", "UNEW"]
    assert await directory.members() == frozenset({"ULISTED", "UOPS", "UNEW"})


async def test_without_any_list_read_a_failure_counts_nobody_from_the_group() -> None:
    slack, clock = UsergroupSlack(["UOPS"]), Clock()
    slack.failing = True
    directory = ops(slack, clock)
    assert not await directory.is_ops("UOPS")
    assert await directory.is_ops("ULISTED")


def test_ops_are_called_by_their_group_else_by_the_people_listed() -> None:
    group = OpsDirectory(
        cast(AsyncWebClient, UsergroupSlack([])), usergroup="SOPS", users=["UB", "UA"]
    ).who()
    listed = OpsDirectory(
        cast(AsyncWebClient, UsergroupSlack([])), usergroup=None, users=["UB", "UA"]
    ).who()
    assert ops_mention(group.usergroup, group.users) == "<!subteam^SOPS>"
    assert ops_mention(listed.usergroup, listed.users) == "<@UA> <@UB>"
    assert ops_mention(None, ()) == "ops"

"""Signed requests to the bot, as the tests' people send them (see bot.emulator.slack_requests).

The defaults are the test workspace's: UENGINEER typing in #platform, signed with SIGNING_SECRET.
"""

from __future__ import annotations

import json
from typing import Any

from bot.emulator import slack_requests as shared

SIGNING_SECRET = "test-signing-secret"


def sign(body: str, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    return shared.sign(body, timestamp, secret)


class SlackRequests(shared.SlackRequests):
    def __init__(self, events_url: str, *, team_id: str = "T0001") -> None:
        super().__init__(events_url, SIGNING_SECRET, team_id=team_id)

    async def command(  # type: ignore[override]
        self,
        text: str,
        *,
        user: str = "UENGINEER",
        channel: str = "CPLATFORM",
        trigger_id: str | None = None,
    ) -> tuple[int, str]:
        return await super().command(
            text, user=user, channel=channel, channel_name="platform", trigger_id=trigger_id
        )

    async def submit_view(
        self,
        view: dict[str, Any],
        values: dict[str, dict[str, Any]],
        *,
        user: str = "UENGINEER",
    ) -> tuple[int, str]:
        return await self.interaction(
            shared.view_submission_payload(view, values, user=user, team_id=self.team_id)
        )

    async def click(
        self,
        action_id: str,
        value: str,
        *,
        channel: str = "CPLATFORM",
        message_ts: str = "",
        user: str = "UENGINEER",
    ) -> tuple[int, str]:
        """Click a button on a message, as Slack reports it."""
        button = {"type": "button", "action_id": action_id, "block_id": "card_actions"}
        return await self.interaction(
            shared.message_actions_payload(
                {**button, "value": value},
                user=user,
                channel=channel,
                message={"ts": message_ts, "type": "message"},
                team_id=self.team_id,
            )
        )

    async def suggest(
        self, view: dict[str, Any], action_id: str, block_id: str, value: str, *, user: str
    ) -> list[dict[str, Any]]:
        """Type into an external select: Slack asks for options as the person types."""
        status, body = await self.interaction(
            shared.suggestion_payload(
                view,
                user=user,
                action_id=action_id,
                block_id=block_id,
                value=value,
                team_id=self.team_id,
            )
        )
        assert status == 200, body
        options: list[dict[str, Any]] = json.loads(body)["options"]
        return options


def command_payload(
    text: str,
    *,
    user: str = "UENGINEER",
    channel: str = "CPLATFORM",
    team_id: str = "T0001",
    trigger_id: str | None = None,
) -> dict[str, str]:
    return shared.command_payload(
        text,
        user=user,
        channel=channel,
        channel_name="platform",
        team_id=team_id,
        trigger_id=trigger_id,
    )


def view_submission_payload(
    view: dict[str, Any],
    values: dict[str, dict[str, Any]],
    *,
    user: str = "UENGINEER",
    team_id: str = "T0001",
) -> dict[str, Any]:
    return shared.view_submission_payload(view, values, user=user, team_id=team_id)


def text_value(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def select_value(value: str, text: str) -> dict[str, Any]:
    return {
        "type": "static_select",
        "selected_option": {"text": {"type": "plain_text", "text": text}, "value": value},
    }

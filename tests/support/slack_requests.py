"""Signed requests to the bot's `/slack/events`, shaped as Slack sends them."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import aiohttp

SIGNING_SECRET = "test-signing-secret"


def sign(body: str, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class SlackRequests:
    def __init__(self, events_url: str, *, team_id: str = "T0001") -> None:
        self.events_url = events_url
        self.team_id = team_id

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> tuple[int, str]:
        ts = int(time.time()) if timestamp is None else timestamp
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": signature or sign(body, ts),
        }
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.events_url, data=body.encode(), headers=headers) as response,
        ):
            return response.status, await response.text()

    async def command(
        self,
        text: str,
        *,
        user: str = "UENGINEER",
        channel: str = "CPLATFORM",
        trigger_id: str | None = None,
    ) -> tuple[int, str]:
        form = command_payload(
            text, user=user, channel=channel, team_id=self.team_id, trigger_id=trigger_id
        )
        return await self.post(urlencode(form), "application/x-www-form-urlencoded")

    async def interaction(self, payload: dict[str, Any]) -> tuple[int, str]:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded")

    async def submit_view(
        self,
        view: dict[str, Any],
        values: dict[str, dict[str, Any]],
        *,
        user: str = "UENGINEER",
    ) -> tuple[int, str]:
        return await self.interaction(
            view_submission_payload(view, values, user=user, team_id=self.team_id)
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
        return await self.interaction(
            {
                "type": "block_actions",
                "team": {"id": self.team_id, "domain": "example"},
                "user": {"id": user, "username": user.lower(), "team_id": self.team_id},
                "api_app_id": "AOUTPOST",
                "trigger_id": f"trigger-{uuid.uuid4().hex}",
                "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
                "channel": {"id": channel, "name": "platform"},
                "message": {"ts": message_ts, "type": "message"},
                "response_url": "http://127.0.0.1:9/actions/response",
                "actions": [
                    {
                        "type": "button",
                        "action_id": action_id,
                        "block_id": "card_actions",
                        "value": value,
                        "action_ts": str(time.time()),
                    }
                ],
            }
        )

    async def suggest(
        self, view: dict[str, Any], action_id: str, block_id: str, value: str, *, user: str
    ) -> list[dict[str, Any]]:
        """Type into an external select: Slack asks for options as the person types."""
        status, body = await self.interaction(
            {
                "type": "block_suggestion",
                "team": {"id": self.team_id, "domain": "example"},
                "user": {"id": user, "username": user.lower(), "team_id": self.team_id},
                "api_app_id": "AOUTPOST",
                "action_id": action_id,
                "block_id": block_id,
                "value": value,
                "container": {"type": "view", "view_id": view.get("id", "")},
                "view": view,
            }
        )
        assert status == 200, body
        options: list[dict[str, Any]] = json.loads(body)["options"]
        return options

    async def event(self, event: dict[str, Any]) -> tuple[int, str]:
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": self.team_id,
                "api_app_id": "AOUTPOST",
                "type": "event_callback",
                "event_id": f"Ev{uuid.uuid4().hex[:10]}",
                "event_time": int(time.time()),
                "event": event,
            }
        )
        return await self.post(body, "application/json")


def command_payload(
    text: str,
    *,
    user: str = "UENGINEER",
    channel: str = "CPLATFORM",
    team_id: str = "T0001",
    trigger_id: str | None = None,
) -> dict[str, str]:
    """A slash command as Slack sends it: a form over HTTP, the same fields over a socket."""
    return {
        "token": "legacy",
        "team_id": team_id,
        "team_domain": "example",
        "channel_id": channel,
        "channel_name": "platform",
        "user_id": user,
        "user_name": user.lower(),
        "command": "/account",
        "text": text,
        "api_app_id": "AOUTPOST",
        "response_url": "http://127.0.0.1:9/commands/response",
        "trigger_id": trigger_id or f"trigger-{uuid.uuid4().hex}",
    }


def view_submission_payload(
    view: dict[str, Any],
    values: dict[str, dict[str, Any]],
    *,
    user: str = "UENGINEER",
    team_id: str = "T0001",
) -> dict[str, Any]:
    """A modal's submission: the view as shown, with what the user entered in its state."""
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": "example"},
        "user": {"id": user, "username": user.lower(), "team_id": team_id},
        "api_app_id": "AOUTPOST",
        "trigger_id": f"trigger-{uuid.uuid4().hex}",
        "view": dict(view, state={"values": values}),
    }


def text_value(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def select_value(value: str, text: str) -> dict[str, Any]:
    return {
        "type": "static_select",
        "selected_option": {"text": {"type": "plain_text", "text": text}, "value": value},
    }

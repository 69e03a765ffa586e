"""Requests to the app at `/slack/events`, signed and shaped as Slack sends them.

The test suite and the sandbox's page both act as Slack towards Outpost through this module, so
the payloads the page sends are the ones the tests prove the bot handles. Shapes follow Slack's
documented payloads for slash commands, `block_actions`, `block_suggestion`, `view_submission`,
`view_closed` and the Events API; fields Outpost does not read are kept to those Slack always sends.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import Any, Final
from urllib.parse import urlencode

import aiohttp

API_APP_ID: Final = "AOUTPOST"
# Where a payload's response_url points when the caller has none to give: nothing listens there.
NOWHERE: Final = "http://127.0.0.1:9"


def sign(body: str, timestamp: int, secret: str) -> str:
    """Slack's request signature (v0) of `body` sent at `timestamp`."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class SlackRequests:
    """Posts signed requests to one app's events URL and returns (HTTP status, body).

    `timeout` (seconds) is how long Slack waits for the app's answer; None waits as long as it
    takes, which tests want, while the sandbox waits 3 s as Slack does.
    """

    def __init__(
        self,
        events_url: str,
        signing_secret: str,
        *,
        team_id: str = "T0001",
        timeout: float | None = None,
    ) -> None:
        self.events_url = events_url
        self.signing_secret = signing_secret
        self.team_id = team_id
        self.timeout = timeout

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        ts = int(time.time()) if timestamp is None else timestamp
        headers = {
            **(headers or {}),
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": signature or sign(body, ts, self.signing_secret),
        }
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(self.events_url, data=body.encode(), headers=headers) as response,
        ):
            return response.status, await response.text()

    async def command(
        self,
        text: str,
        *,
        user: str,
        channel: str,
        channel_name: str = "",
        trigger_id: str | None = None,
        response_url: str | None = None,
    ) -> tuple[int, str]:
        form = command_payload(
            text,
            user=user,
            channel=channel,
            channel_name=channel_name,
            team_id=self.team_id,
            trigger_id=trigger_id,
            response_url=response_url,
        )
        return await self.post(urlencode(form), "application/x-www-form-urlencoded")

    async def interaction(self, payload: dict[str, Any]) -> tuple[int, str]:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded")

    async def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry: int = 0
    ) -> tuple[int, str]:
        """Deliver an event; `retry` n > 0 delivers `event_id` again as Slack's n-th retry
        does, with the same id and the `X-Slack-Retry-Num` and `X-Slack-Retry-Reason` headers."""
        body = json.dumps(event_payload(event, team_id=self.team_id, event_id=event_id))
        headers = {}
        if retry:
            headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.post(body, "application/json", headers=headers)


def event_payload(
    event: dict[str, Any], *, team_id: str = "T0001", event_id: str | None = None
) -> dict[str, Any]:
    """An Events API delivery of `event`, as Slack POSTs it or puts it in a socket envelope."""
    return {
        "token": "legacy",
        "team_id": team_id,
        "api_app_id": API_APP_ID,
        "type": "event_callback",
        "event_id": event_id or new_event_id(),
        "event_time": int(time.time()),
        "event": event,
    }


def new_event_id() -> str:
    """An id in the form Slack gives each event it delivers."""
    return f"Ev{uuid.uuid4().hex[:10].upper()}"


def command_payload(
    text: str,
    *,
    user: str,
    channel: str,
    channel_name: str = "",
    team_id: str = "T0001",
    trigger_id: str | None = None,
    response_url: str | None = None,
) -> dict[str, str]:
    """A slash command as Slack sends it: a form over HTTP, the same fields over a socket."""
    return {
        "token": "legacy",
        "team_id": team_id,
        "team_domain": "example",
        "channel_id": channel,
        "channel_name": channel_name or channel.lower(),
        "user_id": user,
        "user_name": user.lower(),
        "command": "/account",
        "text": text,
        "api_app_id": API_APP_ID,
        "response_url": response_url or f"{NOWHERE}/commands/response",
        "trigger_id": _trigger(trigger_id),
    }


def _interaction(kind: str, user: str, team_id: str, **fields: Any) -> dict[str, Any]:
    """What every interaction payload carries: its type, the team, the person, the app."""
    return {
        "type": kind,
        "team": {"id": team_id, "domain": "example"},
        "user": {"id": user, "username": user.lower(), "team_id": team_id},
        "api_app_id": API_APP_ID,
        **fields,
    }


def _block_actions(
    action: dict[str, Any], user: str, team_id: str, trigger_id: str | None, **where: Any
) -> dict[str, Any]:
    """What every click or pick carries, wherever the element is (`where`): the element acted
    on, when, and a trigger the app may open a modal with."""
    return _interaction(
        "block_actions",
        user,
        team_id,
        trigger_id=_trigger(trigger_id),
        actions=[_timed(action)],
        **where,
    )


def _trigger(trigger_id: str | None) -> str:
    return trigger_id or f"trigger-{uuid.uuid4().hex}"


def view_submission_payload(
    view: dict[str, Any],
    values: dict[str, dict[str, Any]],
    *,
    user: str,
    team_id: str = "T0001",
    trigger_id: str | None = None,
) -> dict[str, Any]:
    """A modal's submission: the view as shown, with what the user entered in its state."""
    return _interaction(
        "view_submission",
        user,
        team_id,
        trigger_id=_trigger(trigger_id),
        view=dict(view, state={"values": values}),
    )


def view_closed_payload(
    view: dict[str, Any], *, user: str, team_id: str = "T0001"
) -> dict[str, Any]:
    """The person closed a modal that asked to hear of it (`notify_on_close`)."""
    return _interaction("view_closed", user, team_id, view=view, is_cleared=False)


def message_actions_payload(
    action: dict[str, Any],
    *,
    user: str,
    channel: str,
    message: dict[str, Any],
    team_id: str = "T0001",
    trigger_id: str | None = None,
    response_url: str | None = None,
) -> dict[str, Any]:
    """A click (or pick) on an element of a message, as `block_actions`."""
    return _block_actions(
        action,
        user,
        team_id,
        trigger_id,
        container={
            "type": "message",
            "message_ts": str(message.get("ts", "")),
            "channel_id": channel,
            "is_ephemeral": bool(message.get("is_ephemeral")),
        },
        channel={"id": channel, "name": channel.lower()},
        message=message,
        response_url=response_url or f"{NOWHERE}/actions/response",
    )


def view_actions_payload(
    action: dict[str, Any],
    *,
    user: str,
    view: dict[str, Any],
    values: dict[str, dict[str, Any]] | None = None,
    team_id: str = "T0001",
    trigger_id: str | None = None,
) -> dict[str, Any]:
    """A click (or pick) on an element of a modal or of the App Home, as `block_actions`."""
    return _block_actions(
        action,
        user,
        team_id,
        trigger_id,
        container={"type": "view", "view_id": view.get("id", "")},
        view=dict(view, state={"values": values or {}}),
    )


def suggestion_payload(
    view: dict[str, Any],
    *,
    user: str,
    action_id: str,
    block_id: str,
    value: str,
    team_id: str = "T0001",
) -> dict[str, Any]:
    """Typing in an external select: Slack asks the app for options."""
    return _interaction(
        "block_suggestion",
        user,
        team_id,
        action_id=action_id,
        block_id=block_id,
        value=value,
        container={"type": "view", "view_id": view.get("id", "")},
        view=view,
    )


def app_mention_event(
    text: str, *, user: str, channel: str, ts: str, thread_ts: str | None = None
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "app_mention",
        "user": user,
        "text": text,
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return event


def app_home_opened_event(user: str, *, channel: str) -> dict[str, Any]:
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": channel,
        "tab": "home",
        "event_ts": f"{time.time():.6f}",
    }


def _timed(action: dict[str, Any]) -> dict[str, Any]:
    return {**action, "action_ts": f"{time.time():.6f}"}

"""What a signed request's body must look like before Bolt reads it.

A valid signature says who sent a body, not that it has the shape Slack gives its payloads.
Bolt takes the shape for granted: a body that is JSON but not an object, or a `user` that is
a number, raises inside Bolt before any listener or error handler runs, and the request gets a
500 with a traceback. And Bolt reads any form body that holds the word "payload" anywhere (in a
command's text, say) as an interaction, and finds nothing in it. So the HTTP edge reads the
payload here, as Slack sends it (a JSON body, or a form whose `payload` field, if it has one,
is JSON), hands Bolt that payload, and checks at one place what Bolt and Outpost's event
listeners read:

- every payload is a JSON object, and so is a form's `payload`;
- `user`, `team`, `channel` and `enterprise`, wherever Bolt looks for them (the payload, its
  `event`, the first of its `authorizations`), are an id or an object;
- what Bolt routes on (`type`, `command`, `callback_id`, each action's `action_id` and
  `block_id`) is text, in the objects Slack puts it in (`view`, `actions`);
- an event is an object with a type, and the events Outpost subscribes to carry the fields
  Slack always sends with them.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from bot.domain.errors import InvalidInput

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"

# Where Bolt looks for who sent a request and from where: an id, or an object holding one.
_ID_OR_OBJECT = ("user", "team", "channel", "enterprise")
# What Bolt reads to pick a listener: text where present, and the objects they sit in.
_ROUTING_TEXT = ("type", "command", "callback_id", "action_id", "block_id")
_ROUTING_OBJECTS = ("view", "container", "message")
# The string fields each event Outpost subscribes to must have, and those it may have.
_EVENT_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "app_mention": (("user", "channel"), ("text", "thread_ts", "ts")),
    "app_home_opened": (("user",), ("tab", "channel")),
}


class NotSlacksShape(InvalidInput):
    """A body Slack never sends. `reason` names what is wrong, never what the body holds."""

    def __init__(self, reason: str, *, event: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.event = event  # an Events API delivery, which Slack retries unless answered 200


def slack_payload(text: str, content_type: str) -> dict[str, Any]:
    """The payload of a signed body of `content_type` (its media type alone); NotSlacksShape if
    Slack never sends one like it."""
    try:
        payload = _read(text, content_type)
    except ValueError:
        raise NotSlacksShape("body is not the JSON or form Slack sends", event=False) from None
    if not isinstance(payload, dict):
        raise NotSlacksShape("payload is not a JSON object", event=False)
    event = payload.get("type") == "event_callback"
    problem = (
        _envelope_problem(payload)
        or _routing_problem(payload)
        or (_event_problem(payload) if event else None)
    )
    if problem is not None:
        raise NotSlacksShape(problem, event=event)
    return payload


def _read(text: str, content_type: str) -> Any:
    if content_type == JSON:
        return json.loads(text)
    if content_type != FORM:
        raise ValueError(content_type)
    fields = dict(parse_qsl(text, keep_blank_values=True))
    return json.loads(fields["payload"]) if "payload" in fields else fields


def _envelope_problem(payload: dict[str, Any]) -> str | None:
    authorizations = payload.get("authorizations")
    if authorizations is not None and not (
        isinstance(authorizations, list) and all(isinstance(a, dict) for a in authorizations)
    ):
        return "authorizations is not a list of objects"
    if "event" in payload and not isinstance(payload["event"], dict):
        return "event is not an object"
    places = [payload, *(authorizations or [])[:1], payload.get("event") or {}]
    for place in places:
        for field in _ID_OR_OBJECT:
            if place.get(field) is not None and not isinstance(place[field], str | dict):
                return f"{field} is neither an id nor an object"
    return None


def _routing_problem(payload: dict[str, Any]) -> str | None:
    for field in _ROUTING_OBJECTS:
        if payload.get(field) is not None and not isinstance(payload[field], dict):
            return f"{field} is not an object"
    actions = payload.get("actions")
    if actions is not None and not (
        isinstance(actions, list) and all(isinstance(a, dict) for a in actions)
    ):
        return "actions is not a list of objects"
    for place in [payload, payload.get("view") or {}, *(actions or [])]:
        for field in _ROUTING_TEXT:
            if place.get(field) is not None and not isinstance(place[field], str):
                return f"{field} is not a string"
    return None


def _event_problem(payload: dict[str, Any]) -> str | None:
    event = payload.get("event")
    if not isinstance(event, dict):
        return "event is missing"
    kind = event.get("type")
    if not isinstance(kind, str):
        return "event has no type"
    required, optional = _EVENT_FIELDS.get(kind, ((), ()))
    for field in required:
        if not isinstance(event.get(field), str):
            return f"{kind} without a {field}"
    for field in optional:
        if field in event and not isinstance(event[field], str):
            return f"{kind} with a {field} that is not a string"
    return None

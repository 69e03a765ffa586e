"""Signed requests of a shape Slack never sends are refused or ignored at one place, quietly.

Whoever holds the signing secret (or Slack itself, on a bad day) can send a body that is JSON
but not an object, a form whose `payload` is not an object, a `user` or `team` that is neither
an id nor an object, or an event without the fields every event of its type carries. None of
them may reach a listener half-read: each gets 400 (not Slack's shape at all) or 200 (an
event, which Slack would otherwise deliver again), one line of log, no traceback, and no call
to Slack or AWS.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlencode

from bot.emulator.aws_faults import ThreadedAwsFaultProxy
from bot.emulator.slack import FakeSlack
from bot.emulator.slack_requests import event_payload
from tests.support.bot_process import BotProcess
from tests.support.slack_requests import SlackRequests

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
NOT_OBJECTS = ["[1, 2]", "[]", "5", "-0.5", '"text"', "null", "true"]


def bodies_that_are_not_objects() -> dict[str, tuple[str, str]]:
    """(body, content type) by name: JSON that is not an object, as the body or as `payload`,
    fields Bolt reads (who, where, what to route to) of the wrong type, and a content type
    Slack never sends."""
    bodies = {f"JSON {value}": (value, JSON) for value in NOT_OBJECTS}
    bodies |= {f"payload {value}": (urlencode({"payload": value}), FORM) for value in NOT_OBJECTS}
    bodies["payload not JSON"] = (urlencode({"payload": "{not json"}), FORM)
    click = {"type": "block_actions", "actions": [], "channel": {"id": "CPLATFORM"}}
    for field, value in [("user", 5), ("team", True), ("channel", 1.5), ("enterprise", 7)]:
        payload = json.dumps({**click, "user": {"id": "UENGINEER"}, field: value})
        bodies[f"{field} {value}"] = (urlencode({"payload": payload}), FORM)
    bodies["authorizations a string"] = (json.dumps({**click, "authorizations": "x"}), JSON)
    for field, value in [
        ("actions", 5),
        ("actions", [5]),
        ("actions", [{"action_id": 5, "block_id": "b"}]),
        ("view", "V1"),
        ("callback_id", ["x"]),
        ("type", ["block_actions"]),
    ]:
        payload = json.dumps({**click, "user": {"id": "UENGINEER"}, field: value})
        bodies[f"{field} {value}"] = (urlencode({"payload": payload}), FORM)
    suggestion = {"type": "block_suggestion", "user": {"id": "UOPS"}, "action_id": 5}
    bodies["suggestion for a number"] = (urlencode({"payload": json.dumps(suggestion)}), FORM)
    command = urlencode({"command": "/account", "text": "help", "user_id": "UENGINEER"})
    bodies["command as text/plain"] = (command, "text/plain")
    bodies["command as multipart"] = (command, "multipart/form-data; boundary=x")
    return bodies


MENTION = {"type": "app_mention", "user": "UENGINEER", "text": "<@UOUTPOST> status"}
ODD_EVENTS: dict[str, Any] = {
    "event a list": [1],
    "event a string": "app_mention",
    "event null": None,
    "mention without channel": MENTION,
    "mention without user": {"type": "app_mention", "text": "hi", "channel": "CPLATFORM"},
    "mention with a numeric channel": {**MENTION, "channel": 5},
    "mention with a user object": {**MENTION, "channel": "CPLATFORM", "user": {"id": "U1"}},
    "mention with a numeric thread": {**MENTION, "channel": "CPLATFORM", "thread_ts": 1.5},
    "mention with text a list": {**MENTION, "channel": "CPLATFORM", "text": ["status"]},
    "home without user": {"type": "app_home_opened", "channel": "D1", "tab": "home"},
    "home with a numeric user": {"type": "app_home_opened", "user": 7, "tab": "home"},
    "event without type": {"user": "UENGINEER", "channel": "CPLATFORM"},
}


def odd_event_bodies() -> dict[str, str]:
    bodies = {}
    for name, event in ODD_EVENTS.items():
        delivery = event_payload({}, team_id="T0001")
        delivery["event"] = event
        bodies[name] = json.dumps(delivery)
    for field, value in [("authorizations", [5]), ("user", 5), ("team", [])]:
        delivery = event_payload({**MENTION, "channel": "CPLATFORM"}, team_id="T0001")
        bodies[f"delivery with {field} {value}"] = json.dumps(delivery | {field: value})
    missing = event_payload({}, team_id="T0001")
    del missing["event"]
    bodies["event missing"] = json.dumps(missing)
    return bodies


async def test_signed_bodies_that_are_not_json_objects_get_400_and_reach_nothing(
    bot: BotProcess, requests: SlackRequests, slack: FakeSlack, aws: ThreadedAwsFaultProxy
) -> None:
    await asyncio.sleep(0.5)  # the start-up calls are over
    slack_calls, aws_calls, logged = len(slack.calls), len(aws.calls), len(bot.log())

    bodies = bodies_that_are_not_objects()
    answered = {
        name: (await requests.post(body, content_type))[0]
        for name, (body, content_type) in bodies.items()
    }

    assert {name: status for name, status in answered.items() if status != 400} == {}
    await asyncio.sleep(0.5)
    assert [c.method for c in slack.calls[slack_calls:]] == []
    assert [c.operation for c in aws.calls[aws_calls:]] == []
    log = bot.log()[logged:]
    assert "Traceback" not in log and "unexpected error" not in log, log[:3000]
    assert len(log.splitlines()) <= len(bodies), log[:3000]
    status, text = await requests.command("help")
    assert status == 200 and "/account new" in text


async def test_signed_events_of_a_shape_slack_never_sends_are_answered_and_ignored(
    bot: BotProcess, requests: SlackRequests, slack: FakeSlack, aws: ThreadedAwsFaultProxy
) -> None:
    await asyncio.sleep(0.5)
    slack_calls, aws_calls, logged = len(slack.calls), len(aws.calls), len(bot.log())

    bodies = odd_event_bodies()
    answered = {name: (await requests.post(body, JSON))[0] for name, body in bodies.items()}

    assert {name: status for name, status in answered.items() if status not in (200, 400)} == {}
    await asyncio.sleep(0.5)  # many engine and outbox intervals of the test settings
    assert [c.method for c in slack.calls[slack_calls:]] == []
    assert [c.operation for c in aws.calls[aws_calls:]] == []
    log = bot.log()[logged:]
    assert "Traceback" not in log and "unexpected error" not in log, log[:3000]
    lines = log.splitlines()
    assert len(lines) == len(bodies), log[:3000]
    # Events Slack does send are still acted on.
    status, _ = await requests.event(
        {"type": "app_home_opened", "user": "UENGINEER", "channel": "D1", "tab": "home"}
    )
    assert status == 200


async def test_a_command_whose_text_holds_the_word_payload_is_answered(
    requests: SlackRequests,
) -> None:
    """A form is read as a form: only a `payload` field makes it an interaction."""
    status, text = await requests.command("explain payload-too-large")
    assert status == 200, text
    assert "payload-too-large" in text

"""Events: the App Home tab and mentions are answered, never met with silence."""

from __future__ import annotations

import json

from bot.emulator.slack_api import FakeSlack
from tests.support.slack_requests import SlackRequests
from tests.support.waiting import eventually


async def test_opening_the_home_tab_publishes_what_outpost_can_do(
    slack: FakeSlack, requests: SlackRequests
) -> None:
    status, _ = await requests.event(
        {"type": "app_home_opened", "user": "UENGINEER", "channel": "DHOME", "tab": "home"}
    )
    assert status == 200
    home = await eventually(lambda: slack.published_home("UENGINEER"), what="the home tab")
    assert "/account new" in json.dumps(home["blocks"])


async def test_a_mention_is_answered_in_its_thread(
    slack: FakeSlack, requests: SlackRequests
) -> None:
    mention = slack.add_message("CPLATFORM", user="UENGINEER", text="<@UOUTPOST> hello")
    status, _ = await requests.event(
        {
            "type": "app_mention",
            "user": "UENGINEER",
            "text": "<@UOUTPOST> hello",
            "ts": mention.ts,
            "channel": "CPLATFORM",
        }
    )
    assert status == 200
    replies = await eventually(
        lambda: slack.thread("CPLATFORM", mention.ts), what="an answer in the thread"
    )
    assert "/account help" in json.dumps(replies[0].blocks)

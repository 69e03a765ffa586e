"""How the sandbox applies the app's answers, as Slack does, with a hand-written app."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.emulator.slack import SLACKBOT_USER_ID, FakeSlack
from bot.emulator.slack_requests import SlackRequests
from bot.sandbox.workspace import ActionRefused, Workspace

ERIN = "UERIN"


class App:
    """Answers every request with the next of `answers`, and keeps what it was sent."""

    def __init__(self, *answers: tuple[int, str]) -> None:
        self.answers = list(answers)
        self.sent: list[dict[str, Any]] = []

    async def _answer(self, sent: dict[str, Any]) -> tuple[int, str]:
        self.sent.append(sent)
        return self.answers.pop(0)

    async def command(self, text: str, **fields: Any) -> tuple[int, str]:
        return await self._answer({"command": text, **fields})

    async def interaction(self, payload: dict[str, Any]) -> tuple[int, str]:
        return await self._answer(payload)

    async def event(self, event: dict[str, Any]) -> tuple[int, str]:
        return await self._answer(event)


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        fake.add_channel("CPLATFORM", name="platform")
        fake.add_user(ERIN, name="erin", email="erin@example.com")
        yield fake


def workspace(slack: FakeSlack, app: App) -> Workspace:
    return Workspace(slack, cast(SlackRequests, app))


def shown_to_erin(slack: FakeSlack) -> list[tuple[str | None, str]]:
    return [(m.user, m.text) for m in slack.visible_to(ERIN)]


async def test_an_ack_with_text_is_the_apps_answer_to_its_person_only(slack: FakeSlack) -> None:
    await workspace(slack, App((200, "Try /account help"))).type(
        ERIN, "CPLATFORM", None, "/account nonsense"
    )

    (answer,) = slack.messages("CPLATFORM")
    assert (answer.user, answer.text, answer.ephemeral_to) == (
        slack.bot_user_id,
        "Try /account help",
        ERIN,
    )


async def test_an_ack_with_blocks_slack_refuses_fails_the_command(slack: FakeSlack) -> None:
    too_long = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    app = App((200, json.dumps({"text": "hi", "blocks": [too_long]})))

    await workspace(slack, app).type(ERIN, "CPLATFORM", None, "/account help")

    assert shown_to_erin(slack) == [
        (SLACKBOT_USER_ID, '/account failed with the error "invalid_blocks"')
    ]


async def test_an_app_that_fails_gets_slacks_own_error(slack: FakeSlack) -> None:
    await workspace(slack, App((500, "boom"))).type(ERIN, "CPLATFORM", None, "/account help")

    assert shown_to_erin(slack) == [
        (SLACKBOT_USER_ID, '/account failed with the error "dispatch_failed"')
    ]


async def test_a_slash_command_in_a_thread_never_reaches_the_app(slack: FakeSlack) -> None:
    parent = slack.add_message("CPLATFORM", user=ERIN, text="parent")
    app = App()

    with pytest.raises(ActionRefused, match="not supported in threads"):
        await workspace(slack, app).type(ERIN, "CPLATFORM", parent.ts, "/account help")

    assert app.sent == []


async def opened_modal(slack: FakeSlack) -> str:
    trigger = slack.issue_trigger(ERIN)
    view = {
        "type": "modal",
        "callback_id": "form",
        "title": {"type": "plain_text", "text": "Form"},
        "submit": {"type": "plain_text", "text": "Go"},
        "blocks": [
            {
                "type": "input",
                "block_id": "name",
                "label": {"type": "plain_text", "text": "Name"},
                "element": {"type": "plain_text_input", "action_id": "name_input"},
            }
        ],
    }
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
    opened = await client.views_open(trigger_id=trigger, view=view)
    return str(opened["view"]["id"])


async def test_errors_in_the_answer_keep_the_modal_open_with_them(slack: FakeSlack) -> None:
    view_id = await opened_modal(slack)
    errors = {"response_action": "errors", "errors": {"name": "Too short."}}
    space = workspace(slack, App((200, json.dumps(errors))))

    result = await space.submit(ERIN, view_id, {"name": {"name_input": {"value": "x"}}})

    assert result.errors == {"name": "Too short."}
    modal = slack.modal_of(ERIN)
    assert modal is not None and modal["id"] == view_id
    assert space.modal_errors(view_id) == {"name": "Too short."}


async def test_an_empty_answer_closes_the_modal(slack: FakeSlack) -> None:
    view_id = await opened_modal(slack)

    result = await workspace(slack, App((200, ""))).submit(ERIN, view_id, {})

    assert result.closed
    assert slack.modal_of(ERIN) is None

"""The fake Slack acting as people: their modals, their response URLs, what each one sees.

The sandbox's page and the tests that act as a person rely on these: a modal belongs to whoever
was issued the trigger, a response URL answers only its person unless told otherwise, and
`wait_changed` lets a page follow the workspace without polling in a loop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.emulator.slack import SLACKBOT_USER_ID, FakeSlack
from tests.emulator.clients import slack_error


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        fake.add_channel("C1", name="outpost-requests")
        fake.add_user("U1", name="alice", email="alice@example.com")
        fake.add_user("U2", name="bob", email="bob@example.com")
        yield fake


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def modal(title: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title},
        "blocks": [section("hello")],
        **extra,
    }


def title_of(view: dict[str, Any] | None) -> str | None:
    return None if view is None else str(view["title"]["text"])


async def open_for(slack: FakeSlack, client: AsyncWebClient, user: str, title: str) -> str:
    response = await client.views_open(trigger_id=slack.issue_trigger(user), view=modal(title))
    return str(response["view"]["id"])


async def push_for(slack: FakeSlack, client: AsyncWebClient, user: str, title: str) -> str:
    response = await client.views_push(trigger_id=slack.issue_trigger(user), view=modal(title))
    return str(response["view"]["id"])


def texts(messages: list[Any]) -> list[str]:
    return [m.text for m in messages]


# --- modals belong to a person ------------------------------------------------------


async def test_modal_opened_with_a_persons_trigger_is_theirs_only(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    view_id = await open_for(slack, client, "U1", "New account")

    mine = slack.modal_of("U1")
    assert mine is not None
    assert (mine["id"], title_of(mine)) == (view_id, "New account")
    assert slack.modal_of("U2") is None


async def test_modal_opened_with_an_unissued_trigger_is_nobodys(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    opened = await client.views_open(trigger_id="t-anonymous", view=modal("Somewhere"))

    assert opened["view"]["id"] in slack.views()
    assert slack.modal_of("U1") is None
    assert slack.modal_of("U2") is None


def test_a_trigger_is_issued_only_to_a_member(slack: FakeSlack) -> None:
    with pytest.raises(ValueError):
        slack.issue_trigger("UNOPE")


async def test_two_people_keep_their_own_modals(slack: FakeSlack, client: AsyncWebClient) -> None:
    alices = await open_for(slack, client, "U1", "Alice's")
    await open_for(slack, client, "U2", "Bob's")

    slack.close_view(alices)

    assert slack.modal_of("U1") is None
    assert title_of(slack.modal_of("U2")) == "Bob's"


async def test_pushed_modal_is_on_top_and_closing_it_reveals_the_one_below(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    await open_for(slack, client, "U1", "Step 1")
    pushed = await push_for(slack, client, "U1", "Step 2")

    assert title_of(slack.modal_of("U1")) == "Step 2"
    slack.close_view(pushed)
    assert title_of(slack.modal_of("U1")) == "Step 1"


async def test_a_fourth_pushed_view_is_refused_and_changes_nothing(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    await open_for(slack, client, "U1", "One")
    await push_for(slack, client, "U1", "Two")
    third = await push_for(slack, client, "U1", "Three")
    views_before, version_before = slack.views(), slack.version
    trigger = slack.issue_trigger("U1")

    refused = await slack_error(client.views_push(trigger_id=trigger, view=modal("Four")))

    assert refused.response["error"] == "push_limit_reached"
    assert title_of(slack.modal_of("U1")) == "Three"
    assert slack.views() == views_before
    assert slack.version == version_before
    # The refused call did not use the trigger up: with room again, it pushes.
    slack.close_view(third)
    await client.views_push(trigger_id=trigger, view=modal("Four"))
    assert title_of(slack.modal_of("U1")) == "Four"


async def test_the_push_limit_is_per_person(slack: FakeSlack, client: AsyncWebClient) -> None:
    await open_for(slack, client, "U1", "One")
    await push_for(slack, client, "U1", "Two")
    await push_for(slack, client, "U1", "Three")
    await open_for(slack, client, "U2", "Bob 1")

    await push_for(slack, client, "U2", "Bob 2")

    assert title_of(slack.modal_of("U2")) == "Bob 2"


async def test_views_open_replaces_the_persons_whole_stack(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    first = await open_for(slack, client, "U1", "Old 1")
    second = await push_for(slack, client, "U1", "Old 2")
    bobs = await open_for(slack, client, "U2", "Bob's")

    fresh = await open_for(slack, client, "U1", "Fresh")
    gone = await slack_error(client.views_update(view_id=first, view=modal("Revived")))
    slack.close_view(fresh)

    assert first not in slack.views()
    assert second not in slack.views()
    assert gone.response["error"] == "not_found"
    assert slack.modal_of("U1") is None  # nothing left under the fresh modal
    assert title_of(slack.modal_of("U2")) == "Bob's"
    assert bobs in slack.views()


async def test_close_modals_closes_every_modal_of_that_person_only(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    first = await open_for(slack, client, "U1", "One")
    second = await push_for(slack, client, "U1", "Two")
    await open_for(slack, client, "U2", "Bob's")

    slack.close_modals("U1")

    assert slack.modal_of("U1") is None
    assert first not in slack.views()
    assert second not in slack.views()
    assert title_of(slack.modal_of("U2")) == "Bob's"


async def test_response_action_push_is_capped_like_views_push(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    await open_for(slack, client, "U1", "One")

    assert slack.push_view("U1", modal("Two")) == []
    assert slack.push_view("U1", modal("Three")) == []
    views_before = slack.views()
    refused = slack.push_view("U1", modal("Four"))

    assert refused == ["[ERROR] push_limit_reached"]
    assert title_of(slack.modal_of("U1")) == "Three"
    assert slack.views() == views_before


async def test_response_action_push_of_an_invalid_view_shows_errors_and_pushes_nothing(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    await open_for(slack, client, "U1", "One")

    errors = slack.push_view("U1", modal("x" * 25))

    assert any("[json-pointer:/view/title]" in error for error in errors), errors
    assert title_of(slack.modal_of("U1")) == "One"


async def test_response_action_update_replaces_the_modal_in_place(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    view_id = await open_for(slack, client, "U1", "Step 1")
    old_hash = slack.views()[view_id]["hash"]

    assert slack.replace_view(view_id, modal("Step 2")) == []

    shown = slack.modal_of("U1")
    assert shown is not None
    assert (shown["id"], title_of(shown)) == (view_id, "Step 2")
    assert shown["hash"] != old_hash


async def test_response_action_update_refuses_an_invalid_or_closed_view(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    view_id = await open_for(slack, client, "U1", "Step 1")

    invalid = slack.replace_view(view_id, modal("x" * 25))
    assert invalid != []
    assert title_of(slack.modal_of("U1")) == "Step 1"

    slack.close_view(view_id)
    assert slack.replace_view(view_id, modal("Step 2")) == ["[ERROR] the view is closed"]
    assert view_id not in slack.views()


# --- response URLs ------------------------------------------------------------------


async def test_response_url_post_is_shown_only_to_its_person(slack: FakeSlack) -> None:
    url = slack.response_url("U1", "C1")

    response = await AsyncWebhookClient(url).send(text="Only you can see this")

    assert (response.status_code, response.body) == (200, "ok")
    [message] = slack.messages("C1")
    assert (message.text, message.ephemeral_to, message.user) == (
        "Only you can see this",
        "U1",
        "UOUTPOST",
    )
    assert texts(slack.visible_to("U1")) == ["Only you can see this"]
    assert slack.visible_to("U2") == []


async def test_response_url_in_channel_post_is_shown_to_everyone(slack: FakeSlack) -> None:
    url = slack.response_url("U1", "C1")

    await AsyncWebhookClient(url).send(
        text="Account ready", blocks=[section("*Account ready*")], response_type="in_channel"
    )

    [message] = slack.messages("C1")
    assert message.ephemeral_to is None
    assert message.blocks == [section("*Account ready*")]
    assert texts(slack.visible_to("U1")) == texts(slack.visible_to("U2")) == ["Account ready"]


async def test_response_url_replace_original_rewrites_the_message_acted_on(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(channel="C1", text="Approve?")
    url = slack.response_url("U1", "C1", message_ts=posted["ts"])

    await AsyncWebhookClient(url).send(
        text="Approved by alice", blocks=[section("Approved")], replace_original=True
    )

    [message] = slack.messages("C1")  # no second message: the one acted on changed
    assert message.ts == posted["ts"]
    assert (message.text, message.blocks, message.updates) == (
        "Approved by alice",
        [section("Approved")],
        1,
    )


async def test_response_url_delete_original_removes_the_message_acted_on(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    keep = await client.chat_postMessage(channel="C1", text="Keep me")
    posted = await client.chat_postMessage(channel="C1", text="Approve?")
    url = slack.response_url("U1", "C1", message_ts=posted["ts"])

    response = await AsyncWebhookClient(url).send(delete_original=True)

    assert response.status_code == 200
    assert [m.ts for m in slack.messages("C1")] == [keep["ts"]]
    assert texts(slack.visible_to("U2")) == ["Keep me"]


async def test_response_url_with_invalid_blocks_is_refused_and_shows_nothing(
    slack: FakeSlack,
) -> None:
    url = slack.response_url("U1", "C1")

    response = await AsyncWebhookClient(url).send(text="t", blocks=[{"type": "carousel"}])

    assert response.status_code == 400
    assert slack.messages("C1") == []


async def test_response_url_is_refused_while_slack_is_down(slack: FakeSlack) -> None:
    url = slack.response_url("U1", "C1")
    slack.set_down(True, status=503)

    down = await AsyncWebhookClient(url).send(text="Are you there?")
    slack.set_down(False)
    back = await AsyncWebhookClient(url).send(text="Back")

    assert down.status_code == 503
    assert back.status_code == 200
    assert texts(slack.messages("C1")) == ["Back"]


async def test_unknown_response_url_is_not_found(slack: FakeSlack) -> None:
    real = slack.response_url("U1", "C1")
    made_up = real.rsplit("/", 1)[0] + "/not-a-token"

    async with aiohttp.ClientSession() as http:
        response = await http.post(made_up, json={"text": "hi"})

    assert response.status == 404
    assert slack.messages("C1") == []


# --- following changes --------------------------------------------------------------


async def test_wait_changed_wakes_on_a_post(slack: FakeSlack, client: AsyncWebClient) -> None:
    since = slack.version
    waiting = asyncio.create_task(slack.wait_changed(since, timeout=10))
    await asyncio.sleep(0.05)
    assert not waiting.done()

    await client.chat_postMessage(channel="C1", text="news")
    woke_at = await asyncio.wait_for(waiting, timeout=2)

    assert woke_at == slack.version > since


async def test_wait_changed_times_out_when_nothing_changes(slack: FakeSlack) -> None:
    since = slack.version
    started = time.monotonic()

    result = await slack.wait_changed(since, timeout=0.2)

    assert result == since
    assert time.monotonic() - started >= 0.2


async def test_wait_changed_answers_at_once_when_already_behind(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    since = slack.version
    await client.chat_postMessage(channel="C1", text="news")

    result = await asyncio.wait_for(slack.wait_changed(since, timeout=10), timeout=1)

    assert result == slack.version > since


async def test_what_a_person_sees_changes_the_version(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    seen = [slack.version]

    await AsyncWebhookClient(slack.response_url("U1", "C1")).send(text="ephemeral")
    seen.append(slack.version)
    view_id = await open_for(slack, client, "U1", "Form")
    seen.append(slack.version)
    slack.close_view(view_id)
    seen.append(slack.version)
    slack.set_down(True)
    seen.append(slack.version)

    assert seen == sorted(set(seen)), seen  # strictly rising: every step was a change


# --- what each person sees ----------------------------------------------------------


async def test_visible_to_shows_channels_own_dm_and_own_ephemerals(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    await client.chat_postMessage(channel="C1", text="for everyone")
    await client.chat_postMessage(channel="U1", text="dm alice")
    await client.chat_postMessage(channel="U2", text="dm bob")
    await client.chat_postEphemeral(channel="C1", user="U1", text="psst alice")
    await client.chat_postEphemeral(channel="C1", user="U2", text="psst bob")

    assert texts(slack.visible_to("U1")) == ["for everyone", "dm alice", "psst alice"]
    assert texts(slack.visible_to("U2")) == ["for everyone", "dm bob", "psst bob"]


async def test_slackbot_note_is_shown_without_a_web_api_call(slack: FakeSlack) -> None:
    note = slack.post_as_app(
        "C1",
        text="/account failed with the error dispatch_failed",
        ephemeral_to="U1",
        from_slackbot=True,
    )

    assert note.user == SLACKBOT_USER_ID
    assert (SLACKBOT_USER_ID, "Slackbot", True) in slack.users()
    assert texts(slack.visible_to("U1")) == [note.text]
    assert slack.visible_to("U2") == []
    assert slack.calls == []
    assert "bot_id" not in slack.message_payload("C1", note.ts)


async def test_ack_text_posted_as_the_app_is_the_bots(slack: FakeSlack) -> None:
    ack = slack.post_as_app("C1", text="Working on it…", ephemeral_to="U1")

    assert ack.user == "UOUTPOST"
    assert slack.message_payload("C1", ack.ts)["bot_id"] == "BOUTPOST"
    assert (SLACKBOT_USER_ID, "Slackbot", True) not in slack.users()


async def test_message_payload_marks_ephemeral_messages_only(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    public = await client.chat_postMessage(channel="C1", text="card", blocks=[section("card")])
    private = await client.chat_postEphemeral(channel="C1", user="U1", text="only you")

    public_payload = slack.message_payload("C1", public["ts"])
    private_payload = slack.message_payload("C1", private["message_ts"])

    assert "is_ephemeral" not in public_payload
    assert public_payload["blocks"] == [section("card")]
    assert (public_payload["ts"], public_payload["bot_id"]) == (public["ts"], "BOUTPOST")
    assert private_payload["is_ephemeral"] is True
    assert private_payload["text"] == "only you"


async def test_file_finds_a_shared_file_by_id(slack: FakeSlack, client: AsyncWebClient) -> None:
    response = await client.files_upload_v2(
        channel="C1", content="when,who\n", filename="audit.csv", title="Audit"
    )

    found = slack.file(response["file"]["id"])

    assert found is not None
    assert (found.content, found.filename, found.channel) == (b"when,who\n", "audit.csv", "C1")
    assert slack.file("FNOPE") is None

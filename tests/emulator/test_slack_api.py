"""The fake Slack must accept what slack_sdk sends and refuse what real Slack refuses."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.emulator.block_kit import block_kit_errors, view_errors
from bot.emulator.slack import FakeSlack
from tests.emulator.clients import TOKEN, slack_error


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        fake.add_channel("C1", name="outpost-requests")
        fake.add_channel("CPUB", name="public-elsewhere", bot_is_member=False)
        fake.add_channel("CPRIV", name="secret", bot_is_member=False, is_private=True)
        fake.add_user("U1", name="alice", email="Alice@Example.com")
        fake.add_usergroup("S1", handle="cloud-admins", users=["U1"])
        yield fake


def section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def modal(title: str = "New account", **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title},
        "blocks": [section("hello")],
        **extra,
    }


# --- transport and auth -------------------------------------------------------------


async def test_auth_test_reports_the_bot_identity(client: AsyncWebClient) -> None:
    response = await client.auth_test()

    assert response["user_id"] == "UOUTPOST"
    assert response["team_id"] == "T0001"
    assert response["bot_id"] == "BOUTPOST"
    assert response["url"].startswith("https://")


async def test_wrong_token_is_invalid_auth_and_changes_nothing(slack: FakeSlack) -> None:
    intruder = AsyncWebClient(token="xoxb-wrong", base_url=slack.base_url)

    error = await slack_error(intruder.chat_postMessage(channel="C1", text="hi"))

    assert error.response["error"] == "invalid_auth"
    assert slack.messages("C1") == []
    assert slack.calls_to("chat.postMessage")[0].ok is False


async def test_missing_token_is_not_authed(slack: FakeSlack) -> None:
    async with aiohttp.ClientSession() as http:
        response = await http.post(slack.base_url + "auth.test")
        body = await response.json()

    assert response.status == 200
    assert body == {"ok": False, "error": "not_authed"}


async def test_unknown_method_is_refused(slack: FakeSlack) -> None:
    async with aiohttp.ClientSession() as http:
        response = await http.post(
            slack.base_url + "chat.teleport", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        body = await response.json()

    assert body == {"ok": False, "error": "unknown_method"}


async def test_form_body_with_token_field_and_json_encoded_blocks(slack: FakeSlack) -> None:
    blocks = [section("*Account ready*")]
    async with aiohttp.ClientSession() as http:
        response = await http.post(
            slack.base_url + "chat.postMessage",
            data={"token": TOKEN, "channel": "C1", "text": "ready", "blocks": json.dumps(blocks)},
        )
        body = await response.json()

    assert body["ok"] is True
    assert slack.message("C1", body["ts"]).blocks == blocks
    call = slack.calls_to("chat.postMessage")[0]
    assert call.params["blocks"] == blocks
    assert "token" not in call.params


async def test_sdk_form_and_query_string_calls_are_understood(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    # A form-encoded body with the token in the header, then a GET with a query string.
    form = await client.api_call("chat.postMessage", data={"channel": "C1", "text": "via form"})
    by_email = await client.users_lookupByEmail(email="alice@example.com")

    assert form["ok"] is True
    assert by_email["user"]["id"] == "U1"
    assert slack.calls_to("users.lookupByEmail")[0].params == {"email": "alice@example.com"}


# --- chat ---------------------------------------------------------------------------


async def test_posted_reply_is_readable_in_its_thread(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    parent = await client.chat_postMessage(channel="C1", text="Creating account…")
    reply = await client.chat_postMessage(channel="C1", text="Done", thread_ts=parent["ts"])

    assert [m.text for m in slack.thread("C1", parent["ts"])] == ["Done"]
    assert [m.ts for m in slack.messages("C1")] == [parent["ts"], reply["ts"]]
    assert float(reply["ts"]) > float(parent["ts"])
    assert slack.message("C1", reply["ts"]).user == "UOUTPOST"
    assert reply["message"]["thread_ts"] == parent["ts"]


async def test_unknown_thread_ts_is_refused(slack: FakeSlack, client: AsyncWebClient) -> None:
    error = await slack_error(
        client.chat_postMessage(channel="C1", text="lost", thread_ts="1600000000.000100")
    )

    assert error.response["error"] == "thread_not_found"
    assert slack.messages("C1") == []


async def test_reply_to_a_reply_is_refused(slack: FakeSlack, client: AsyncWebClient) -> None:
    parent = await client.chat_postMessage(channel="C1", text="parent")
    reply = await client.chat_postMessage(channel="C1", text="reply", thread_ts=parent["ts"])

    error = await slack_error(
        client.chat_postMessage(channel="C1", text="nested", thread_ts=reply["ts"])
    )

    assert error.response["error"] == "thread_not_found"


@pytest.mark.parametrize(
    ("channel", "error"),
    [("CNOPE", "channel_not_found"), ("CPRIV", "not_in_channel"), ("", "channel_not_found")],
)
async def test_channel_refusals(
    slack: FakeSlack, client: AsyncWebClient, channel: str, error: str
) -> None:
    raised = await slack_error(client.chat_postMessage(channel=channel, text="hi"))

    assert raised.response["error"] == error


async def test_public_channel_accepts_posts_without_membership(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    await client.chat_postMessage(channel="CPUB", text="hi")

    assert [m.text for m in slack.messages("CPUB")] == ["hi"]


async def test_message_without_text_or_blocks_is_no_text(client: AsyncWebClient) -> None:
    error = await slack_error(client.api_call("chat.postMessage", json={"channel": "C1"}))

    assert error.response["error"] == "no_text"


async def test_too_long_text_is_msg_too_long(slack: FakeSlack, client: AsyncWebClient) -> None:
    error = await slack_error(client.chat_postMessage(channel="C1", text="x" * 40_001))

    assert error.response["error"] == "msg_too_long"
    assert slack.messages("C1") == []


async def test_more_than_50_blocks_is_refused_and_nothing_stored(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    blocks = [section(f"line {i}") for i in range(51)]

    error = await slack_error(client.chat_postMessage(channel="C1", text="t", blocks=blocks))

    assert error.response["error"] == "invalid_blocks"
    assert any(
        "[json-pointer:/blocks]" in m for m in error.response["response_metadata"]["messages"]
    )
    assert slack.messages("C1") == []
    call = slack.calls_to("chat.postMessage")[0]
    assert (call.ok, call.error, call.http_status) == (False, "invalid_blocks", 200)


async def test_section_text_limit_is_3000_characters(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    await client.chat_postMessage(channel="C1", text="t", blocks=[section("x" * 3000)])

    error = await slack_error(
        client.chat_postMessage(channel="C1", text="t", blocks=[section("x" * 3001)])
    )

    assert error.response["error"] == "invalid_blocks"
    assert error.response["response_metadata"]["messages"] == [
        "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text]"
    ]
    assert len(slack.messages("C1")) == 1


async def test_chat_update_replaces_content_and_counts(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(channel="C1", text="Creating…")

    updated = await client.chat_update(
        channel="C1", ts=posted["ts"], text="Created", blocks=[section("*Created*")]
    )

    message = slack.message("C1", posted["ts"])
    assert (message.text, message.updates) == ("Created", 1)
    assert message.blocks == [section("*Created*")]
    assert updated["message"]["text"] == "Created"


async def test_chat_update_refusals(slack: FakeSlack, client: AsyncWebClient) -> None:
    human = slack.add_message("C1", user="U1", text="please create")
    posted = await client.chat_postMessage(channel="C1", text="ok")

    missing = await slack_error(client.chat_update(channel="C1", ts="1.000001", text="x"))
    not_ours = await slack_error(client.chat_update(channel="C1", ts=human.ts, text="x"))
    bad_blocks = await slack_error(
        client.chat_update(channel="C1", ts=posted["ts"], text="x", blocks=[{"type": "carousel"}])
    )

    assert missing.response["error"] == "message_not_found"
    assert not_ours.response["error"] == "cant_update_message"
    assert bad_blocks.response["error"] == "invalid_blocks"
    assert slack.message("C1", posted["ts"]).updates == 0


async def test_ephemeral_message_is_recorded_for_its_user(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    response = await client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    error = await slack_error(client.chat_postEphemeral(channel="C1", user="UNOPE", text="x"))

    [message] = slack.messages("C1")
    assert (message.ts, message.ephemeral_to) == (response["message_ts"], "U1")
    assert error.response["error"] == "user_not_found"


async def test_permalink(slack: FakeSlack, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel="C1", text="hi")

    link = await client.chat_getPermalink(channel="C1", message_ts=posted["ts"])
    error = await slack_error(client.chat_getPermalink(channel="C1", message_ts="1.000001"))

    assert link["permalink"] == (
        f"https://fake.slack.test/archives/C1/p{posted['ts'].replace('.', '')}"
    )
    assert error.response["error"] == "message_not_found"


async def test_dm_channel_is_valid_once_opened(slack: FakeSlack, client: AsyncWebClient) -> None:
    dm = slack.dm_channel("U1")
    before = await slack_error(client.chat_postMessage(channel=dm, text="hi"))

    opened = await client.conversations_open(users="U1")
    await client.chat_postMessage(channel=opened["channel"]["id"], text="hi")
    unknown = await slack_error(client.conversations_open(users="UNOPE"))

    assert before.response["error"] == "channel_not_found"
    assert opened["channel"]["id"] == dm
    assert [m.text for m in slack.messages(dm)] == ["hi"]
    assert unknown.response["error"] == "user_not_found"


# --- views --------------------------------------------------------------------------


async def test_views_open_returns_a_stored_view(slack: FakeSlack, client: AsyncWebClient) -> None:
    response = await client.views_open(trigger_id="t1", view=modal(callback_id="create"))

    view = response["view"]
    assert view["id"].startswith("V")
    assert view["hash"]
    assert view["state"] == {"values": {}}
    assert slack.views()[view["id"]]["callback_id"] == "create"


async def test_trigger_can_be_exchanged_once(client: AsyncWebClient) -> None:
    await client.views_open(trigger_id="t1", view=modal())

    reused = await slack_error(client.views_open(trigger_id="t1", view=modal()))
    missing = await slack_error(client.api_call("views.open", json={"view": modal()}))

    assert reused.response["error"] == "exchanged_trigger_id"
    assert missing.response["error"] == "invalid_trigger_id"


async def test_modal_title_over_24_characters_is_refused_without_using_the_trigger(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    error = await slack_error(client.views_open(trigger_id="t1", view=modal("x" * 25)))

    assert error.response["error"] == "invalid_arguments"
    assert error.response["response_metadata"]["messages"] == [
        "[ERROR] must be less than 25 characters [json-pointer:/view/title]"
    ]
    assert slack.views() == {}
    assert (await client.views_open(trigger_id="t1", view=modal("x" * 24)))["ok"]


async def test_views_update_checks_hash_and_replaces_the_view(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    opened = (await client.views_open(trigger_id="t1", view=modal("Step 1")))["view"]

    updated = await client.views_update(
        view_id=opened["id"], hash=opened["hash"], view=modal("Step 2")
    )
    stale = await slack_error(
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal("Step 3"))
    )
    unknown = await slack_error(client.views_update(view_id="VNOPE", view=modal()))

    assert updated["view"]["hash"] != opened["hash"]
    assert slack.views()[opened["id"]]["title"]["text"] == "Step 2"
    assert stale.response["error"] == "hash_conflict"
    assert unknown.response["error"] == "not_found"


async def test_views_push_needs_its_own_trigger(slack: FakeSlack, client: AsyncWebClient) -> None:
    await client.views_open(trigger_id="t1", view=modal("First"))

    pushed = await client.views_push(trigger_id="t2", view=modal("Second"))
    reused = await slack_error(client.views_push(trigger_id="t1", view=modal("Third")))
    home = await slack_error(
        client.views_push(trigger_id="t3", view={"type": "home", "blocks": []})
    )

    assert slack.views()[pushed["view"]["id"]]["title"]["text"] == "Second"
    assert reused.response["error"] == "exchanged_trigger_id"
    assert home.response["error"] == "invalid_arguments"


async def test_views_update_by_external_id(slack: FakeSlack, client: AsyncWebClient) -> None:
    opened = await client.views_open(trigger_id="t1", view=modal(external_id="req-1"))

    await client.views_update(external_id="req-1", view=modal("Later", external_id="req-1"))

    assert slack.views()[opened["view"]["id"]]["title"]["text"] == "Later"


async def test_views_publish_home(slack: FakeSlack, client: AsyncWebClient) -> None:
    home = {"type": "home", "blocks": [section("Your accounts")]}

    published = await client.views_publish(user_id="U1", view=home)
    wrong_type = await slack_error(client.views_publish(user_id="U1", view=modal()))

    stored = slack.published_home("U1")
    assert stored is not None
    assert stored["id"] == published["view"]["id"]
    assert stored["blocks"] == home["blocks"]
    assert wrong_type.response["error"] == "invalid_arguments"
    assert slack.published_home("UOUTPOST") is None


# --- users --------------------------------------------------------------------------


async def test_users_and_usergroups(client: AsyncWebClient) -> None:
    info = await client.users_info(user="U1")
    members = await client.usergroups_users_list(usergroup="S1")
    no_user = await slack_error(client.users_info(user="UNOPE"))
    no_email = await slack_error(client.users_lookupByEmail(email="bob@example.com"))
    no_group = await slack_error(client.usergroups_users_list(usergroup="SNOPE"))

    assert info["user"]["profile"]["email"] == "Alice@Example.com"
    assert (info["user"]["tz"], info["user"]["tz_offset"]) == ("Europe/Paris", 3600)
    assert members["users"] == ["U1"]
    assert no_user.response["error"] == "user_not_found"
    assert no_email.response["error"] == "users_not_found"
    assert no_group.response["error"] == "no_such_subteam"


# --- fault injection ----------------------------------------------------------------


async def test_rate_limit_carries_retry_after(slack: FakeSlack) -> None:
    slack.rate_limit_next(1, retry_after=7)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        limited = await http.post(slack.base_url + "chat.postMessage", json={"channel": "C1"})
        limited_body = await limited.json()
        after = await http.post(slack.base_url + "auth.test")

    assert limited.status == 429
    assert limited.headers["Retry-After"] == "7"
    assert limited_body == {"ok": False, "error": "ratelimited"}
    assert after.status == 200
    first = slack.calls[0]
    assert (first.ok, first.error, first.http_status) == (False, "ratelimited", 429)


async def test_fail_next_answers_a_non_json_5xx(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.fail_next(1, status=502)
    async with aiohttp.ClientSession() as http:
        response = await http.post(slack.base_url + "auth.test")
        text = await response.text()

    assert response.status == 502
    assert response.content_type != "application/json"
    assert not text.lstrip().startswith("{")
    assert (await client.auth_test())["ok"] is True  # only one call was failed
    assert [(c.ok, c.error) for c in slack.calls] == [(False, "http_502"), (True, None)]


async def test_sdk_sees_a_503_then_recovers(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.fail_next(1)

    error = await slack_error(client.chat_postMessage(channel="C1", text="hi"))
    await client.chat_postMessage(channel="C1", text="hi")

    assert error.response.status_code == 503
    assert len(slack.messages("C1")) == 1
    assert [c.http_status for c in slack.calls] == [503, 200]


async def test_set_down_fails_every_call_until_restored(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.set_down(True, status=500)
    first = await slack_error(client.auth_test())
    second = await slack_error(client.auth_test())
    slack.set_down(False)

    assert (await client.auth_test())["ok"] is True
    assert first.response.status_code == second.response.status_code == 500


# --- Block Kit rules ----------------------------------------------------------------


def button(text: str = "Go", **extra: Any) -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": text}, **extra}


def select(options: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "static_select", "action_id": "pick", "options": options}


def option(text: str = "One", value: str = "1") -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def input_block(element: dict[str, Any], label: str = "Name") -> dict[str, Any]:
    return {"type": "input", "label": {"type": "plain_text", "text": label}, "element": element}


def test_valid_message_has_no_errors() -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Account"}},
        section("text", fields=[{"type": "mrkdwn", "text": "*a*"}], accessory=button()),
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "ctx"}]},
        {"type": "actions", "elements": [button(action_id="a"), select([option()])]},
    ]

    assert block_kit_errors(blocks, surface="message") == []


@pytest.mark.parametrize(
    ("block", "pointer"),
    [
        ({"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}, "/blocks/0/text"),
        ({"type": "header", "text": {"type": "mrkdwn", "text": "x"}}, "/blocks/0/text/type"),
        (section("x", fields=[{"type": "mrkdwn", "text": "f"}] * 11), "/blocks/0/fields"),
        (section("x", fields=[{"type": "mrkdwn", "text": "f" * 2001}]), "/blocks/0/fields/0"),
        (
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11},
            "/blocks/0/elements",
        ),
        ({"type": "actions", "elements": [button()] * 26}, "/blocks/0/elements"),
        ({"type": "actions", "elements": [button("x" * 76)]}, "/blocks/0/elements/0/text"),
        ({"type": "actions", "elements": [button(value="v" * 2001)]}, "/blocks/0/elements/0/value"),
        (
            {"type": "actions", "elements": [button(action_id="a" * 256)]},
            "/blocks/0/elements/0/action_id",
        ),
        (section("x", block_id="b" * 256), "/blocks/0/block_id"),
        ({"type": "section", "text": {"type": "markdown", "text": "x"}}, "/blocks/0/text/type"),
        ({"type": "section", "text": {"type": "mrkdwn", "text": ""}}, "/blocks/0/text/text"),
        ({"type": "carousel"}, "/blocks/0/type"),
        (input_block({"type": "plain_text_input"}), "/blocks/0/type"),
        (
            {"type": "actions", "elements": [select([option()] * 101)]},
            "/blocks/0/elements/0/options",
        ),
        (
            {"type": "actions", "elements": [select([option("x" * 76)])]},
            "/blocks/0/elements/0/options/0/text",
        ),
        (
            {"type": "actions", "elements": [select([option(value="v" * 151)])]},
            "/blocks/0/elements/0/options/0/value",
        ),
    ],
)
def test_message_block_refusals(block: dict[str, Any], pointer: str) -> None:
    errors = block_kit_errors([block], surface="message")

    assert any(error.endswith(f"[json-pointer:{pointer}]") for error in errors), errors


def test_duplicate_block_ids_are_refused() -> None:
    errors = block_kit_errors(
        [section("a", block_id="x"), section("b", block_id="x")], surface="home"
    )

    assert errors == ["[ERROR] duplicate block_id: x [json-pointer:/blocks/1/block_id]"]


def test_views_allow_100_blocks_and_input_blocks() -> None:
    blocks = [section(str(i)) for i in range(99)]
    blocks.append(input_block({"type": "plain_text_input", "action_id": "name"}))

    assert view_errors(modal(blocks=blocks, submit={"type": "plain_text", "text": "Create"})) == []
    assert view_errors({"type": "home", "blocks": [*blocks, section("101")]}) != []


@pytest.mark.parametrize(
    ("extra", "pointer"),
    [
        ({"submit": {"type": "plain_text", "text": "x" * 25}}, "/view/submit"),
        ({"close": {"type": "plain_text", "text": "x" * 25}}, "/view/close"),
        ({"callback_id": "c" * 256}, "/view/callback_id"),
        ({"private_metadata": "m" * 3001}, "/view/private_metadata"),
        ({"type": "workflow_step"}, "/view/type"),
        (
            {
                "submit": {"type": "plain_text", "text": "Go"},
                "blocks": [input_block({"type": "plain_text_input"}, label="l" * 2001)],
            },
            "/view/blocks/0/label",
        ),
        (
            {
                "submit": {"type": "plain_text", "text": "Go"},
                "blocks": [input_block({"type": "plain_text_input", "initial_value": 3})],
            },
            "/view/blocks/0/element/initial_value",
        ),
        ({"blocks": [input_block({"type": "plain_text_input"})]}, "/view/submit"),
    ],
)
def test_view_refusals(extra: dict[str, Any], pointer: str) -> None:
    errors = view_errors(modal(**extra))

    assert any(error.endswith(f"[json-pointer:{pointer}]") for error in errors), errors

"""Message metadata and conversations.history in the fake Slack, as Slack has them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from slack_sdk.web.async_client import AsyncWebClient

from bot.emulator.slack import DEFAULT_SCOPES, FakeSlack
from tests.emulator.clients import TOKEN, slack_error

ROOT = Path(__file__).resolve().parents[2]
CARD = {"event_type": "outpost_card", "event_payload": {"card": "op-1", "outbox_entry": 7}}


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        fake.add_channel("C1", name="platform")
        fake.add_channel("CPUB", name="elsewhere", bot_is_member=False)
        fake.add_channel("CPRIV", name="secret", is_private=True)
        fake.add_user("U1", name="alice", email="alice@example.com")
        yield fake


async def test_history_gives_the_metadata_a_message_was_posted_with_when_asked(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(channel="C1", text="card", metadata=CARD)
    await client.chat_postMessage(channel="C1", text="reply", thread_ts=posted["ts"])
    await client.chat_postMessage(channel="C1", text="later")

    plain = await client.conversations_history(channel="C1")
    full = await client.conversations_history(channel="C1", include_all_metadata=True)

    assert [m["text"] for m in full["messages"]] == ["later", "card"]  # newest first, no replies
    assert all("metadata" not in m for m in plain["messages"])
    assert full["messages"][1]["metadata"] == CARD
    assert full["messages"][1]["ts"] == posted["ts"]


async def test_history_tells_outposts_messages_from_another_apps_and_peoples(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.add_user("UOTHERBOT", name="otherbot", email="otherbot@example.com", is_bot=True)
    slack.add_message("C1", user="U1", text="by alice", metadata=CARD)
    slack.add_message("C1", user="UOTHERBOT", bot_id="BOTHER", text="by another app", metadata=CARD)
    await client.chat_postMessage(channel="C1", text="by Outpost", metadata=CARD)
    me = await client.auth_test()

    history = await client.conversations_history(channel="C1", include_all_metadata=True)

    by_text = {m["text"]: m for m in history["messages"]}
    assert by_text["by Outpost"]["bot_id"] == me["bot_id"]
    assert by_text["by Outpost"]["user"] == me["user_id"]
    assert by_text["by another app"]["bot_id"] == "BOTHER"
    assert by_text["by another app"]["user"] == "UOTHERBOT"
    assert "bot_id" not in by_text["by alice"]
    assert all(m["metadata"] == CARD for m in history["messages"])


async def test_history_comes_in_pages(slack: FakeSlack, client: AsyncWebClient) -> None:
    for n in range(5):
        await client.chat_postMessage(channel="C1", text=f"m{n}")
    first = await client.conversations_history(channel="C1", limit=3)
    assert [m["text"] for m in first["messages"]] == ["m4", "m3", "m2"]
    assert first["has_more"] is True
    cursor = first["response_metadata"]["next_cursor"]
    rest = await client.conversations_history(channel="C1", limit=3, cursor=cursor)
    assert [m["text"] for m in rest["messages"]] == ["m1", "m0"]
    assert rest["has_more"] is False


@pytest.mark.parametrize(
    ("metadata", "error"),
    [
        ({"event_type": "Outpost Card", "event_payload": {}}, "invalid_metadata_schema"),
        ({"event_type": "outpost_card"}, "invalid_metadata_schema"),
        ({"event_type": "outpost_card", "event_payload": "op-1"}, "invalid_metadata_schema"),
    ],
)
async def test_malformed_metadata_is_refused_and_nothing_is_posted(
    slack: FakeSlack, client: AsyncWebClient, metadata: dict[str, object], error: str
) -> None:
    refused = await slack_error(client.chat_postMessage(channel="C1", text="x", metadata=metadata))
    assert refused.response["error"] == error
    assert slack.messages("C1") == []


async def test_history_needs_the_scope_of_the_conversation_kind() -> None:
    async with FakeSlack(scopes=DEFAULT_SCOPES - {"groups:history", "im:history"}) as slack:
        slack.add_channel("C1", name="platform")
        slack.add_channel("CPRIV", name="secret", is_private=True)
        slack.add_user("U1", name="alice", email="alice@example.com")
        client = AsyncWebClient(token=TOKEN, base_url=slack.base_url)
        dm = (await client.conversations_open(users="U1"))["channel"]["id"]

        assert (await client.conversations_history(channel="C1"))["ok"]
        for channel, scope in [("CPRIV", "groups:history"), (dm, "im:history")]:
            refused = await slack_error(client.conversations_history(channel=channel))
            assert refused.response["error"] == "missing_scope"
            assert refused.response["needed"] == scope


async def test_history_of_a_channel_outpost_is_not_in_is_refused(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    await client.chat_postMessage(channel="CPUB", text="posted with chat:write.public")
    refused = await slack_error(client.conversations_history(channel="CPUB"))
    assert refused.response["error"] == "not_in_channel"
    missing = await slack_error(client.conversations_history(channel="CNOPE"))
    assert missing.response["error"] == "channel_not_found"


async def test_an_answer_held_back_still_means_the_message_was_posted(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.hold_next_answer("chat.postMessage", 2)
    client.timeout = 0.5
    with pytest.raises(TimeoutError):
        await client.chat_postMessage(channel="C1", text="sent, answer lost")
    assert [m.text for m in slack.messages("C1")] == ["sent, answer lost"]


def test_the_fake_grants_the_scopes_of_the_manifests() -> None:
    for name in ("manifest.yml", "manifest.socket-mode.yml"):
        manifest = yaml.safe_load((ROOT / name).read_text())
        assert set(manifest["oauth_config"]["scopes"]["bot"]) == DEFAULT_SCOPES, name

"""Uploading a file to the fake Slack the way slack_sdk's files_upload_v2 does it.

files_upload_v2 makes three requests: files.getUploadURLExternal, a POST of the bytes to the
upload URL it returned, then files.completeUploadExternal, which shares the file.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.emulator.slack import FakeSlack
from tests.emulator.clients import slack_error

CSV = "when,who,what\n2031-05-04T13:30:00Z,erin,granted\n2031-05-04T14:30:00Z,outpost,revoked\n"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        fake.add_channel("CAUDIT", name="outpost-audit")
        fake.add_channel("CPUB", name="public-elsewhere", bot_is_member=False)
        fake.add_channel("CPRIV", name="secret", bot_is_member=False, is_private=True)
        fake.add_channel("CGROUP", name="ops-private", is_private=True)
        fake.add_user("U1", name="alice", email="alice@example.com")
        yield fake


async def get_upload_url(client: AsyncWebClient, content: bytes) -> tuple[str, str]:
    response = await client.files_getUploadURLExternal(filename="audit.csv", length=len(content))
    return response["file_id"], response["upload_url"]


def upload_url(slack: FakeSlack, file_id: str) -> str:
    return slack.base_url.removesuffix("/api/") + f"/upload/v1/{file_id}"


async def post_bytes(url: str, data: Any) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.post(url, data=data) as response:
        return response.status, await response.text()


async def test_a_csv_is_shared_in_the_channel(slack: FakeSlack, client: AsyncWebClient) -> None:
    response = await client.files_upload_v2(
        channel="CAUDIT",
        content=CSV,
        filename="audit-2031-05.csv",
        title="Audit trail, May 2031",
        initial_comment="The audit trail you asked for.",
    )

    (shared,) = slack.files("CAUDIT")
    assert shared.content == CSV.encode()
    assert (shared.filename, shared.title) == ("audit-2031-05.csv", "Audit trail, May 2031")
    assert shared.initial_comment == "The audit trail you asked for."
    assert shared.channel == "CAUDIT"
    assert shared.thread_ts is None
    assert shared.id == response["file"]["id"]
    (message,) = slack.messages("CAUDIT")
    assert (message.ts, message.text, message.files) == (
        shared.ts,
        "The audit trail you asked for.",
        [shared.id],
    )
    assert message.user == "UOUTPOST"


async def test_what_the_sdk_sends_and_gets_back(slack: FakeSlack, client: AsyncWebClient) -> None:
    response = await client.files_upload_v2(
        channel="CAUDIT", content=CSV, filename="audit.csv", title="Audit"
    )

    assert [call.method for call in slack.calls] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    asked = slack.calls_to("files.getUploadURLExternal")[0].params
    assert (asked["filename"], int(asked["length"])) == ("audit.csv", len(CSV.encode()))
    completed = slack.calls_to("files.completeUploadExternal")[0].params
    assert completed["channel_id"] == "CAUDIT"
    assert json.loads(completed["files"]) == [{"id": response["file"]["id"], "title": "Audit"}]

    file = response["file"]
    assert response["files"] == [file]
    assert (file["name"], file["title"], file["size"]) == ("audit.csv", "Audit", len(CSV))
    assert file["mimetype"] == "text/csv"
    assert file["filetype"] == "csv"
    assert file["channels"] == ["CAUDIT"]
    (share,) = file["shares"]["public"]["CAUDIT"]
    assert share["ts"] == slack.files("CAUDIT")[0].ts


async def test_bytes_are_kept_as_they_are(slack: FakeSlack, client: AsyncWebClient) -> None:
    content = "name,café\r\n".encode() + bytes([0, 255])
    await client.files_upload_v2(channel="CAUDIT", content=content, filename="raw.bin")

    (shared,) = slack.files("CAUDIT")
    assert shared.content == content
    assert shared.title == "raw.bin"  # slack_sdk titles a file with its name by default


async def test_shared_in_a_thread(slack: FakeSlack, client: AsyncWebClient) -> None:
    parent = await client.chat_postMessage(channel="CAUDIT", text="Audit trail requested")

    response = await client.files_upload_v2(
        channel="CAUDIT",
        content=CSV,
        filename="audit.csv",
        initial_comment="Here it is.",
        thread_ts=parent["ts"],
    )

    (shared,) = slack.files("CAUDIT")
    assert shared.thread_ts == parent["ts"]
    assert [m.text for m in slack.thread("CAUDIT", parent["ts"])] == ["Here it is."]
    (share,) = response["file"]["shares"]["public"]["CAUDIT"]
    assert share["thread_ts"] == parent["ts"]


async def test_a_thread_that_does_not_exist_is_refused(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    error = await slack_error(
        client.files_upload_v2(
            channel="CAUDIT", content=CSV, filename="audit.csv", thread_ts="1600000000.000100"
        )
    )

    assert error.response["error"] == "thread_not_found"
    assert slack.files("CAUDIT") == []
    assert slack.messages("CAUDIT") == []


async def test_a_private_channel_the_bot_is_in(slack: FakeSlack, client: AsyncWebClient) -> None:
    response = await client.files_upload_v2(channel="CGROUP", content=CSV, filename="audit.csv")

    assert [f.channel for f in slack.files("CGROUP")] == ["CGROUP"]
    assert response["file"]["groups"] == ["CGROUP"]
    assert list(response["file"]["shares"]["private"]) == ["CGROUP"]
    assert response["file"]["is_public"] is False


@pytest.mark.parametrize(
    ("channel", "error"),
    [
        ("CPUB", "not_in_channel"),  # unlike chat.postMessage: no chat:write.public for files
        ("CPRIV", "not_in_channel"),
        ("CNOPE", "channel_not_found"),
    ],
)
async def test_channels_the_bot_cannot_share_in(
    slack: FakeSlack, client: AsyncWebClient, channel: str, error: str
) -> None:
    raised = await slack_error(
        client.files_upload_v2(channel=channel, content=CSV, filename="audit.csv")
    )

    assert raised.response["error"] == error
    assert slack.all_files() == []
    assert slack.messages(channel) == []


async def test_a_refused_share_leaves_the_upload_to_complete(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    content = CSV.encode()
    file_id, url = await get_upload_url(client, content)
    assert await post_bytes(url, content) == (200, f"OK - {len(content)}")

    await slack_error(
        client.files_completeUploadExternal(files=[{"id": file_id}], channel_id="CPUB")
    )
    await client.files_completeUploadExternal(files=[{"id": file_id}], channel_id="CAUDIT")

    assert [(f.id, f.content) for f in slack.files("CAUDIT")] == [(file_id, content)]


async def test_a_file_never_uploaded_is_not_found(slack: FakeSlack, client: AsyncWebClient) -> None:
    file_id, _ = await get_upload_url(client, CSV.encode())

    error = await slack_error(
        client.files_completeUploadExternal(files=[{"id": file_id}], channel_id="CAUDIT")
    )

    assert error.response["error"] == "file_not_found"
    assert slack.files("CAUDIT") == []


async def test_an_unknown_file_is_not_found(slack: FakeSlack, client: AsyncWebClient) -> None:
    error = await slack_error(
        client.files_completeUploadExternal(files=[{"id": "F0123456789"}], channel_id="CAUDIT")
    )

    assert error.response["error"] == "file_not_found"


async def test_a_file_is_completed_once(slack: FakeSlack, client: AsyncWebClient) -> None:
    response = await client.files_upload_v2(channel="CAUDIT", content=CSV, filename="audit.csv")

    error = await slack_error(
        client.files_completeUploadExternal(
            files=[{"id": response["file"]["id"]}], channel_id="CAUDIT"
        )
    )

    assert error.response["error"] == "file_not_found"
    assert len(slack.files("CAUDIT")) == 1
    assert (await post_bytes(upload_url(slack, response["file"]["id"]), CSV.encode()))[0] == 404


async def test_without_a_channel_the_file_stays_private(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    response = await client.files_upload_v2(content=CSV, filename="audit.csv")

    (shared,) = slack.all_files()
    assert (shared.channel, shared.ts, shared.content) == (None, None, CSV.encode())
    assert response["file"]["shares"] == {}
    assert slack.files("CAUDIT") == []


async def test_a_direct_message_once_opened(slack: FakeSlack, client: AsyncWebClient) -> None:
    opened = await client.conversations_open(users="U1")
    channel = opened["channel"]["id"]

    response = await client.files_upload_v2(channel=channel, content=CSV, filename="audit.csv")

    assert [f.channel for f in slack.files(channel)] == [channel]
    assert response["file"]["ims"] == [channel]


async def test_several_channels_at_once(slack: FakeSlack, client: AsyncWebClient) -> None:
    response = await client.files_upload_v2(
        channels=["CAUDIT", "CGROUP"], content=CSV, filename="audit.csv", initial_comment="Audit"
    )

    assert [f.id for f in slack.files("CAUDIT")] == [response["file"]["id"]]
    assert [f.id for f in slack.files("CGROUP")] == [response["file"]["id"]]
    assert [m.text for m in slack.messages("CGROUP")] == ["Audit"]


async def test_several_files_in_one_message(slack: FakeSlack, client: AsyncWebClient) -> None:
    response = await client.files_upload_v2(
        channel="CAUDIT",
        file_uploads=[
            {"content": CSV, "filename": "grants.csv", "title": "Grants"},
            {"content": "a,b\n", "filename": "accounts.csv", "title": "Accounts"},
        ],
    )

    assert [f.title for f in slack.files("CAUDIT")] == ["Grants", "Accounts"]
    assert [f["name"] for f in response["files"]] == ["grants.csv", "accounts.csv"]
    (message,) = slack.messages("CAUDIT")
    assert message.files == [f["id"] for f in response["files"]]


# --- the upload URL -----------------------------------------------------------------


async def test_bytes_not_of_the_length_announced_are_refused(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    file_id, url = await get_upload_url(client, b"12345")

    status, text = await post_bytes(url, b"1234")

    assert status == 400
    assert "expected 5 bytes" in text
    error = await slack_error(
        client.files_completeUploadExternal(files=[{"id": file_id}], channel_id="CAUDIT")
    )
    assert error.response["error"] == "file_not_found"


async def test_a_multipart_upload_is_accepted(slack: FakeSlack, client: AsyncWebClient) -> None:
    content = CSV.encode()
    file_id, url = await get_upload_url(client, content)
    form = aiohttp.FormData()
    form.add_field("file", content, filename="audit.csv", content_type="text/csv")

    assert (await post_bytes(url, form))[0] == 200
    await client.files_completeUploadExternal(
        files=[{"id": file_id, "title": "Audit"}], channel_id="CAUDIT"
    )
    assert [(f.content, f.title) for f in slack.files("CAUDIT")] == [(content, "Audit")]


async def test_an_unknown_upload_url_is_not_found(slack: FakeSlack) -> None:
    assert (await post_bytes(upload_url(slack, "F0123456789"), b"x"))[0] == 404


async def test_a_slack_outage_fails_the_upload(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.set_down(True)

    with pytest.raises(SlackApiError):
        await client.files_upload_v2(channel="CAUDIT", content=CSV, filename="audit.csv")

    assert slack.all_files() == []


async def test_an_outage_between_the_steps_fails_the_upload(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    file_id, url = await get_upload_url(client, b"x")
    slack.set_down(True)
    assert (await post_bytes(url, b"x"))[0] == 503
    slack.set_down(False)

    error = await slack_error(
        client.files_completeUploadExternal(files=[{"id": file_id}], channel_id="CAUDIT")
    )
    assert error.response["error"] == "file_not_found"


async def test_an_empty_file_is_refused(slack: FakeSlack, client: AsyncWebClient) -> None:
    error = await slack_error(
        client.files_upload_v2(channel="CAUDIT", content="", filename="empty.csv")
    )

    assert error.response["error"] == "invalid_arguments"
    assert slack.all_files() == []


# --- arguments ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"length": "5"},
        {"filename": "audit.csv"},
        {"filename": "audit.csv", "length": "0"},
        {"filename": "audit.csv", "length": "-1"},
        {"filename": "audit.csv", "length": "five"},
    ],
)
async def test_upload_url_arguments(slack: FakeSlack, client: AsyncWebClient, params: Any) -> None:
    error = await slack_error(client.api_call("files.getUploadURLExternal", params=params))

    assert error.response["error"] == "invalid_arguments"


@pytest.mark.parametrize("files", ["not json", "[]", '[{"title": "no id"}]', '{"id": "F1"}'])
async def test_complete_arguments(slack: FakeSlack, client: AsyncWebClient, files: str) -> None:
    error = await slack_error(
        client.api_call(
            "files.completeUploadExternal", params={"files": files, "channel_id": "CAUDIT"}
        )
    )

    assert error.response["error"] == "invalid_arguments"


async def test_a_wrong_token_uploads_nothing(slack: FakeSlack) -> None:
    intruder = AsyncWebClient(token="xoxb-wrong", base_url=slack.base_url)

    error = await slack_error(
        intruder.files_upload_v2(channel="CAUDIT", content=CSV, filename="audit.csv")
    )

    assert error.response["error"] == "invalid_auth"
    assert slack.all_files() == []

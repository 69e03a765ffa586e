"""Where a private answer goes, against a hand-written fake of Slack's Web API."""

from __future__ import annotations

from typing import Any, cast

from aiohttp import ClientConnectionError
from slack_bolt.async_app import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from handlers.replies import Private


class Slack:
    """Records ephemerals and DMs; refuses ephemerals where Outpost is not a member."""

    def __init__(self, *, refuse_ephemeral: bool = False) -> None:
        self.refuse_ephemeral = refuse_ephemeral
        self.ephemerals: list[dict[str, Any]] = []
        self.dms: list[dict[str, Any]] = []

    async def chat_postEphemeral(self, **message: Any) -> dict[str, Any]:
        if self.refuse_ephemeral:
            raise SlackApiError(  # type: ignore[no-untyped-call]
                "channel_not_found", {"ok": False, "error": "channel_not_found"}
            )
        self.ephemerals.append(message)
        return {"ok": True}

    async def conversations_open(self, *, users: str) -> dict[str, Any]:
        return {"ok": True, "channel": {"id": f"D{users}"}}

    async def chat_postMessage(self, **message: Any) -> dict[str, Any]:
        self.dms.append(message)
        return {"ok": True}


class ResponseUrl:
    def __init__(self, *, status: int = 200, unreachable: bool = False) -> None:
        self.status, self.unreachable = status, unreachable
        self.answers: list[dict[str, Any]] = []

    async def __call__(self, **answer: Any) -> Any:
        if self.unreachable:
            raise ClientConnectionError("connection refused")
        self.answers.append(answer)
        return type("Answer", (), {"status_code": self.status})()


def click(*, thread_ts: str | None = None, ts: str = "1700000000.000200") -> dict[str, Any]:
    message: dict[str, Any] = {"ts": ts, "type": "message"}
    if thread_ts:
        message["thread_ts"] = thread_ts
    return {"user": {"id": "UENGINEER"}, "channel": {"id": "CPLATFORM"}, "message": message}


def private(body: dict[str, Any], slack: Slack, respond: ResponseUrl | None = None) -> Private:
    return Private.to_click(body, cast(AsyncWebClient, slack), cast(AsyncRespond | None, respond))


class TestWhereTheAnswerGoes:
    async def test_an_ephemeral_where_the_person_clicked(self) -> None:
        slack, respond = Slack(), ResponseUrl()
        await private(click(), slack, respond).tell("Retrying op-1a2b3c4d.")
        assert slack.ephemerals == [
            {"channel": "CPLATFORM", "user": "UENGINEER", "text": "Retrying op-1a2b3c4d."}
        ]
        assert respond.answers == [] and slack.dms == []

    async def test_in_the_thread_when_the_click_was_on_a_reply(self) -> None:
        slack = Slack()
        await private(click(thread_ts="1700000000.000100"), slack).tell("Retrying.")
        assert slack.ephemerals[0]["thread_ts"] == "1700000000.000100"

    async def test_not_in_a_thread_when_the_click_was_on_its_parent(self) -> None:
        slack = Slack()
        parent = click(thread_ts="1700000000.000200", ts="1700000000.000200")
        await private(parent, slack).tell("Retrying.")
        assert "thread_ts" not in slack.ephemerals[0]

    async def test_the_response_url_where_slack_refuses_an_ephemeral(self) -> None:
        slack, respond = Slack(refuse_ephemeral=True), ResponseUrl()
        await private(click(), slack, respond).tell("Withdrawn.")
        assert [a["text"] for a in respond.answers] == ["Withdrawn."]
        assert respond.answers[0]["response_type"] == "ephemeral"
        assert slack.dms == []

    async def test_a_dm_when_the_response_url_does_not_take_it(self) -> None:
        for respond in (ResponseUrl(status=404), ResponseUrl(unreachable=True)):
            slack = Slack(refuse_ephemeral=True)
            await private(click(), slack, respond).tell("Withdrawn.")
            assert slack.dms == [{"channel": "DUENGINEER", "text": "Withdrawn."}]

    async def test_a_dm_after_a_modal_which_has_no_response_url(self) -> None:
        slack = Slack(refuse_ephemeral=True)
        answer = Private(cast(AsyncWebClient, slack), "UOPS", channel="CARCHIVED")
        await answer.tell("Approved.", [{"type": "section"}])
        assert slack.dms == [
            {"channel": "DUOPS", "text": "Approved.", "blocks": [{"type": "section"}]}
        ]

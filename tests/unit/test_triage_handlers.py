"""The Mark resolved button against a slow ops check, with hand-written fakes."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, cast

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.operations import Operation, TriageKind
from bot.domain.triage import TriageRule
from bot.services.container import Services
from bot.services.operations import NoSuchOperation
from bot.services.triage import TriageRefused
from bot.ui.ids import CallbackId
from handlers.triage import resolve_clicked
from tests.unit.factories import operation


class Client:
    def __init__(self) -> None:
        self.opened: list[dict[str, Any]] = []
        self.told: list[str] = []

    async def views_open(self, *, trigger_id: str, view: dict[str, Any]) -> dict[str, Any]:
        self.opened.append(view)
        return {"view": {"id": "V1", **view}}

    async def chat_postEphemeral(self, *, channel: str, user: str, text: str) -> None:
        self.told.append(text)


class Triage:
    def __init__(self, refusal: TriageRule | None, *, slow: bool = False) -> None:
        self._refusal, self._slow = refusal, slow
        self.known = operation()

    async def operation(self, operation_id: str) -> Operation:
        if operation_id != self.known.id:
            raise NoSuchOperation(operation_id)
        return self.known

    async def refusal(self, kind: TriageKind, op: Operation, user: str) -> TriageRefused | None:
        if self._slow:  # the ops group read from Slack does not come back in time
            await asyncio.sleep(10)
        return None if self._refusal is None else TriageRefused(self._refusal, kind, op)


async def click(triage: Triage) -> Client:
    async def ack() -> None:
        return None

    services = SimpleNamespace(triage=triage, operations=triage)
    client = Client()
    body = {"user": {"id": "UOPS"}, "channel": {"id": "CPLATFORM"}, "trigger_id": "t"}
    await resolve_clicked(
        cast(AsyncAck, ack),
        body,
        {"value": triage.known.id},
        cast(AsyncWebClient, client),
        cast(Services, services),
    )
    return client


async def test_the_modal_opens_even_when_the_ops_check_is_slow() -> None:
    client = await click(Triage(None, slow=True))

    assert [view["callback_id"] for view in client.opened] == [CallbackId.RESOLVE]
    assert client.told == []


async def test_someone_refused_is_told_why_before_typing_anything() -> None:
    triage = Triage(TriageRule.OPS_RESOLVE)
    client = await click(triage)

    assert client.opened == []
    assert client.told == [
        f"Only ops can mark {triage.known.id} resolved; ask on-call in this thread."
    ]

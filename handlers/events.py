"""Events Outpost subscribes to: the App Home tab and mentions.

The home tab shows a person their accounts and operations in flight, and ops what needs them.
A mention in an operation's thread acts on that operation (slash commands do not work in
threads); anywhere else it answers with help, privately, so nobody meets silence.

Slack delivers an event again when its first delivery got no answer within 3 s or an error,
with the same `event_id`: each event id is claimed in the store before anything is done, so
that a retry, one that reaches another replica, or one that arrives after a restart, is acted
on once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext, AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.aws.catalog import catalog
from bot.domain.commands import parse_mention
from bot.domain.grants import Grant
from bot.domain.operations import Operation, OperationState
from bot.domain.ops_view import OpsFilter, select
from bot.services.container import Services
from bot.services.triage import REFUSALS
from bot.ui.blocks import Block
from bot.ui.explain import explain_blocks, retried_since
from bot.ui.home import home_view
from bot.ui.mentions import (
    help_elsewhere,
    nothing_to_explain,
    resolve_note_missing,
    status_blocks,
    thread_help,
)
from bot.ui.resolve import NOTE_MIN
from bot.ui.text import escape
from bot.ui.triage import refused
from handlers.replies import Private

HOME_RECENT = 500  # finished operations looked at, besides every running one

log = logging.getLogger(__name__)


async def once_per_event(
    req: AsyncBoltRequest,
    body: dict[str, Any],
    context: AsyncBoltContext,
    next: Callable[[], Awaitable[None]],
) -> BoltResponse | None:
    """Let an event through the first time its id is seen; answer a repeat with 200 alone,
    so that Slack stops retrying it."""
    event_id = body.get("event_id") if body.get("type") == "event_callback" else None
    if isinstance(event_id, str) and event_id:
        services: Services = context["services"]
        if not await services.events.first_delivery(event_id):
            retry = req.headers.get("x-slack-retry-num", ["0"])[0]
            log.info("event %s delivered again (retry %s): already acted on", event_id, retry)
            return BoltResponse(status=200, body="")
    await next()
    return None


async def publish_home(event: dict[str, Any], client: AsyncWebClient, services: Services) -> None:
    if event.get("tab", "home") != "home":
        return
    user, now = event["user"], services.clock.now()
    stuck_after = services.settings.stuck_after
    operations = await services.operations.recent(HOME_RECENT)
    mine = [op for op in operations if op.requester == user]
    attention = None
    waiting: list[Grant] = []
    if await services.triage.ops.is_ops(user):
        attention = select(
            operations, OpsFilter.STUCK, user=user, now=now, stuck_after=stuck_after
        ) + select(operations, OpsFilter.FAILED, user=user, now=now, stuck_after=stuck_after)
        waiting = [g for g in await services.breakglass.open_grants() if g.decision_open]
    view = home_view(
        accounts=[op for op in mine if op.state is OperationState.SUCCEEDED],
        in_flight=[op for op in mine if op.state is OperationState.RUNNING],
        grants=await services.breakglass.open_grants(requester=user),
        waiting=waiting,
        attention=attention,
        now=now,
        stuck_after=stuck_after,
    )
    await client.views_publish(user_id=user, view=view)


async def answer_mention(event: dict[str, Any], client: AsyncWebClient, services: Services) -> None:
    channel, thread = event["channel"], event.get("thread_ts")
    operation = await services.operations.of_card(channel, thread) if thread else None
    if operation is None:
        # Only the person who asked needs the answer: not the channel, nor a thread's followers.
        private = Private(client, event["user"], channel=channel, thread_ts=thread)
        await private.tell(help_elsewhere())
        return
    await ThreadMention(client, services, operation, channel, event).answer()


class ThreadMention:
    """`@Outpost <word>` in the thread of `operation`'s card."""

    def __init__(
        self,
        client: AsyncWebClient,
        services: Services,
        operation: Operation,
        channel: str,
        event: dict[str, Any],
    ) -> None:
        self.client, self.services, self.operation = client, services, operation
        self.channel, self.thread, self.user = channel, event["thread_ts"], event["user"]
        self.word, self.rest = parse_mention(event.get("text", ""))

    async def answer(self) -> None:
        triage, operation, user = self.services.triage, self.operation, self.user
        match self.word:
            case "status":
                calls = await self.services.operations.calls(operation.id)
                last_call = calls[-1] if calls else None
                blocks = status_blocks(operation, last_call, self.services.clock.now())
                await self._post(f"Status of {operation.id}", blocks)
            case "retry":
                await self._privately_unless_done(triage.retry(operation, user))
            case "cancel":
                await self._privately_unless_done(triage.cancel(operation, user))
            case "resolve" if len(self.rest) >= NOTE_MIN:
                await self._privately_unless_done(triage.resolve(operation, user, self.rest))
            case "resolve":
                await self._privately(resolve_note_missing())
            case "explain":
                await self._explain()
            case _:
                await self._privately(thread_help(operation.id))

    async def _explain(self) -> None:
        """`explain CODE` explains that code; a bare `explain`, the operation's AWS error."""
        word = self.rest.split()[0] if self.rest.split() else None
        blocks: list[Block] = []
        if word is None:
            failure = self.operation.failure or self.operation.last_failure
            if failure is None:
                await self._privately(nothing_to_explain(self.operation.id))
                return
            if self.operation.failure is None:
                blocks.append(retried_since(self.operation.id, failure))
            word = failure.reason or failure.code
        blocks.extend(explain_blocks(catalog(), word))
        await self._post(f"What {escape(word[:100])} means", blocks)

    async def _privately_unless_done(self, acting: Awaitable[object]) -> None:
        """Done: the thread tells everyone. Not done: only the person who asked is told why."""
        try:
            await acting
        except REFUSALS as refusal:
            await self._privately(refused(refusal))

    async def _privately(self, text: str) -> None:
        private = Private(self.client, self.user, channel=self.channel, thread_ts=self.thread)
        await private.tell(text)

    async def _post(self, text: str, blocks: list[dict[str, Any]]) -> None:
        await self.client.chat_postMessage(
            channel=self.channel, thread_ts=self.thread, text=text, blocks=blocks
        )


def register(app: AsyncApp) -> None:
    app.middleware(once_per_event)
    app.event("app_home_opened")(publish_home)
    app.event("app_mention")(answer_mention)

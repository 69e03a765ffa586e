"""`/account ops [stuck | failed | mine | all]`: operations that may need on-call."""

from __future__ import annotations

import asyncio

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.ops_view import UnknownFilter, parse_ops_filter, select
from bot.services.container import Services
from bot.ui.ops_list import MOST_SHOWN, ops_blocks
from handlers.subcommand import Subcommand

RECENT = 500  # finished operations looked at, besides every running one


async def list_operations(typed: Subcommand, services: Services) -> None:
    try:
        wanted = parse_ops_filter(typed.argument)
    except UnknownFilter as problem:
        await typed.reply(str(problem))
        return
    now = services.clock.now()
    stuck_after = services.settings.stuck_after
    shown = select(
        await services.operations.recent(RECENT),
        wanted,
        user=typed.user,
        now=now,
        stuck_after=stuck_after,
    )
    links = await _thread_links(typed.client, services, [op.id for op in shown[:MOST_SHOWN]])
    blocks = ops_blocks(shown, wanted, now=now, stuck_after=stuck_after, links=links)
    await typed.reply(f"{len(shown)} operations", blocks)


async def _thread_links(
    client: AsyncWebClient, services: Services, operation_ids: list[str]
) -> dict[str, str]:
    """Permalinks of the cards; one that cannot be had is left out, not fatal."""

    async def link(operation_id: str) -> tuple[str, str | None]:
        card = await services.operations.card(operation_id)
        if card is None:
            return operation_id, None
        try:
            found = await client.chat_getPermalink(channel=card.channel, message_ts=card.ts)
        except SlackApiError:
            return operation_id, None
        return operation_id, str(found["permalink"])

    pairs = await asyncio.gather(*(link(i) for i in operation_ids))
    return {operation_id: url for operation_id, url in pairs if url}

"""`/account show`, `/account list` and the list's More button.

The command is acknowledged before this runs (Slack allows 3 s; AWS may take longer), so the
answer is posted afterwards, ephemerally, to whoever asked.
"""

from __future__ import annotations

import asyncio
import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.aws.errors import AwsCallError
from bot.domain.inventory import clean_query
from bot.domain.operations import Operation
from bot.services.container import Services
from bot.services.inventory import (
    Found,
    NotFound,
    Several,
    UnknownOu,
)
from bot.ui.account_list import (
    list_failed_blocks,
    list_page,
    stale_cursor_blocks,
    unknown_ou_blocks,
)
from bot.ui.account_show import (
    RECENT_OPERATIONS,
    account_blocks,
    account_not_found_blocks,
    lookup_failed_blocks,
    several_accounts_blocks,
    usage_blocks,
)
from bot.ui.ids import ActionId
from bot.ui.text import escape
from bot.ui.values import ListCursor
from handlers.clicks import Click, button
from handlers.replies import Tell
from handlers.subcommand import Subcommand

log = logging.getLogger(__name__)


async def show_account(typed: Subcommand, services: Services) -> None:
    query, reply = clean_query(typed.argument), typed.reply
    if not query:
        await reply("Which account?", usage_blocks())
        return
    try:
        found = await services.inventory.look_up(query)
    except AwsCallError as error:
        failed = lookup_failed_blocks(query, error.failure)
        await reply(f"Could not look up {escape(query[:100])}", failed)
        return
    match found:
        case Found(details, operations):
            links, grants, review = await asyncio.gather(
                _permalinks(typed.client, services, operations[:RECENT_OPERATIONS]),
                services.inventory.grants(details.account.id),
                services.access_review.review(details),
            )
            blocks = account_blocks(details, operations, links, grants, review)
            title = f"Account {escape(details.account.name)} ({details.account.id})"
            await reply(title, blocks)
        case Several(_, matches):
            several = several_accounts_blocks(query, matches)
            await reply(f"{len(matches)} accounts match", several)
        case NotFound(_, searched, closest):
            unknown = account_not_found_blocks(query, searched, closest)
            await reply("No such account", unknown)


async def list_accounts(typed: Subcommand, services: Services) -> None:
    ou_filter = " ".join(clean_query(typed.argument).split())
    await _post_page(typed.reply, services, ou_filter, 0)


@button(ListCursor.decode, unreadable=("This button no longer works", stale_cursor_blocks()))
async def more_accounts(click: Click[ListCursor], services: Services) -> None:
    await _post_page(click.private, services, click.value.ou, click.value.offset)


async def _post_page(reply: Tell, services: Services, ou_filter: str, offset: int) -> None:
    try:
        listing = await services.inventory.listing(ou_filter)
    except AwsCallError as error:
        await reply("Could not list the accounts", list_failed_blocks(error.failure))
        return
    if isinstance(listing, UnknownOu):
        await reply("No such OU", unknown_ou_blocks(listing.ou_filter, listing.closest))
        return
    page = list_page(listing, offset)
    await reply(page.text, page.blocks)


async def _permalinks(
    client: AsyncWebClient, services: Services, operations: list[Operation]
) -> dict[str, str]:
    """Links to the operations' cards, whose threads tell their story; none if Slack says no."""
    links: dict[str, str] = {}
    for operation in operations:
        card = await services.operations.card(operation.id)
        if card is None:
            continue
        try:
            answer = await client.chat_getPermalink(channel=card.channel, message_ts=card.ts)
        except SlackApiError:
            log.warning("no permalink for the card of %s", operation.id)
            continue
        links[operation.id] = str(answer.get("permalink", ""))
    return links


def register(app: AsyncApp) -> None:
    app.action(ActionId.MORE_ACCOUNTS.value)(more_accounts)

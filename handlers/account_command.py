"""`/account`: acknowledges at once, then routes to the subcommand."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.aws.catalog import catalog
from bot.domain.commands import parse_command
from bot.services.container import Services
from bot.ui.explain import explain_blocks
from bot.ui.help import help_blocks, help_text
from bot.ui.text import code, escape
from handlers.accounts import list_accounts, show_account
from handlers.breakglass import audit_command, breakglass_command, grant_command, revoke_command
from handlers.new_account import new_account_command
from handlers.ops import list_operations
from handlers.subcommand import Subcommand

# Where each subcommand that is not answered in the acknowledgement goes.
ROUTES: Final[dict[str, Callable[[Subcommand, Services], Awaitable[None]]]] = {
    "new": new_account_command,
    "show": show_account,
    "list": list_accounts,
    "ops": list_operations,
    "breakglass": breakglass_command,
    "grant": grant_command,
    "revoke": revoke_command,
    "audit": audit_command,
}


async def account_command(
    ack: AsyncAck,
    command: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    services: Services,
) -> None:
    parsed = parse_command(command.get("text", ""))
    sub = parsed.subcommand
    if sub is None or sub.name == "help":
        await ack(text=help_text(parsed), blocks=help_blocks(parsed), response_type="ephemeral")
        return
    if not sub.available:
        await ack(
            text=f"{code('/account ' + sub.name)} is not available yet in this version of "
            "Outpost. See `/account help` for what is.",
            response_type="ephemeral",
        )
        return
    if sub.name == "explain":
        blocks = explain_blocks(catalog(), parsed.argument)
        await ack(
            text=f"/account explain {escape(parsed.argument[:100])}",
            blocks=blocks,
            response_type="ephemeral",
        )
        return
    await ack()
    if route := ROUTES.get(sub.name):
        await route(Subcommand.typed(command, parsed.argument, client, respond), services)


def register(app: AsyncApp) -> None:
    app.command("/account")(account_command)

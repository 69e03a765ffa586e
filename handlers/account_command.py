"""`/account`: acknowledges at once, then routes to the subcommand."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.aws.catalog import catalog
from bot.domain.commands import parse_command
from bot.services.container import Services
from bot.ui.blocks import section
from bot.ui.explain import explain_blocks
from bot.ui.help import help_blocks, help_text
from bot.ui.text import code, escape
from handlers.accounts import list_accounts, show_account
from handlers.breakglass import audit_command, breakglass_command, grant_command, revoke_command
from handlers.new_account import open_new_account_modal
from handlers.ops import list_operations
from handlers.replies import Private


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

    reply = Private.to_command(command, client, respond)

    async def tell(text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        await reply.tell(text, blocks or [section(text)])

    if sub.name == "new":
        await open_new_account_modal(
            command["trigger_id"],
            command["channel_id"],
            client,
            services,
            prefill=parsed.argument,
            tell=tell,
        )
    elif sub.name == "show":
        await show_account(reply, client, services, parsed.argument)
    elif sub.name == "list":
        await list_accounts(reply, services, parsed.argument)
    elif sub.name == "ops":
        await list_operations(command, client, services, parsed.argument, reply)
    elif sub.name == "breakglass":
        await breakglass_command(command, client, services, parsed.argument, tell)
    elif sub.name == "grant":
        await grant_command(command, client, services, parsed.argument, tell)
    elif sub.name == "revoke":
        await revoke_command(services, command["user_id"], parsed.argument, tell)
    elif sub.name == "audit":
        await audit_command(command, client, services, parsed.argument, tell)


def register(app: AsyncApp) -> None:
    app.command("/account")(account_command)

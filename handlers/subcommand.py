"""An `/account` subcommand as the person typed it, and how to answer them.

`/account` is acknowledged before its subcommand runs (handlers/account_command.py), so each
subcommand is a function of this and the services: it reads what was typed, asks one service,
and answers privately.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.breakglass_commands import BadArguments
from bot.ui.blocks import Block, section
from bot.ui.text import escape
from handlers.replies import Private, Tell

T = TypeVar("T")


@dataclass(frozen=True)
class Subcommand:
    """Who typed the subcommand, where, what followed its name, and how to reach them."""

    user: str
    channel: str
    trigger_id: str
    argument: str
    client: AsyncWebClient
    reply: Tell  # answers privately with the text and blocks as given

    @classmethod
    def typed(
        cls,
        command: dict[str, Any],
        argument: str,
        client: AsyncWebClient,
        respond: AsyncRespond | None,
    ) -> Subcommand:
        return cls(
            user=command["user_id"],
            channel=command["channel_id"],
            trigger_id=command.get("trigger_id", ""),
            argument=argument,
            client=client,
            reply=Private.to_command(command, client, respond),
        )

    async def tell(self, text: str, blocks: list[Block] | None = None) -> None:
        """Answer privately; a text given alone is also the message's one section."""
        await self.reply(text, blocks or [section(text)])

    async def parsed(self, parse: Callable[[str], T]) -> T | None:
        """What was typed after the subcommand, as `parse` reads it; None once the person was
        told what is wrong with it."""
        try:
            return parse(self.argument)
        except BadArguments as error:
            await self.tell(escape(str(error)))
            return None

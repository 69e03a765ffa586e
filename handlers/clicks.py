"""A button's click, acknowledged and read in one place.

Every button acknowledges Slack at once, answers its clicker privately where they clicked, and
does nothing with a value that does not decode (a card from an older version, or a forged
value) but say so. Each listener then only does what its button is for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.ui.blocks import Block
from bot.ui.values import UnreadableValue, unreadable_button
from handlers.replies import Private

V = TypeVar("V")


@dataclass(frozen=True)
class Click(Generic[V]):
    """Who clicked, how to answer them, and what the button carried."""

    user: str
    private: Private
    value: V


async def read_click(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond | None,
    decode: Callable[[object], V],
    *,
    unreadable: tuple[str, list[Block] | None] | None = None,
) -> Click[V] | None:
    """The click, once acknowledged; None when its value was unreadable and the clicker told so."""
    await ack()
    private = Private.to_click(body, client, respond)
    try:
        value = decode(action.get("value"))
    except UnreadableValue:
        text, blocks = unreadable or (unreadable_button(), None)
        await private.tell(text, blocks)
        return None
    return Click(user=private.user, private=private, value=value)

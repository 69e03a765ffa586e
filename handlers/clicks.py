"""A button's click, acknowledged and read in one place.

Every button acknowledges Slack at once, answers its clicker privately where they clicked, and
does nothing with a value that does not decode (a card from an older version, or a forged
value) but say so. `button` makes the listener that does this, so that each button's own code
starts at what the button is for.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.services.container import Services
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
    body: dict[str, Any]
    client: AsyncWebClient

    async def open_modal(self, view: dict[str, Any]) -> None:
        """Open `view` on the click's trigger, which Slack honours for 3 s."""
        await self.client.views_open(trigger_id=self.body["trigger_id"], view=view)


def button(
    decode: Callable[[object], V],
    *,
    unreadable: tuple[str, list[Block] | None] | None = None,
) -> Callable[[Callable[[Click[V], Services], Awaitable[None]]], Callable[..., Awaitable[None]]]:
    """The listener for a button whose value `decode` reads: the decorated function is called
    with the click only when the value was readable."""

    def listener_for(
        act: Callable[[Click[V], Services], Awaitable[None]],
    ) -> Callable[..., Awaitable[None]]:
        # Not functools.wraps: Bolt unwraps a listener to see which arguments it takes.
        async def listener(
            ack: AsyncAck,
            body: dict[str, Any],
            action: dict[str, Any],
            client: AsyncWebClient,
            services: Services,
            respond: AsyncRespond | None = None,
        ) -> None:
            await ack()
            private = Private.to_click(body, client, respond)
            try:
                value = decode(action.get("value"))
            except UnreadableValue:
                text, blocks = unreadable or (unreadable_button(), None)
                await private.tell(text, blocks)
                return
            await act(Click(private.user, private, value, body, client), services)

        listener.__name__, listener.__doc__ = act.__name__, act.__doc__
        return listener

    return listener_for

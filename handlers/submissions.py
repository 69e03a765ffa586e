"""A modal's submission, checked and acknowledged in one place.

Slack waits 3 s for the answer to a submission: a form with a mistake is answered with the
errors, shown next to their fields, and the modal stays open; a good one closes the modal at
once, and the work and the private answer come after. `submission` makes the listener that does
this, so that each modal's own code starts at what its form is for.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from slack_bolt.async_app import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.services.container import Services
from handlers.replies import Private

F = TypeVar("F")
M = TypeVar("M")

View = dict[str, Any]


@dataclass(frozen=True)
class Invalid:
    """What is wrong with a submitted form, by the block id of the field it is shown next to.
    Returned, not raised: a form to correct is one of the two things a read can give."""

    errors: Mapping[str, str]


@dataclass(frozen=True)
class Submission(Generic[F]):
    """A form as read and checked, and who submitted it."""

    form: F
    user: str
    client: AsyncWebClient

    async def answer(self, text: str, *, channel: str | None = None) -> None:
        """Tell the person who submitted it, privately, in `channel` if Slack lets Outpost."""
        await Private(self.client, self.user, channel=channel).tell(text)


def read_note(
    parse: Callable[[View], tuple[M, str]], block: str, problem: Callable[[str], str | None]
) -> Callable[[View, Services], Awaitable[tuple[M, str] | Invalid]]:
    """The read of a modal that asks for one note, or reason: its metadata and the note, which
    `problem` may find wrong, as shown next to the note's `block`."""

    async def read(view: View, services: Services) -> tuple[M, str] | Invalid:
        metadata, note = parse(view)
        if wrong := problem(note):
            return Invalid({block: wrong})
        return metadata, note

    return read


def submission(
    read: Callable[[View, Services], Awaitable[F | Invalid]],
) -> Callable[
    [Callable[[Submission[F], Services], Awaitable[None]]], Callable[..., Awaitable[None]]
]:
    """The listener for a modal whose form `read` reads and checks, or finds Invalid: the
    decorated function is called, once Slack has its answer, only with a form that passed."""

    def listener_for(
        act: Callable[[Submission[F], Services], Awaitable[None]],
    ) -> Callable[..., Awaitable[None]]:
        # Not functools.wraps: Bolt unwraps a listener to see which arguments it takes.
        async def listener(
            ack: AsyncAck,
            view: View,
            body: dict[str, Any],
            client: AsyncWebClient,
            services: Services,
        ) -> None:
            form = await read(view, services)
            if isinstance(form, Invalid):
                await ack(response_action="errors", errors=dict(form.errors))
                return
            await ack()
            await act(Submission(form, body["user"]["id"], client), services)

        listener.__name__, listener.__doc__ = act.__name__, act.__doc__
        return listener

    return listener_for

"""The card's Retry, Cancel, Mark resolved and New request buttons, and the resolve modal."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Final

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.operations import Operation, OperationState, TriageKind
from bot.services.container import Services
from bot.services.operations import NoSuchOperation
from bot.services.triage import REFUSALS
from bot.ui import triage as answers
from bot.ui.ids import ActionId, BlockId, CallbackId
from bot.ui.resolve import NOTE_MIN, ResolveMetadata, note_too_short, parse_resolve, resolve_view
from bot.ui.thread import alert_settled
from bot.ui.values import OperationButton, RetryButton
from handlers.clicks import Click, button
from handlers.new_account import open_new_account_modal
from handlers.submissions import Submission, read_note, submission

# Of the 3 s a trigger lasts, how long the ops check before the modal may take.
OPS_CHECK_BUDGET: Final = 1.5


@button(RetryButton.decode)
async def retry_clicked(click: Click[RetryButton], services: Services) -> None:
    """Retry, and tell the person who clicked how it went (the thread hears of it anyway)."""

    async def retry(operation: Operation) -> str:
        shown_for = click.value.shown_for
        return answers.retrying(await services.triage.retry(operation, click.user, shown_for))

    await _act_on_operation(click, services, "retry", retry)


@button(OperationButton.decode)
async def cancel_clicked(click: Click[OperationButton], services: Services) -> None:
    """Cancel, and tell the person who clicked how it went (the thread hears of it anyway)."""

    async def cancel(operation: Operation) -> str:
        await services.triage.cancel(operation, click.user)
        return answers.cancelling(operation.id)

    await _act_on_operation(click, services, "cancel", cancel)


async def _act_on_operation(
    click: Click[RetryButton] | Click[OperationButton],
    services: Services,
    verb: str,
    act: Callable[[Operation], Awaitable[str]],
) -> None:
    done = False
    try:
        answer = await act(await services.operations.operation(click.value.operation_id))
        done = True
    except REFUSALS as refusal:
        answer = answers.refused(refusal)
    await click.private.tell(answer)
    message = click.body.get("message") or {}
    if message.get("thread_ts"):
        # A click on a stuck alert, in the card's thread: answered there, and the alert settled.
        await _settle_alert(
            click.client,
            services,
            click.body["channel"]["id"],
            message,
            click.value.operation_id,
            done,
            click.user,
            verb,
        )


async def _settle_alert(
    client: AsyncWebClient,
    services: Services,
    channel: str,
    alert: dict[str, Any],
    operation_id: str,
    done: bool,
    user: str,
    verb: str,
) -> None:
    """Once its operation has moved on, a stuck alert loses its buttons: a later click on
    them could only be refused. The outbox takes them off when the operation's card shows it
    moved on; a click on the alert may get there first, and says who chose what. An alert
    posted by an earlier version is on no record, and only a click settles it."""
    try:
        current = await services.operations.operation(operation_id)
    except NoSuchOperation:
        return
    if done:  # what it leads to is told in the thread
        note = answers.alert_chosen(user, verb)
    elif current.state is not OperationState.RUNNING:
        note = answers.alert_moot(current)
    else:
        return
    if await services.triage.settle_alert(channel, alert["ts"], note):
        return
    # Posted by an earlier version, which kept no record of it: edited from what Slack sent.
    await client.chat_update(
        channel=channel,
        ts=alert["ts"],
        text=alert.get("text", ""),
        blocks=alert_settled(alert.get("blocks") or [], note),
    )


@button(OperationButton.decode)
async def resolve_clicked(click: Click[OperationButton], services: Services) -> None:
    """Ops get a modal for their note; anyone else is told why not, before typing anything."""
    operation = await _operation(click, services)
    if operation is None:
        return
    user, private = click.user, click.private
    try:
        # Slack takes the trigger for 3 s: a slow read of the ops group must not use them up.
        async with asyncio.timeout(OPS_CHECK_BUDGET):
            refusal = await services.triage.refusal(TriageKind.RESOLVE, operation, user)
    except TimeoutError:
        refusal = None  # the submission is checked again, with all the time it needs
    if refusal:
        await private.tell(answers.refused(refusal))
        return
    metadata = ResolveMetadata(operation_id=operation.id, channel=click.body["channel"]["id"])
    await click.open_modal(resolve_view(metadata))


def _too_short(note: str) -> str | None:
    return note_too_short() if len(note) < NOTE_MIN else None


@submission(read_note(parse_resolve, BlockId.RESOLVE_NOTE, _too_short))
async def resolve_submitted(
    resolving: Submission[tuple[ResolveMetadata, str]], services: Services
) -> None:
    metadata, note = resolving.form
    try:
        operation = await services.operations.operation(metadata.operation_id)
        answer = answers.resolved(await services.triage.resolve(operation, resolving.user, note))
    except NoSuchOperation:
        return
    except REFUSALS as refusal:
        answer = answers.refused(refusal)
    await resolving.answer(answer, channel=metadata.channel)


@button(OperationButton.decode)
async def request_again_clicked(click: Click[OperationButton], services: Services) -> None:
    """The `/account new` form, filled in from a request AWS refused for its root email. Whoever
    clicks becomes the requester of the new request, as with `/account new`."""
    operation = await _operation(click, services)
    if operation is None:
        return
    await open_new_account_modal(
        click.body["trigger_id"],
        operation.origin_channel,
        click.client,
        services,
        tell=click.private,
        again=operation.request,
    )


async def _operation(click: Click[OperationButton], services: Services) -> Operation | None:
    """The operation a card's button is for; None when the clicker was told there is none."""
    try:
        return await services.operations.operation(click.value.operation_id)
    except NoSuchOperation as missing:
        await click.private.tell(answers.refused(missing))
        return None


def register(app: AsyncApp) -> None:
    app.action(ActionId.RETRY.value)(retry_clicked)
    app.action(ActionId.CANCEL.value)(cancel_clicked)
    app.action(ActionId.RESOLVE.value)(resolve_clicked)
    app.action(ActionId.REQUEST_AGAIN.value)(request_again_clicked)
    app.view(CallbackId.RESOLVE.value)(resolve_submitted)

"""The card's "Show AWS calls" button: opens a modal listing the operation's AWS calls."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.services.container import Services
from bot.services.operations import NoSuchOperation
from bot.ui.aws_calls import aws_calls_view
from bot.ui.card import no_such_operation
from bot.ui.ids import ActionId
from bot.ui.values import OperationButton
from handlers.clicks import read_click


async def show_aws_calls(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    services: Services,
) -> None:
    click = await read_click(ack, body, action, client, respond, OperationButton.decode)
    if click is None:
        return
    clicked = click.value
    try:
        operation = await services.operations.operation(clicked.operation_id)
    except NoSuchOperation:
        await click.private.tell(no_such_operation(clicked.operation_id))
        return
    calls = await services.operations.calls(operation.id)
    await client.views_open(trigger_id=body["trigger_id"], view=aws_calls_view(operation, calls))


def register(app: AsyncApp) -> None:
    app.action(ActionId.SHOW_AWS_CALLS.value)(show_aws_calls)

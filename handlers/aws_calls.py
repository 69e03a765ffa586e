"""The card's "Show AWS calls" button: opens a modal listing the operation's AWS calls."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.services.container import Services
from bot.services.operations import NoSuchOperation
from bot.ui.aws_calls import aws_calls_view
from bot.ui.card import no_such_operation
from bot.ui.ids import ActionId
from bot.ui.values import OperationButton
from handlers.clicks import Click, button


@button(OperationButton.decode)
async def show_aws_calls(click: Click[OperationButton], services: Services) -> None:
    clicked = click.value
    try:
        operation = await services.operations.operation(clicked.operation_id)
    except NoSuchOperation:
        await click.private.tell(no_such_operation(clicked.operation_id))
        return
    calls = await services.operations.calls(operation.id)
    await click.open_modal(aws_calls_view(operation, calls))


def register(app: AsyncApp) -> None:
    app.action(ActionId.SHOW_AWS_CALLS.value)(show_aws_calls)

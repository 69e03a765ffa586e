"""What the AWS calls of a workflow's step leave behind, whatever the workflow.

Every call is recorded against the item it was made for (`/account explain` and the stuck
alert read them back), and every retry is told in the item's thread as it happens.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.aws.caller import Watchers
from bot.aws.retry import RetryNotice
from bot.domain.events import Retrying
from bot.domain.operations import AwsCall
from bot.store.base import Calls


def watching(store: Calls, item_id: str, tell: Callable[[Retrying], Awaitable[None]]) -> Watchers:
    async def on_call(call: AwsCall) -> None:
        await store.record_call(item_id, call)

    async def on_retry(notice: RetryNotice) -> None:
        await tell(
            Retrying(
                service=notice.service,
                operation=notice.operation,
                code=notice.code,
                message=notice.message,
                attempt=notice.attempt,
                of=notice.of,
                wait=notice.wait,
            )
        )

    return Watchers(on_call=on_call, on_retry=on_retry)

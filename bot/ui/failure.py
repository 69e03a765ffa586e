"""The AWS error block: what AWS said, as it said it, the same wherever an error is shown."""

from __future__ import annotations

from bot.domain.operations import AwsFailure
from bot.ui.blocks import Block, section
from bot.ui.text import code, cut, escape

MESSAGE_LIMIT = 2800


def failure_fields(failure: AwsFailure) -> list[str]:
    fields = [
        f"*Call*\n{code(failure.service + ':' + failure.operation)}",
        f"*Error code*\n{code(failure.code)}",
    ]
    if failure.reason and failure.reason != failure.code:
        fields.append(f"*Reason*\n{code(failure.reason)}")
    if failure.request_id:
        fields.append(f"*Request id*\n{code(failure.request_id)}")
    if failure.http_status:
        fields.append(f"*HTTP status*\n{failure.http_status}")
    fields.append(f"*Attempts*\n{failure.attempts}")
    return fields


def failure_blocks(title: str, failure: AwsFailure) -> list[Block]:
    message = cut(escape(failure.message), MESSAGE_LIMIT)
    quoted = "\n".join("> " + line for line in message.splitlines() or [""])
    return [
        section(title, fields=failure_fields(failure)),
        section(f"*AWS said*\n{quoted}"),
    ]


def failure_summary(failure: AwsFailure) -> str:
    """One line for notifications and fallbacks."""
    return f"{failure.operation} failed: {failure.code}: {cut(failure.message, 300)}"

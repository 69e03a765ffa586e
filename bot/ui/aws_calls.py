"""The "Show AWS calls" modal: every AWS call an operation made, and how to repeat it by hand."""

from __future__ import annotations

from typing import Any

from bot.domain.operations import AwsCall, Operation
from bot.ui.blocks import Block, context, plain, section
from bot.ui.ids import CallbackId
from bot.ui.text import code, cut, escape, slack_date

MODAL_BLOCK_LIMIT = 100
BLOCKS_PER_CALL = 2
CLI_LIMIT = 2800


def aws_calls_view(operation: Operation, calls: list[AwsCall]) -> dict[str, Any]:
    room = (MODAL_BLOCK_LIMIT - 3) // BLOCKS_PER_CALL
    shown = calls[-room:]
    intro = (
        f"Operation {code(operation.id)} made {len(calls)} AWS "
        f"{'call' if len(calls) == 1 else 'calls'}. Each can be repeated by hand with the AWS "
        "CLI command under it, using your own credentials."
    )
    blocks: list[Block] = [section(intro)]
    if len(shown) < len(calls):
        blocks.append(
            context(
                f"Showing the last {len(shown)}; the first {len(calls) - len(shown)} "
                "are left out to fit Slack's limit."
            )
        )
    first = len(calls) - len(shown) + 1
    for number, call in enumerate(shown, start=first):
        blocks.extend(call_blocks(number, call))
    if not calls:
        blocks.append(context("No AWS call has been made for it yet."))
    return {
        "type": "modal",
        "callback_id": CallbackId.AWS_CALLS,
        "title": plain("AWS calls"),
        "close": plain("Close"),
        "blocks": blocks,
    }


def call_blocks(number: int, call: AwsCall) -> list[Block]:
    outcome = "ok" if call.outcome == "ok" else code(call.outcome)
    request_id = f" · request id {code(call.request_id)}" if call.request_id else ""
    summary = (
        f"*{number}.* {code(call.service + ':' + call.operation)} · {outcome} · "
        f"attempt {call.attempt} · {call.duration_ms} ms{request_id}"
    )
    when = slack_date(call.at, seconds=True)
    command = f"```{cut(escape(call.cli), CLI_LIMIT)}```" if call.cli else "_(no CLI form)_"
    return [section(f"{summary}\n{command}"), context(when)]

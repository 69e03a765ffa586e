"""The `/account ops` answer: one line per operation, with a link to its thread."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.durations import format_duration
from bot.domain.operations import STEP_LABELS, Operation
from bot.domain.ops_view import FILTER_WORDS, OpsFilter
from bot.ui.blocks import Block, context, header, section
from bot.ui.text import code

MOST_SHOWN = 40  # one section each, under Slack's 50 blocks with room for the rest

TITLES = {
    OpsFilter.ATTENTION: "Operations running or failed",
    OpsFilter.STUCK: "Stuck operations",
    OpsFilter.FAILED: "Failed operations",
    OpsFilter.MINE: "Your operations",
    OpsFilter.ALL: "All operations",
}


def ops_blocks(
    operations: list[Operation],
    wanted: OpsFilter,
    *,
    now: datetime,
    stuck_after: timedelta,
    links: dict[str, str],
) -> list[Block]:
    blocks: list[Block] = [header(TITLES[wanted])]
    if not operations:
        blocks.append(section("None right now."))
    for operation in operations[:MOST_SHOWN]:
        blocks.append(section(ops_line(operation, now, stuck_after, links.get(operation.id))))
    if len(operations) > MOST_SHOWN:
        blocks.append(
            context(
                f"Showing the {MOST_SHOWN} most recently active of {len(operations)}; "
                f"narrow it down with {FILTER_WORDS}."
            )
        )
    blocks.append(context(f"`/account ops` takes {FILTER_WORDS}."))
    return blocks


def ops_line(operation: Operation, now: datetime, stuck_after: timedelta, link: str | None) -> str:
    state = operation.state.value
    if operation.stuck_since(now, stuck_after) is not None:
        state = ":rotating_light: stuck"
    step = f"step {operation.step_number}/{operation.step_count} {STEP_LABELS[operation.step]}"
    age = format_duration(_whole(now - operation.created_at))
    quiet = format_duration(_whole(now - operation.progress_at))
    parts = [
        f"*{code(operation.id)}* {code(operation.request.name)} · *{state}* · {step}",
        f"started {age} ago · last progress {quiet} ago · by <@{operation.requester}>",
    ]
    if operation.failure is not None:
        parts.append(f"last error {code(operation.failure.reason or operation.failure.code)}")
    if link:
        parts.append(f"<{link}|thread>")
    return "\n".join([parts[0], " · ".join(parts[1:])])


def _whole(value: timedelta) -> timedelta:
    return timedelta(seconds=int(max(value.total_seconds(), 0)))

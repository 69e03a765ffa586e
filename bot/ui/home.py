"""The App Home tab: what a person has in Outpost, and for ops, what needs them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.domain.grants import Grant
from bot.domain.operations import Operation
from bot.ui.account_show import grants_text
from bot.ui.blocks import Block, context, divider, header, section
from bot.ui.help import help_blocks
from bot.ui.ops_list import ops_line
from bot.ui.text import code, escape

MOST_PER_LIST = 10


def home_view(
    *,
    accounts: list[Operation],
    in_flight: list[Operation],
    grants: list[Grant],
    waiting: list[Grant],
    attention: list[Operation] | None,
    now: datetime,
    stuck_after: timedelta,
) -> dict[str, Any]:
    """`grants` are the person's break-glass grants not finished. `attention` is for ops only:
    stuck and failed operations, or None for everyone else; `waiting`, the requests and
    extensions ops have to decide."""
    blocks: list[Block] = [header("Your AWS accounts")]
    if accounts:
        lines = [
            f"• {code(op.progress.account_id or '')} {code(op.request.name)} · "
            f"{escape(op.request.ou_name)} · team {escape(op.request.team)}"
            for op in accounts[:MOST_PER_LIST]
        ]
        blocks.append(section("\n".join(lines)))
        blocks.extend(_more(len(accounts)))
    else:
        blocks.append(section("None created through Outpost yet. `/account new` creates one."))
    blocks.append(header("Your operations in flight"))
    blocks.extend(_operations(in_flight, now, stuck_after, "Nothing in flight."))
    blocks.append(header("Your break-glass access"))
    blocks.append(
        section(
            grants_text(grants[:MOST_PER_LIST])
            if grants
            else "None. `/account breakglass` asks for temporary access to an account."
        )
    )
    if attention is not None:
        blocks.append(header("Needs ops"))
        blocks.extend(_operations(attention, now, stuck_after, "No stuck or failed operations."))
        blocks.append(
            section(
                grants_text(waiting[:MOST_PER_LIST], title="Break-glass decisions waiting")
                if waiting
                else "No break-glass request waits for a decision."
            )
        )
    blocks.append(divider())
    blocks.extend(help_blocks())
    return {"type": "home", "blocks": blocks}


def _operations(
    operations: list[Operation], now: datetime, stuck_after: timedelta, empty: str
) -> list[Block]:
    if not operations:
        return [section(empty)]
    shown = [section(ops_line(op, now, stuck_after, None)) for op in operations[:MOST_PER_LIST]]
    return shown + _more(len(operations))


def _more(count: int) -> list[Block]:
    if count <= MOST_PER_LIST:
        return []
    return [context(f"…and {count - MOST_PER_LIST} more: `/account ops all` lists them.")]

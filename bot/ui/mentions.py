"""Answers to mentions of Outpost in an operation's thread."""

from __future__ import annotations

from datetime import datetime

from bot.domain.commands import THREAD_COMMANDS
from bot.domain.operations import AwsCall, Operation
from bot.ui.blocks import Block, context, section
from bot.ui.card import card_status
from bot.ui.failure import failure_summary
from bot.ui.resolve import NOTE_MIN
from bot.ui.text import code, escape


def thread_help(operation_id: str | None = None) -> str:
    where = f"this thread of {code(operation_id)}" if operation_id else "an operation's thread"
    commands = "\n".join(f"• `@Outpost {name}`: {what}" for name, what in THREAD_COMMANDS)
    return f"In {where}, mention me with:\n{commands}"


def resolve_note_missing() -> str:
    return f"Say what was done: `@Outpost resolve <note>`, {NOTE_MIN} characters or more."


def nothing_to_explain(operation_id: str) -> str:
    return (
        f"{operation_id} has no AWS error to explain. Name one: "
        "`@Outpost explain EMAIL_ALREADY_EXISTS`."
    )


def help_elsewhere() -> str:
    """For a mention outside an operation's thread, where no word acts on anything."""
    return f"{thread_help()}\nEverything else is a slash command: `/account help` lists them."


def status_blocks(operation: Operation, last_call: AwsCall | None, now: datetime) -> list[Block]:
    lines = [f"*{code(operation.id)}*: {card_status(operation, now)}"]
    if operation.failure is not None:
        lines.append(f"Last error: {escape(failure_summary(operation.failure))}")
    if last_call is not None:
        request = f" (request id {code(last_call.request_id)})" if last_call.request_id else ""
        outcome = "ok" if last_call.outcome == "ok" else code(last_call.outcome)
        lines.append(
            f"Last AWS call: {code(last_call.service + ':' + last_call.operation)} → "
            f"{outcome}{request}"
        )
    return [section("\n".join(lines)), context("The card above is kept up to date.")]

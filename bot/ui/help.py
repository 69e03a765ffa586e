"""The `/account help` answer, also given for unknown subcommands."""

from __future__ import annotations

from bot.domain.commands import SUBCOMMANDS, ParsedCommand
from bot.ui.blocks import Block, context, header, section
from bot.ui.text import code, escape


def help_blocks(parsed: ParsedCommand | None = None) -> list[Block]:
    blocks: list[Block] = []
    if parsed is not None and parsed.subcommand is None:
        problem = f"{code('/account ' + parsed.word)} is not an Outpost command."
        if parsed.suggestion:
            problem += f" Did you mean {code('/account ' + parsed.suggestion)}?"
        blocks.append(section(problem))
    blocks.append(header("Outpost: /account"))
    lines = []
    for sub in SUBCOMMANDS:
        soon = "" if sub.available else " _(not available yet)_"
        lines.append(
            f"*{code('/account ' + sub.usage)}*{soon}\n{sub.summary} e.g. {code(sub.example)}"
        )
    blocks.append(section("\n\n".join(lines[:5])))
    blocks.append(section("\n\n".join(lines[5:])))
    blocks.append(
        context("Slash commands do not work in threads: in an operation's thread, use its buttons.")
    )
    return blocks


def help_text(parsed: ParsedCommand | None = None) -> str:
    if parsed is not None and parsed.subcommand is None:
        hint = f" Did you mean /account {parsed.suggestion}?" if parsed.suggestion else ""
        return f"/account {escape(parsed.word)} is not an Outpost command.{hint} See /account help."
    return "Outpost /account commands: " + ", ".join(sub.name for sub in SUBCOMMANDS)

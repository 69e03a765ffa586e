"""The `/account help` answer, also given for unknown subcommands."""

from __future__ import annotations

from bot.domain.commands import SUBCOMMANDS, THREAD_COMMANDS, ParsedCommand
from bot.ui.blocks import Block, context, header, section
from bot.ui.text import SECTION_TEXT_LIMIT, code, escape


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
    blocks.extend(section(text) for text in _packed(lines))
    mentions = ", ".join(code(name.split()[0]) for name, _ in THREAD_COMMANDS)
    blocks.append(
        context(
            "Slash commands do not work in threads: in an operation's thread, use its buttons "
            f"or mention {code('@Outpost')} with {mentions}."
        )
    )
    return blocks


def _packed(entries: list[str]) -> list[str]:
    """As few section texts as Slack's limit allows: entries in one block are set apart by a
    blank line, while two blocks in a row sit closer, so a split shows as a missing line."""
    texts = [entries[0]]
    for entry in entries[1:]:
        if len(texts[-1]) + 2 + len(entry) <= SECTION_TEXT_LIMIT:
            texts[-1] += "\n\n" + entry
        else:
            texts.append(entry)
    return texts


def help_text(parsed: ParsedCommand | None = None) -> str:
    if parsed is not None and parsed.subcommand is None:
        hint = f" Did you mean /account {parsed.suggestion}?" if parsed.suggestion else ""
        return f"/account {escape(parsed.word)} is not an Outpost command.{hint} See /account help."
    return "Outpost /account commands: " + ", ".join(sub.name for sub in SUBCOMMANDS)

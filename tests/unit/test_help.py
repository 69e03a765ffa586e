"""`/account help` and the help at the foot of the App Home read as one evenly spaced list."""

from __future__ import annotations

import itertools

from bot.domain.commands import SUBCOMMANDS
from bot.emulator.block_kit import block_kit_errors
from bot.ui.blocks import Block
from bot.ui.help import help_blocks
from tests.unit.factories import home


def _texts(blocks: list[Block]) -> list[str]:
    texts = []
    for block in blocks:
        if isinstance(block.get("text"), dict):
            texts.append(block["text"]["text"])
        texts.extend(element["text"] for element in block.get("elements", []))
    return texts


def _entries_apart(blocks: list[Block]) -> None:
    """Each subcommand's entry is set off from the one before by a blank line, in one block:
    two blocks in a row are set closer together than a blank line."""
    texts = _texts(blocks)
    for before, after in itertools.pairwise(SUBCOMMANDS):
        assert any(
            f"`/account {before.name}" in text and f"\n\n*`/account {after.name}" in text
            for text in texts
        ), f"no blank line between {before.name} and {after.name}"


def test_help_sets_every_entry_apart_alike() -> None:
    blocks = help_blocks()
    assert block_kit_errors(blocks, surface="message") == []
    _entries_apart(blocks)


def test_app_home_help_sets_every_entry_apart_alike() -> None:
    view = home()
    _entries_apart(view["blocks"])


def test_help_footer_says_what_to_mention_in_a_thread() -> None:
    footer = _texts(help_blocks())[-1]
    assert "@Outpost" in footer
    for word in ("status", "retry", "cancel", "explain"):
        assert word in footer

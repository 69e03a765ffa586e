"""The `/account` grammar and its parser."""

from __future__ import annotations

import pytest

from bot.domain.commands import SUBCOMMANDS, parse_command, parse_mention
from tests.support.design import SUBCOMMAND_NAMES


class TestTheGrammar:
    def test_every_subcommand_of_the_design_exists_once(self):
        names = [sub.name for sub in SUBCOMMANDS]
        assert sorted(names) == sorted(SUBCOMMAND_NAMES)

    @pytest.mark.parametrize("sub", SUBCOMMANDS, ids=lambda sub: sub.name)
    def test_each_has_usage_summary_and_a_runnable_example(self, sub):
        assert sub.usage.split()[0] == sub.name
        assert sub.summary
        assert sub.example.startswith(f"/account {sub.name}")
        # The example parses back to the same subcommand.
        assert parse_command(sub.example.removeprefix("/account ")).subcommand == sub

    def test_help_and_new_are_available(self):
        available = {sub.name for sub in SUBCOMMANDS if sub.available}
        assert {"help", "new"} <= available


class TestParsing:
    @pytest.mark.parametrize("text", ["", "   "])
    def test_nothing_typed_means_help(self, text):
        parsed = parse_command(text)
        assert parsed.subcommand is not None
        assert parsed.subcommand.name == "help"
        assert parsed.argument == ""
        assert parsed.suggestion is None

    @pytest.mark.parametrize("text", ["new", "NEW", "New", "  new  "])
    def test_the_subcommand_is_case_insensitive(self, text):
        parsed = parse_command(text)
        assert parsed.subcommand is not None
        assert parsed.subcommand.name == "new"

    def test_the_argument_is_kept_as_typed_without_outer_spaces(self):
        parsed = parse_command("  breakglass   payments-prod 1h  investigating INC-123  ")
        assert parsed.subcommand is not None
        assert parsed.subcommand.name == "breakglass"
        assert parsed.argument == "payments-prod 1h  investigating INC-123"

    def test_the_argument_keeps_its_case(self):
        assert parse_command("new Payments-Staging").argument == "Payments-Staging"

    def test_a_known_subcommand_has_no_suggestion(self):
        assert parse_command("new x").suggestion is None


class TestUnknownWords:
    def test_a_typo_is_not_a_subcommand_and_gets_a_suggestion(self):
        parsed = parse_command("nwe payments")
        assert parsed.subcommand is None
        assert parsed.word == "nwe"
        assert parsed.argument == "payments"
        assert parsed.suggestion == "new"

    @pytest.mark.parametrize(
        ("typo", "meant"), [("hlep", "help"), ("lsit", "list"), ("NWE", "new")]
    )
    def test_suggestions_for_other_typos(self, typo, meant):
        assert parse_command(typo).suggestion == meant

    def test_nothing_close_means_no_suggestion(self):
        parsed = parse_command("zzzz")
        assert parsed.subcommand is None
        assert parsed.suggestion is None

    @pytest.mark.parametrize("separator", ["\t", "\u00a0"])
    def test_other_whitespace_separates_the_subcommand(self, separator):
        parsed = parse_command(f"new{separator}payments")
        assert parsed.subcommand is not None
        assert parsed.argument == "payments"


class TestMentions:
    @pytest.mark.parametrize(
        ("text", "parsed"),
        [
            ("<@UOUTPOST> retry", ("retry", "")),
            ("<@UOUTPOST|outpost>   Resolve  fixed by hand ", ("resolve", "fixed by hand")),
            ("hey <@UOUTPOST> status", ("hey", "status")),
            ("<@UOUTPOST>", ("", "")),
        ],
    )
    def test_the_first_word_after_the_mention_is_the_command(self, text, parsed) -> None:
        assert parse_mention(text) == parsed

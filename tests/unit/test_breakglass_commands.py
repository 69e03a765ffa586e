"""The arguments of `/account breakglass`, `grant`, `revoke` and `audit`, as people type them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.breakglass_commands import (
    GRANT_USAGE,
    AuditArgs,
    BadArguments,
    BreakglassArgs,
    parse_audit,
    parse_breakglass,
    parse_grant,
    parse_revoke,
)
from bot.domain.commands import plain_links


class TestBreakglass:
    @pytest.mark.parametrize("text", ["", "   "])
    def test_nothing_typed_asks_for_everything_in_the_form(self, text):
        args = parse_breakglass(text)
        assert args == BreakglassArgs()
        assert not args.complete

    def test_an_account_alone(self):
        args = parse_breakglass("payments-prod")
        assert args == BreakglassArgs(account="payments-prod")
        assert not args.complete

    def test_everything_typed_files_at_once(self):
        args = parse_breakglass("payments-prod 1h30m investigating INC-1")
        assert args.account == "payments-prod"
        assert args.duration == timedelta(hours=1, minutes=30)
        assert args.duration_text == "1h30m"
        assert args.reason == "investigating INC-1"
        assert args.complete

    def test_a_duration_alone_names_no_account(self):
        args = parse_breakglass("1h")
        assert args.account is None
        assert args.duration == timedelta(hours=1)
        assert args.duration_text == "1h"
        assert args.reason == ""
        assert not args.complete

    def test_a_duration_and_a_reason_without_an_account(self):
        args = parse_breakglass("45m checking the payments queue")
        assert args.account is None
        assert args.duration == timedelta(minutes=45)
        assert args.reason == "checking the payments queue"
        assert not args.complete

    def test_an_account_and_a_duration_without_a_reason_is_not_complete(self):
        args = parse_breakglass("payments-prod 2h")
        assert args.account == "payments-prod"
        assert args.duration == timedelta(hours=2)
        assert not args.complete

    def test_a_word_that_is_not_a_duration_says_so(self):
        with pytest.raises(BadArguments) as raised:
            parse_breakglass("payments-prod soon")
        message = str(raised.value)
        assert "'soon' is not a duration" in message
        assert "/account breakglass" in message

    def test_an_account_id_is_an_account_not_seconds(self):
        args = parse_breakglass("111122223333 2h restore the backups")
        assert args.account == "111122223333"
        assert args.duration == timedelta(hours=2)
        assert args.reason == "restore the backups"
        assert args.complete

    def test_an_account_id_alone_is_an_account(self):
        assert parse_breakglass("111122223333") == BreakglassArgs(account="111122223333")

    def test_durations_may_be_typed_in_capitals(self):
        assert parse_breakglass("payments-prod 2H why not now").duration == timedelta(hours=2)

    def test_refusing_a_bare_number_does_not_offer_bare_numbers(self):
        with pytest.raises(BadArguments) as raised:
            parse_breakglass("payments-prod 90 investigating INC-1")
        assert "plain seconds" not in str(raised.value)


class TestGrant:
    def test_a_mention_with_a_name(self):
        args = parse_grant("<@U123ABC|dana> payments-prod 30m restore backups")
        assert args.user == "U123ABC"
        assert args.account == "payments-prod"
        assert args.duration == timedelta(minutes=30)
        assert args.reason == "restore backups"

    def test_a_mention_without_a_name(self):
        assert parse_grant("<@W123ABC> payments-prod 30m restore backups").user == "W123ABC"

    def test_a_bare_user_id(self):
        args = parse_grant("U123ABCD 111122223333 2h restore backups")
        assert args.user == "U123ABCD"
        assert args.account == "111122223333"
        assert args.duration == timedelta(hours=2)

    @pytest.mark.parametrize(
        "text",
        ["", "<@U123ABC|dana>", "<@U123ABC|dana> payments-prod", "<@U123ABC> payments-prod 30m"],
    )
    def test_missing_parts_show_the_usage(self, text):
        with pytest.raises(BadArguments) as raised:
            parse_grant(text)
        message = str(raised.value)
        assert "missing" in message
        assert GRANT_USAGE in message

    @pytest.mark.parametrize("who", ["@nobody", "@dana.smith"])
    def test_an_at_name_slack_did_not_turn_into_a_mention_is_nobody_here(self, who):
        with pytest.raises(BadArguments) as raised:
            parse_grant(f"{who} payments-prod 30m restore backups")
        message = str(raised.value)
        assert message.startswith(f"Nobody called {who!r} was found in this workspace")
        assert "mention them with @" not in message

    @pytest.mark.parametrize("who", ["dana", "<#C123|platform>", "U12", "<@dana>"])
    def test_someone_not_mentioned_is_not_a_person(self, who):
        with pytest.raises(BadArguments) as raised:
            parse_grant(f"{who} payments-prod 30m restore backups")
        message = str(raised.value)
        assert f"{who!r} is not a person" in message
        assert GRANT_USAGE in message

    def test_a_word_that_is_not_a_duration_says_so(self):
        with pytest.raises(BadArguments) as raised:
            parse_grant("<@U123ABC|dana> payments-prod soon restore backups")
        message = str(raised.value)
        assert "'soon' is not a duration" in message
        assert GRANT_USAGE in message


class TestRevoke:
    @pytest.mark.parametrize(
        ("text", "grant_id"),
        [
            ("bg-1a2b3c4d", "bg-1a2b3c4d"),
            ("  bg-1a2b3c4d  ", "bg-1a2b3c4d"),
            ("BG-1A2B3C4D", "bg-1a2b3c4d"),
            ("Bg-1a2B3c4D", "bg-1a2b3c4d"),
            ("bg-4b1d9e", "bg-4b1d9e"),
        ],
    )
    def test_a_grant_id_in_any_case(self, text, grant_id):
        assert parse_revoke(text) == grant_id

    @pytest.mark.parametrize("text", ["bg-nonsense", "bg-1a2b3", "BG-ZZZZZZZZ", "bg-" + "1" * 17])
    def test_a_grant_id_that_does_not_exist_is_looked_up_all_the_same(self, text):
        # The desk then says there is no such grant, which is what went wrong.
        assert parse_revoke(text) == text.lower()

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "1a2b3c4d",
            "bg-",
            "bg-1a2b3c4d now",
            "op-1a2b3c4d",
        ],
    )
    def test_anything_else_shows_how_to_write_it(self, text):
        with pytest.raises(BadArguments, match=r"Write /account revoke <grant id>"):
            parse_revoke(text)


class TestAudit:
    @pytest.mark.parametrize("text", ["", "   "])
    def test_nothing_typed_is_the_last_week_of_every_account(self, text):
        assert parse_audit(text) == AuditArgs(account=None, days=7)

    def test_an_account_alone_is_its_last_week(self):
        assert parse_audit("payments-prod") == AuditArgs(account="payments-prod", days=7)

    @pytest.mark.parametrize("days", ["30", "30d", "30D"])
    def test_an_account_and_a_number_of_days(self, days):
        assert parse_audit(f"payments-prod {days}") == AuditArgs(account="payments-prod", days=30)

    def test_a_number_of_days_alone_is_every_account(self):
        assert parse_audit("30") == AuditArgs(account=None, days=30)

    @pytest.mark.parametrize("days", ["1", "365"])
    def test_the_bounds_are_allowed(self, days):
        assert parse_audit(days).days == int(days)

    @pytest.mark.parametrize("text", ["0", "400", "payments-prod 0d", "payments-prod 366"])
    def test_days_out_of_bounds_are_refused(self, text):
        with pytest.raises(BadArguments, match="Ask for 1 to 365 days"):
            parse_audit(text)

    @pytest.mark.parametrize("text", ["payments-prod staging", "payments prod 30"])
    def test_more_than_one_account_word_is_refused(self, text):
        with pytest.raises(BadArguments, match=r"Write /account audit \[account\] \[days\]"):
            parse_audit(text)

    def test_an_account_id_alone_is_an_account(self):
        assert parse_audit("111122223333") == AuditArgs(account="111122223333", days=7)

    def test_an_account_id_with_days_is_an_account(self):
        assert parse_audit("111122223333 30") == AuditArgs(account="111122223333", days=30)


class TestPlainLinks:
    def test_an_email_reads_as_typed(self):
        assert plain_links("<mailto:dana@example.com|dana@example.com>") == "dana@example.com"

    def test_a_link_with_a_label_reads_as_its_label(self):
        text = "see <https://runbooks.example.com/payments|runbooks.example.com/payments> first"
        assert plain_links(text) == "see runbooks.example.com/payments first"

    def test_a_link_without_a_label_reads_as_the_address(self):
        assert plain_links("<http://example.com/x?a=1>") == "http://example.com/x?a=1"

    def test_a_channel_reads_as_its_name(self):
        assert plain_links("list <#C123ABC|platform>") == "list #platform"

    @pytest.mark.parametrize(
        "text",
        [
            "<@U1|dana> payments-prod 30m restore",
            "<@U123ABC> payments-prod",
            "<!channel> heads up",
            "<!subteam^S123|@ops> look",
            "plain words with no links",
        ],
    )
    def test_mentions_and_plain_text_are_kept(self, text):
        assert plain_links(text) == text

    def test_everything_in_one_line(self):
        text = (
            "<@U1|dana> <mailto:a@b.co|a@b.co> <https://x.example|x.example> "
            "<https://y.example> <#C9|ops> <!here>"
        )
        assert plain_links(text) == "<@U1|dana> a@b.co x.example https://y.example #ops <!here>"

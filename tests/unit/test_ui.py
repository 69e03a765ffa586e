"""Block Kit builders: what people read in Slack, and whether Slack would accept it at all.

Every list of blocks and every view built here goes through the fake Slack's Block Kit
checker, so a builder that crosses one of Slack's limits fails here instead of in front of
a user (Slack refuses the whole message or modal for one bad block).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from bot.domain.accounts import OrganizationalUnit
from bot.domain.commands import SUBCOMMANDS, parse_command
from bot.domain.events import (
    AccountCreated,
    AccountMoved,
    CreationFound,
    CreationInDoubt,
    CreationRequested,
    Resumed,
    Retrying,
    StepFailed,
    Succeeded,
)
from bot.domain.operations import AccountRequest, Step
from bot.emulator.block_kit import block_kit_errors, view_errors
from bot.ui.card import card_blocks, card_status, card_text
from bot.ui.failure import failure_blocks, failure_summary
from bot.ui.help import help_blocks, help_text
from bot.ui.ids import ActionId, BlockId
from bot.ui.new_account import (
    NewAccountMetadata,
    aws_error_view,
    form_view,
    loading_view,
    parse_new_account_form,
)
from bot.ui.text import code, cut, escape
from bot.ui.thread import event_line
from tests.support.slack_requests import select_value, text_value
from tests.unit.factories import T0, account_request, aws_failure, operation
from tests.unit.reading import readable, texts

HOSTILE_TEAM = "<!channel> payments & friends"
HOSTILE_PURPOSE = "see <https://evil.example/login|click here> and ping <@U123> <!here>"
METADATA = NewAccountMetadata(channel="CPLATFORM")


def assert_slack_accepts_message(blocks: list[dict[str, Any]]) -> None:
    assert block_kit_errors(blocks, surface="message") == []


def assert_slack_accepts_view(view: dict[str, Any]) -> None:
    assert view_errors(view) == []


def ou_select(view: dict[str, Any]) -> dict[str, Any]:
    block = next(b for b in view["blocks"] if b.get("block_id") == BlockId.ORGANIZATIONAL_UNIT)
    element: dict[str, Any] = block["element"]
    return element


def select_options(select: dict[str, Any]) -> list[dict[str, Any]]:
    if "options" in select:
        return list(select["options"])
    return [option for group in select["option_groups"] for option in group["options"]]


class TestEscaping:
    @pytest.mark.parametrize(
        ("hostile", "safe"),
        [
            ("<!channel>", "&lt;!channel&gt;"),
            ("<!here> now", "&lt;!here&gt; now"),
            ("<@U123>", "&lt;@U123&gt;"),
            ("<https://evil|click>", "&lt;https://evil|click&gt;"),
            ("fish & chips", "fish &amp; chips"),
            ("&lt;", "&amp;lt;"),
        ],
    )
    def test_neutralises_slack_markup(self, hostile, safe):
        assert escape(hostile) == safe

    def test_drops_control_characters_and_keeps_tabs(self):
        assert escape("a\x00b\x07c\x1b[31md\u202ee\tf") == "abc[31mde\tf"

    @pytest.mark.parametrize("brk", ["\n", "\r\n", "\r", "\u2028", "\v", "\n\n  \n"])
    def test_line_breaks_show_as_a_mark_on_one_line(self, brk):
        # A new line could start what looks like one of Outpost's own lines.
        assert escape(f"why{brk}:white_check_mark: approved") == "why ↵ :white_check_mark: approved"

    def test_plain_text_is_unchanged(self):
        assert escape("payments-staging (eu-west-1)") == "payments-staging (eu-west-1)"

    def test_code_spans_cannot_be_closed_from_inside(self):
        assert code("a`b<!channel>") == "`a'b&lt;!channel&gt;`"
        assert code("") == "—"


class TestCutting:
    def test_short_text_is_unchanged(self):
        assert cut("hello", 10) == "hello"
        assert cut("x" * 3000, 3000) == "x" * 3000

    @pytest.mark.parametrize(("length", "limit"), [(3001, 3000), (10_000, 3000), (200, 75)])
    def test_long_text_stays_within_the_limit_and_says_it_was_cut(self, length, limit):
        result = cut("x" * length, limit)
        assert len(result) <= limit
        assert f"cut: {length} characters in all" in result
        assert result.startswith("x" * (limit - 40))

    def test_a_limit_shorter_than_the_marker_is_still_kept(self):
        assert len(cut("x" * 100, 24)) <= 24


class TestHelp:
    def test_lists_every_subcommand_with_its_example(self):
        blocks = help_blocks()
        assert_slack_accepts_message(blocks)
        shown = readable(blocks)
        for sub in SUBCOMMANDS:
            # Usages such as `<account id>` are escaped; Slack shows them as typed.
            assert code(f"/account {sub.usage}") in shown
            assert code(sub.example) in shown
        assert "Did you mean" not in shown

    def test_marks_what_is_not_available_yet(self):
        shown = readable(help_blocks())
        unavailable = [sub for sub in SUBCOMMANDS if not sub.available]
        assert shown.count("not available yet") == len(unavailable)

    def test_a_typo_gets_did_you_mean(self):
        blocks = help_blocks(parse_command("nwe payments"))
        assert_slack_accepts_message(blocks)
        assert "`/account nwe` is not an Outpost command" in texts(blocks)[0]
        assert "Did you mean `/account new`?" in texts(blocks)[0]
        assert "did you mean /account new" in help_text(parse_command("nwe")).lower()

    def test_an_unknown_word_without_a_close_match_gets_no_suggestion(self):
        blocks = help_blocks(parse_command("zzzz"))
        assert_slack_accepts_message(blocks)
        assert "not an Outpost command" in texts(blocks)[0]
        assert "Did you mean" not in readable(blocks)

    def test_a_hostile_unknown_word_is_escaped(self):
        blocks = help_blocks(parse_command("<!channel>"))
        assert_slack_accepts_message(blocks)
        assert "<!channel>" not in readable(blocks)

    def test_a_huge_unknown_word_is_still_accepted_by_slack(self):
        assert_slack_accepts_message(help_blocks(parse_command("x" * 5000)))

    def test_help_text_names_every_subcommand(self):
        for sub in SUBCOMMANDS:
            assert sub.name in help_text()


class TestCard:
    def hostile_request(self) -> AccountRequest:
        return account_request(team=HOSTILE_TEAM, purpose=HOSTILE_PURPOSE, ou_name="<!channel>")

    def test_running(self):
        op = operation(request=self.hostile_request())
        blocks = card_blocks(op, now=T0 + timedelta(seconds=90))
        assert_slack_accepts_message(blocks)
        shown = readable(blocks)
        assert "Running · step 1 of 3: Ask AWS Organizations to create the account" in shown
        assert "1m30s so far" in shown
        assert "`payments-staging`" in shown
        assert op.id in shown
        assert ":hourglass_flowing_sand:" in shown

    def test_cancel_asks_first_and_says_what_aws_keeps(self):
        op = operation()
        cancel = next(
            element
            for block in card_blocks(op, T0)
            if block["type"] == "actions"
            for element in block["elements"]
            if element["action_id"] == ActionId.CANCEL
        )
        confirm = cancel["confirm"]
        assert confirm["title"]["text"] == "Cancel this operation?"
        assert "What AWS has done stays done" in confirm["text"]["text"]
        assert op.id in confirm["text"]["text"]

    def test_succeeded(self):
        op = operation().record(T0, account_id="111122223333")
        op = op.advance(T0).advance(T0).advance(T0 + timedelta(minutes=4))
        blocks = card_blocks(op, now=T0 + timedelta(hours=5))
        assert_slack_accepts_message(blocks)
        shown = readable(blocks)
        assert "Succeeded · account `111122223333` · took 4m" in shown
        assert ":white_check_mark:" in shown
        assert "succeeded" in card_text(op)

    def test_failed(self):
        failure = aws_failure(code="EMAIL_ALREADY_EXISTS")
        op = operation().advance(T0).fail(T0 + timedelta(minutes=1), failure)
        blocks = card_blocks(op, T0)
        assert_slack_accepts_message(blocks)
        shown = readable(blocks)
        assert "Failed at step 2 of 3: Wait for AWS to finish creating it" in shown
        assert "`EMAIL_ALREADY_EXISTS`" in shown
        assert ":x:" in shown
        assert "failed" in card_text(op)

    @pytest.mark.parametrize("state", ["running", "succeeded", "failed"])
    def test_hostile_team_and_purpose_cannot_mention_or_link(self, state):
        op = operation(request=self.hostile_request())
        if state == "succeeded":
            op = op.advance(T0).advance(T0).advance(T0)
        elif state == "failed":
            op = op.fail(T0, aws_failure())
        shown = readable(card_blocks(op, now=T0))
        # The only markup left is the requester's mention, which Outpost writes itself.
        assert re.findall(r"<[^>]*>", shown) == ["<@UENGINEER>"]
        assert "&lt;!channel&gt; payments &amp; friends" in shown
        assert "&lt;https://evil.example/login|click here&gt;" in shown

    def test_the_longest_hostile_inputs_are_still_accepted(self):
        request = account_request(team="<" * 100, purpose="&" * 500, ou_name=">" * 300)
        op = operation(request=request).record(T0, account_id="111122223333")
        blocks = card_blocks(op, now=T0)
        assert_slack_accepts_message(blocks)
        assert len(card_text(op)) <= 300

    def test_status_never_shows_a_negative_elapsed_time(self):
        assert "0s so far" in card_status(operation(), now=T0 - timedelta(minutes=5))


class TestFailureBlocks:
    def test_shows_everything_aws_said(self):
        failure = aws_failure(http_status=400, attempts=2)
        blocks = failure_blocks(":x: *Step 1 of 3 failed*", failure)
        assert_slack_accepts_message(blocks)
        shown = readable(blocks)
        assert "`organizations:CreateAccount`" in shown
        assert "`ConstraintViolationException`" in shown
        assert "`ACCOUNT_NUMBER_LIMIT_EXCEEDED`" in shown
        assert f"`{failure.request_id}`" in shown
        assert "*HTTP status*\n400" in shown
        assert "*Attempts*\n2" in shown
        assert "> You have exceeded the allowed number of AWS accounts." in shown

    def test_a_reason_equal_to_the_code_is_not_repeated(self):
        failure = aws_failure(code="EMAIL_ALREADY_EXISTS", reason="EMAIL_ALREADY_EXISTS")
        shown = readable(failure_blocks("title", failure))
        assert "*Reason*" not in shown

    def test_missing_request_id_and_status_are_left_out(self):
        failure = aws_failure(code="ConnectionClosedError", request_id=None, http_status=None)
        blocks = failure_blocks("title", failure)
        assert_slack_accepts_message(blocks)
        shown = readable(blocks)
        assert "Request id" not in shown
        assert "HTTP status" not in shown

    @pytest.mark.parametrize(
        "message",
        ["x" * 10_000, "line of text\n" * 800, "<" * 10_000, "x\n\n" * 5_000],
        ids=["one-line", "many-lines", "all-escaped", "line-breaks"],
    )
    def test_a_10kb_message_is_cut_under_slacks_limits(self, message):
        blocks = failure_blocks(":x: title", aws_failure(message=message))
        assert_slack_accepts_message(blocks)
        for block in blocks:
            assert len(block["text"]["text"]) <= 3000
            for field in block.get("fields", []):
                assert len(field["text"]) <= 2000
        assert "cut:" in readable(blocks)

    def test_a_hostile_message_is_escaped(self):
        failure = aws_failure(message="Invalid email <!channel> <https://evil|x>")
        shown = readable(failure_blocks("title", failure))
        assert "<!channel>" not in shown
        assert "<https://evil" not in shown

    def test_summary_is_one_short_line(self):
        summary = failure_summary(aws_failure(message="m" * 5000))
        assert summary.startswith("CreateAccount failed: ConstraintViolationException: ")
        assert len(summary) < 400


class TestThreadLines:
    @pytest.mark.parametrize(
        ("event", "expected"),
        [
            (Resumed(Step.WAIT_FOR_ACCOUNT), "Resumed after restart* at step 2"),
            (CreationRequested("car-abc", timedelta(seconds=5)), "request `car-abc`"),
            (CreationFound("car-abc", None), "request `car-abc`"),
            (CreationFound(None, "111122223333"), "account `111122223333`"),
            (CreationInDoubt(aws_failure(code="ConnectionClosedError")), "ConnectionClosedError"),
            (AccountCreated("111122223333", 3), "after 3 status checks"),
            (AccountMoved("ou-1", "Prod", already_there=False), "Moved the account into *Prod*"),
            (AccountMoved("ou-1", "Prod", already_there=True), "already in *Prod*"),
            (
                Retrying(
                    "organizations",
                    "ListAccounts",
                    "Throttling",
                    "Rate",
                    2,
                    5,
                    timedelta(seconds=2),
                ),
                "`Throttling` on `organizations:ListAccounts`: attempt 2 of 5, retrying in 2s",
            ),
            (Succeeded("111122223333"), "account `111122223333` is ready"),
            (StepFailed(Step.MOVE_ACCOUNT, aws_failure()), "Step 3 of 3 failed"),
        ],
    )
    def test_every_event_reads_well_and_slack_accepts_it(self, event, expected):
        text, blocks = event_line(event)
        assert_slack_accepts_message(blocks)
        assert text
        assert expected in readable(blocks)

    def test_the_creation_line_says_the_checks_back_off(self):
        # PollSchedule checks after its first interval, then less often up to its maximum.
        text, blocks = event_line(CreationRequested("car-abc", timedelta(seconds=5)))
        assert (
            text
            == readable(blocks)
            == (
                ":outbox_tray: `CreateAccount` accepted: request `car-abc`. AWS is creating the "
                "account; Outpost checks every 5s at first, less often as it goes on."
            )
        )

    def test_a_hostile_ou_name_is_escaped(self):
        _, blocks = event_line(AccountMoved("ou-1", "<!channel>", already_there=False))
        assert "<!channel>" not in readable(blocks)


class TestNewAccountModal:
    def units(self, count: int) -> list[OrganizationalUnit]:
        return [
            OrganizationalUnit(id=f"ou-root-{i:08d}", name=f"Team {i}", path=f"Root / Team {i:03d}")
            for i in range(count)
        ]

    def test_loading_and_error_views_are_accepted(self):
        assert_slack_accepts_view(loading_view(METADATA))
        error_view = aws_error_view(METADATA, aws_failure(message="x" * 10_000))
        assert_slack_accepts_view(error_view)
        assert "ConstraintViolationException" in readable(error_view["blocks"])

    def test_a_few_ous_are_plain_options_sorted_by_path(self):
        units = self.units(5)[::-1]
        view = form_view(METADATA, units, name="payments-staging")
        assert_slack_accepts_view(view)
        select = ou_select(view)
        labels = [o["text"]["text"] for o in select["options"]]
        assert labels == sorted(u.path for u in units)
        name_input = view["blocks"][0]["element"]
        assert name_input["initial_value"] == "payments-staging"

    def test_150_ous_use_option_groups_and_every_ou_can_be_chosen(self):
        units = self.units(150)
        view = form_view(METADATA, units)
        assert_slack_accepts_view(view)
        select = ou_select(view)
        assert "options" not in select
        groups = select["option_groups"]
        assert len(groups) == 2
        assert all(len(group["options"]) <= 100 for group in groups)
        assert sorted(o["value"] for o in select_options(select)) == sorted(u.id for u in units)

    def test_a_huge_organization_is_still_accepted(self):
        assert_slack_accepts_view(form_view(METADATA, self.units(1000)))

    def test_a_prefilled_name_longer_than_the_field_is_cut(self):
        view = form_view(METADATA, self.units(1), name="n" * 80)
        assert_slack_accepts_view(view)
        assert view["blocks"][0]["element"]["initial_value"] == "n" * 50

    def test_the_email_hint_names_the_default(self):
        view = form_view(METADATA, self.units(1), email_template="aws+{name}@example.com")
        email = next(b for b in view["blocks"] if b.get("block_id") == BlockId.ROOT_EMAIL)
        assert "aws+{name}@example.com" in email["hint"]["text"]
        assert email["optional"] is True

    def test_an_organization_without_ous_still_gets_a_valid_form(self):
        # The root itself is always a destination, so the select is never empty.
        root_only = [OrganizationalUnit(id="r-abcd", name="Root", path="Root")]
        view = form_view(METADATA, root_only)
        assert_slack_accepts_view(view)
        assert [o["value"] for o in select_options(ou_select(view))] == ["r-abcd"]

    def test_ous_with_long_paths_stay_distinguishable(self):
        prefix = "Root / Engineering Platform Shared Services / Regional Workloads Europe / "
        units = [
            OrganizationalUnit(id="ou-root-prod0001", name="Prod", path=prefix + "Prod"),
            OrganizationalUnit(id="ou-root-dev00001", name="Dev", path=prefix + "Dev"),
        ]
        options = select_options(ou_select(form_view(METADATA, units)))
        label_of = {o["value"]: o["text"]["text"] for o in options}
        assert "Prod" in label_of["ou-root-prod0001"]
        assert "Dev" in label_of["ou-root-dev00001"]


class TestReadingTheSubmittedForm:
    def submitted(self, *, email: str | None, metadata: str) -> dict[str, Any]:
        view = form_view(METADATA, [OrganizationalUnit(id="ou-1", name="Prod", path="Root / P")])
        values = {
            BlockId.ACCOUNT_NAME: {ActionId.ACCOUNT_NAME: text_value("  payments-prod ")},
            BlockId.ORGANIZATIONAL_UNIT: {
                ActionId.ORGANIZATIONAL_UNIT: select_value("ou-1", "Root / P")
            },
            BlockId.TEAM: {ActionId.TEAM: text_value("payments")},
            BlockId.ROOT_EMAIL: {ActionId.ROOT_EMAIL: text_value(email)},
            BlockId.PURPOSE: {ActionId.PURPOSE: text_value("prod")},
        }
        return dict(view, private_metadata=metadata, state={"values": values})

    def test_reads_back_what_was_typed(self):
        metadata, form = parse_new_account_form(
            self.submitted(email=None, metadata=METADATA.model_dump_json())
        )
        assert metadata.channel == "CPLATFORM"
        assert form.name == "payments-prod"
        assert (form.ou_id, form.ou_name) == ("ou-1", "Root / P")
        assert form.email is None
        assert (form.team, form.purpose) == ("payments", "prod")

    def test_forged_metadata_is_refused(self):
        from bot.ui.new_account import FormUnreadable

        with pytest.raises(FormUnreadable):
            parse_new_account_form(self.submitted(email="a@b.co", metadata='{"nope": 1}'))


def test_a_cancel_while_create_account_is_in_doubt_says_so() -> None:
    from bot.domain.events import Cancelled

    text, _ = event_line(
        Cancelled("UOPS", Step.CREATE_ACCOUNT, None, None, False, sent_unconfirmed=True)
    )
    assert "whether AWS acted on it is unknown" in text
    assert "list-create-account-status" in text

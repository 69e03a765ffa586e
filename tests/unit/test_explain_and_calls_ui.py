"""The `/account explain` answer and the AWS calls modal stay within what Slack accepts."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.aws.catalog import catalog
from bot.domain.operations import AwsCall
from bot.emulator.block_kit import block_kit_errors, view_errors
from bot.ui.aws_calls import aws_calls_view
from bot.ui.explain import explain_blocks
from tests.unit.factories import operation

WORDS = [word for words in catalog().by_service().values() for word in words]


def call(
    number: int, outcome: str = "ok", cli: str | None = "aws sts get-caller-identity"
) -> AwsCall:
    return AwsCall(
        service="organizations",
        operation="DescribeCreateAccountStatus",
        request_id=f"req-{number}",
        outcome=outcome,
        duration_ms=12,
        attempt=1,
        at=datetime(2026, 3, 1, 12, 0, number % 60, tzinfo=UTC),
        cli=cli,
    )


class TestExplain:
    def test_every_entry_explains_within_slack_limits(self) -> None:
        for word in WORDS:
            blocks = explain_blocks(catalog(), word)
            assert block_kit_errors(blocks, surface="message") == [], word
            assert word in json.dumps(blocks)

    def test_the_full_listing_fits_one_message(self) -> None:
        blocks = explain_blocks(catalog(), "")
        assert block_kit_errors(blocks, surface="message") == []
        shown = json.dumps(blocks)
        for word in WORDS:
            assert f"`{word}`" in shown

    def test_closing_an_account_teaches_its_refusals(self) -> None:
        already = json.dumps(explain_blocks(catalog(), "accountalreadyclosedexception"))
        assert "`AccountAlreadyClosedException`" in already
        assert "90 days" in already
        quota = json.dumps(explain_blocks(catalog(), "close_account_quota_exceeded"))
        assert "`CLOSE_ACCOUNT_QUOTA_EXCEEDED`" in quota
        assert "ConstraintViolationException.Reason" in quota
        assert "30 days" in quota

    def test_an_access_denied_code_explains_each_service_including_contacts_and_budgets(
        self,
    ) -> None:
        blocks = explain_blocks(catalog(), "AccessDeniedException")
        assert block_kit_errors(blocks, surface="message") == []
        shown = json.dumps(blocks)
        for service in ("organizations", "sso-admin", "identitystore", "account", "budgets"):
            assert f"error code from `{service}`" in shown, service
        assert "enable-aws-service-access --service-principal account.amazonaws.com" in shown

    def test_budget_codes_are_taught_and_offered_when_mistyped(self) -> None:
        shown = json.dumps(explain_blocks(catalog(), "DuplicateRecordException"))
        assert "error code from `budgets`" in shown
        assert "aws budgets describe-budget" in shown
        offered = json.dumps(explain_blocks(catalog(), "CreationLimitExceeded"))
        assert "Closest: `CreationLimitExceededException`" in offered

    def test_the_listing_names_the_new_services(self) -> None:
        shown = json.dumps(explain_blocks(catalog(), ""))
        for service in ("account", "budgets"):
            assert f"*{service}*" in shown
        assert "`BillingViewHealthStatusException`" in shown

    def test_hostile_unknown_word_is_escaped(self) -> None:
        shown = json.dumps(explain_blocks(catalog(), "<!channel> <@U1>"))
        assert "<!channel>" not in shown
        assert "<@U1>" not in shown


class TestAwsCallsModal:
    def test_each_call_shows_outcome_request_id_and_cli(self) -> None:
        view = aws_calls_view(operation(), [call(1), call(2, outcome="TooManyRequestsException")])
        assert view_errors(view) == []
        shown = json.dumps(view, ensure_ascii=False)
        assert "`req-1`" in shown and "`req-2`" in shown
        assert "`TooManyRequestsException`" in shown
        assert "```aws sts get-caller-identity```" in shown

    def test_more_calls_than_a_modal_holds_says_what_was_left_out(self) -> None:
        calls = [call(n) for n in range(1, 121)]
        view = aws_calls_view(operation(), calls)
        assert view_errors(view) == []
        shown = json.dumps(view, ensure_ascii=False)
        assert "made 120 AWS calls" in shown
        assert "Showing the last 48; the first 72 are left out" in shown
        assert "`req-120`" in shown and "`req-72`" not in shown

    def test_no_calls_yet(self) -> None:
        view = aws_calls_view(operation(), [])
        assert view_errors(view) == []
        assert "No AWS call has been made for it yet." in json.dumps(view)

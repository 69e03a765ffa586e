"""The AWS error block: what AWS said, what the catalog says, and the call by hand."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.aws.catalog import catalog
from bot.domain.operations import AwsFailure
from bot.emulator.block_kit import block_kit_errors
from bot.ui.failure import failure_blocks
from tests.unit.factories import aws_failure

CREATE_CLI = "aws organizations create-account --email 'a&b@example.com' --account-name x"


def failure(**changes: Any) -> AwsFailure:
    return aws_failure(**{"request_id": "req-1", "cli": CREATE_CLI, **changes})


def shown(blocks: list[dict[str, object]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


class TestWhatTheBlockShows:
    def test_everything_aws_said(self) -> None:
        text = shown(failure_blocks("*failed*", failure()))
        for part in (
            "`organizations:CreateAccount`",
            "`ConstraintViolationException`",
            "`ACCOUNT_NUMBER_LIMIT_EXCEEDED`",
            "`req-1`",
            "*HTTP status*\\n400",
            "*Attempts*\\n1",
            "> You have exceeded the allowed number of AWS accounts.",
        ):
            assert part in text

    def test_the_reason_s_advice_is_preferred_to_the_code_s(self) -> None:
        entry = catalog().reason(
            "organizations", "ACCOUNT_NUMBER_LIMIT_EXCEEDED", "ConstraintViolationException.Reason"
        )
        assert entry is not None
        text = shown(failure_blocks("*failed*", failure()))
        assert json.dumps(entry.meaning, ensure_ascii=False)[1:-1].replace("&", "&amp;") in text
        assert str(entry.doc) in text

    def test_the_cli_command_is_escaped_in_a_code_block(self) -> None:
        text = shown(failure_blocks("*failed*", failure()))
        assert "```aws organizations create-account --email 'a&amp;b@example.com'" in text

    def test_no_cli_form_no_cli_section(self) -> None:
        assert "by hand" not in shown(failure_blocks("*failed*", failure(cli=None)))

    def test_an_unknown_code_gets_the_fallback_advice_for_its_kind(self) -> None:
        client = shown(failure_blocks("x", failure(code="BrandNewException", reason=None)))
        server = shown(failure_blocks("x", failure(code="BrandNew", reason=None, http_status=503)))
        assert catalog().fallbacks["client"].meaning[:40] in client
        assert catalog().fallbacks["server"].meaning[:40] in server


class TestRetriesExhausted:
    def test_a_transient_error_after_every_attempt_says_retries_were_exhausted(self) -> None:
        text = shown(
            failure_blocks(
                "x",
                failure(code="TooManyRequestsException", reason=None, attempts=5),
            )
        )
        assert "Retries exhausted after 5 attempts. AWS said the last time" in text

    def test_a_final_error_after_retries_says_on_which_attempt(self) -> None:
        text = shown(
            failure_blocks("x", failure(code="AccessDeniedException", reason=None, attempts=3))
        )
        assert "AWS said on attempt 3" in text
        assert "exhausted" not in text


@pytest.mark.parametrize("size", [10, 3000, 10_000])
def test_slack_accepts_the_block_whatever_the_message_size(size: int) -> None:
    blocks = failure_blocks(
        "*failed*", failure(message="<!channel> " + "m" * size, cli=CREATE_CLI + " x" * size)
    )
    assert block_kit_errors(blocks, surface="message") == []
    assert "<!channel>" not in shown(blocks)

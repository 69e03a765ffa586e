"""Button and option values: what cards carry, read back as typed values or refused."""

from __future__ import annotations

import pytest

from bot.domain.errors import InvalidInput
from bot.domain.operations import OperationState
from bot.ui.values import (
    VALUE_LIMIT,
    AccountOption,
    DecisionButton,
    GrantButton,
    ListCursor,
    OperationButton,
    OuOption,
    RetryButton,
    RevokeButton,
    UnreadableValue,
)


class TestCardsPostedBeforeAnUpgrade:
    """Values already in Slack, as earlier versions wrote them, still read."""

    def test_retry_with_the_state_it_was_shown_for(self) -> None:
        clicked = RetryButton.decode("op-7f3a2c|failed")
        assert clicked == RetryButton(operation_id="op-7f3a2c", shown_for=OperationState.FAILED)

    def test_a_stuck_alert_s_retry(self) -> None:
        assert RetryButton.decode("op-7f3a2c91|running").shown_for is OperationState.RUNNING

    def test_cancel_resolve_and_show_calls(self) -> None:
        assert OperationButton.decode("op-7f3a2c91").operation_id == "op-7f3a2c91"

    def test_approve_and_deny_of_a_request_or_an_extension(self) -> None:
        assert DecisionButton.decode("bg-1a2b3c4d|request").deciding == "request"
        assert DecisionButton.decode("bg-1a2b3c4d|extension-2").deciding == "extension-2"

    def test_withdraw_and_revoke_now(self) -> None:
        assert RevokeButton.decode("bg-1a2b3c4d|withdraw").withdraw
        assert not RevokeButton.decode("bg-1a2b3c4d").withdraw

    def test_the_list_s_cursor(self) -> None:
        assert ListCursor.decode('{"ou":"Workloads","offset":100}').offset == 100


class TestWhatIsWritten:
    def test_the_wire_shape_is_unchanged(self) -> None:
        retry = RetryButton(operation_id="op-1a2b3c4d", shown_for=OperationState.FAILED)
        assert retry.encode() == "op-1a2b3c4d|failed"
        assert RevokeButton.withdrawing("bg-1a2b3c4d").encode() == "bg-1a2b3c4d|withdraw"
        assert RevokeButton(grant_id="bg-1a2b3c4d").encode() == "bg-1a2b3c4d"
        assert AccountOption(account_id="123456789012").encode() == "123456789012"
        assert OuOption(ou_id="ou-ab12-cdef3456").encode() == "ou-ab12-cdef3456"

    @pytest.mark.parametrize(
        "value",
        [
            OperationButton(operation_id="op-" + "a" * 40),
            RetryButton(operation_id="op-1", shown_for=OperationState.RUNNING),
            GrantButton(grant_id="bg-" + "f" * 40),
            DecisionButton(grant_id="bg-1", deciding="extension-9999"),
            RevokeButton.withdrawing("bg-1"),
            ListCursor(ou="x" * 1000, offset=1_000_000),
        ],
    )
    def test_each_reads_back_as_itself_within_slack_s_limit(self, value: object) -> None:
        encoded = value.encode()  # type: ignore[attr-defined]
        assert len(encoded) <= VALUE_LIMIT
        assert type(value).decode(encoded) == value  # type: ignore[attr-defined]


class TestWhatIsRefused:
    @pytest.mark.parametrize(
        "raw",
        [
            None,
            42,
            "",
            "garbage",
            "op-1|failed|again",
            "op-1|done",
            "OP-1A2B",
            "bg-1a2b3c",
            "op-" + "a" * 3000,
        ],
    )
    def test_a_retry_value_outpost_never_wrote(self, raw: object) -> None:
        with pytest.raises(UnreadableValue):
            RetryButton.decode(raw)

    @pytest.mark.parametrize(
        "model, raw",
        [
            (DecisionButton, "bg-1a2b3c"),
            (DecisionButton, "bg-1a2b3c|everything"),
            (RevokeButton, "bg-1a2b3c|everything"),
            (RevokeButton, "bg-1a2b3c|"),
            (GrantButton, "bg-1a2b3c|4h"),
            (OperationButton, "bg-1a2b3c"),
            (ListCursor, '{"ou": "x", "offset": -1}'),
            (ListCursor, "op-1a2b3c"),
        ],
    )
    def test_a_field_outpost_never_wrote(self, model: type[RetryButton], raw: str) -> None:
        with pytest.raises(UnreadableValue):
            model.decode(raw)

    def test_the_error_is_one_of_invalid_input(self) -> None:
        with pytest.raises(InvalidInput, match="not a GrantButton value"):
            GrantButton.decode("DROP TABLE grants")

"""Retry, cancel and resolve as state transitions, and who may do them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.operations import OperationState, Step, TriageKind, WrongState
from bot.domain.triage import TriageRule, refusal
from bot.ui.triage import refused, wrong_state
from tests.unit.factories import T0, aws_failure, operation


def failed():
    at_move = operation().advance(T0).advance(T0).record(T0, create_sends=2)
    return at_move.fail(T0, aws_failure())


class TestTransitions:
    def test_retry_resumes_the_failed_step_with_fresh_attempts(self) -> None:
        retried = failed().retry(T0, "UOPS")
        assert retried.state is OperationState.RUNNING
        assert retried.step is Step.MOVE_ACCOUNT
        assert retried.failure is None and retried.finished_at is None
        assert retried.progress.create_sends == 0
        assert [(a.kind, a.by) for a in retried.actions] == [(TriageKind.RETRY, "UOPS")]

    def test_retry_of_a_running_operation_runs_its_step_now(self) -> None:
        waiting = operation().advance(T0).wait(T0, timedelta(minutes=5))
        poked = waiting.retry(T0 + timedelta(minutes=1), "UOPS")
        assert poked.state is OperationState.RUNNING
        assert poked.next_run_at == T0 + timedelta(minutes=1)

    def test_cancel_and_resolve_finish_the_operation_on_record(self) -> None:
        cancelled = operation().cancel(T0, "UENGINEER")
        assert cancelled.state is OperationState.CANCELLED and cancelled.state.finished
        resolved = failed().resolve(T0, "UOPS", "fixed by hand")
        assert resolved.state is OperationState.RESOLVED
        assert resolved.actions[-1].note == "fixed by hand"

    @pytest.mark.parametrize(
        ("make", "act"),
        [
            (operation, lambda op: op.resolve(T0, "U", "note")),
            (failed, lambda op: op.cancel(T0, "U")),
            (lambda: failed().resolve(T0, "U", "note"), lambda op: op.retry(T0, "U")),
        ],
    )
    def test_an_action_that_does_not_apply_says_why(self, make, act) -> None:
        with pytest.raises(WrongState) as refusal:
            act(make())
        assert "there is nothing to" in refused(refusal.value)


class TestWrongStateWording:
    @pytest.mark.parametrize(
        ("make", "act", "expected"),
        [
            (
                lambda: operation().advance(T0).advance(T0).advance(T0),
                lambda op: op.retry(T0, "U"),
                "has succeeded: there is nothing to retry.",
            ),
            (
                lambda: operation().cancel(T0, "U"),
                lambda op: op.retry(T0, "U"),
                "was cancelled: there is nothing to retry.",
            ),
            (
                lambda: failed().resolve(T0, "U", "note"),
                lambda op: op.retry(T0, "U"),
                "was marked resolved: there is nothing to retry.",
            ),
            (failed, lambda op: op.cancel(T0, "U"), "has failed: there is nothing to cancel."),
            (
                operation,
                lambda op: op.resolve(T0, "U", "note"),
                "is still running: there is nothing to mark resolved.",
            ),
        ],
    )
    def test_the_refusal_reads_as_a_sentence(self, make, act, expected) -> None:
        op = make()
        with pytest.raises(WrongState) as refused:
            act(op)
        assert wrong_state(refused.value) == f"{op.id} {expected}"

    @pytest.mark.parametrize("state", list(OperationState))
    def test_every_state_is_worded(self, state) -> None:
        assert not state.described.startswith(f"is {state.value}")


class TestWhoMay:
    @pytest.mark.parametrize("kind", [TriageKind.RETRY, TriageKind.CANCEL])
    def test_requester_and_ops_may_retry_or_cancel(self, kind) -> None:
        op = operation()
        assert refusal(kind, op, op.requester, is_ops=False) is None
        assert refusal(kind, op, "UOPS", is_ops=True) is None
        assert refusal(kind, op, "UOTHER", is_ops=False) is TriageRule.REQUESTER_OR_OPS

    def test_only_ops_may_resolve_even_their_own(self) -> None:
        op = failed()
        assert refusal(TriageKind.RESOLVE, op, op.requester, is_ops=False) is TriageRule.OPS_RESOLVE
        assert refusal(TriageKind.RESOLVE, op, op.requester, is_ops=True) is None


class TestRetryAfterAwsFailedTheCreation:
    def test_retry_asks_aws_for_a_new_creation(self) -> None:
        waiting = operation().record(T0, create_request_id="car-1", create_sent_at=T0).advance(T0)
        failure = aws_failure(
            operation="CreateAccount", code="INTERNAL_FAILURE", reason="INTERNAL_FAILURE"
        )
        retried = waiting.fail(T0, failure).retry(T0, "UOPS")
        assert retried.step is Step.CREATE_ACCOUNT
        assert retried.progress.create_request_id is None

    def test_a_failed_status_check_retries_the_check(self) -> None:
        waiting = operation().record(T0, create_request_id="car-1").advance(T0)
        failure = aws_failure(
            operation="DescribeCreateAccountStatus", code="AccessDenied", reason=None
        )
        retried = waiting.fail(T0, failure).retry(T0, "UOPS")
        assert retried.step is Step.WAIT_FOR_ACCOUNT
        assert retried.progress.create_request_id == "car-1"

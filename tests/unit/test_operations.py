"""The Operation state machine: steps, success, failure, waiting and progress."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bot.domain.operations import (
    STEP_ORDER,
    CreationProgress,
    Operation,
    OperationState,
    Step,
    WrongState,
    new_operation_id,
)
from bot.ui.triage import refused
from tests.unit.factories import T0, aws_failure, operation


class TestANewOperation:
    def test_starts_running_at_the_first_step(self):
        op = operation()
        assert op.state is OperationState.RUNNING
        assert not op.state.finished
        assert op.step is Step.CREATE_ACCOUNT
        assert (op.step_number, op.step_count) == (1, 3)
        assert op.progress == CreationProgress()
        assert op.failure is None
        assert op.finished_at is None

    def test_gets_a_short_id(self):
        assert re.fullmatch(r"op-[0-9a-f]{8}", operation().id)

    def test_ids_are_random(self):
        ids = {new_operation_id() for _ in range(200)}
        assert len(ids) > 190
        assert all(re.fullmatch(r"op-[0-9a-f]{8}", i) for i in ids)

    def test_survives_a_json_round_trip(self):
        op = operation().record(T0, create_request_id="car-1", polls=2)
        assert Operation.model_validate_json(op.model_dump_json()) == op


class TestAdvancing:
    def test_goes_through_the_three_steps_in_order(self):
        assert STEP_ORDER == (Step.CREATE_ACCOUNT, Step.WAIT_FOR_ACCOUNT, Step.MOVE_ACCOUNT)
        op = operation()
        t1, t2 = T0 + timedelta(seconds=1), T0 + timedelta(seconds=2)

        waiting = op.advance(t1)
        assert waiting.step is Step.WAIT_FOR_ACCOUNT
        assert waiting.step_number == 2
        assert waiting.state is OperationState.RUNNING
        assert (waiting.next_run_at, waiting.progress_at, waiting.updated_at) == (t1, t1, t1)

        moving = waiting.advance(t2)
        assert moving.step is Step.MOVE_ACCOUNT
        assert moving.step_number == 3
        assert moving.finished_at is None

    def test_succeeds_after_the_last_step(self):
        t3 = T0 + timedelta(seconds=3)
        done = operation().advance(T0).advance(T0).advance(t3)
        assert done.state is OperationState.SUCCEEDED
        assert done.state.finished
        assert done.finished_at == t3
        assert done.step is Step.MOVE_ACCOUNT  # the step it finished at
        assert done.failure is None

    def test_leaves_the_original_untouched(self):
        op = operation()
        op.advance(T0 + timedelta(seconds=1))
        assert op.step is Step.CREATE_ACCOUNT


class TestFailing:
    def test_keeps_the_step_that_failed_and_the_failure(self):
        failure = aws_failure(code="EMAIL_ALREADY_EXISTS", reason="EMAIL_ALREADY_EXISTS")
        at = T0 + timedelta(minutes=2)
        failed = operation().advance(T0).record(T0, create_request_id="car-9").fail(at, failure)
        assert failed.state is OperationState.FAILED
        assert failed.state.finished
        assert failed.step is Step.WAIT_FOR_ACCOUNT
        assert failed.failure == failure
        assert failed.finished_at == at
        assert failed.updated_at == at
        assert failed.progress.create_request_id == "car-9"

    def test_a_root_email_aws_refused_is_not_retried(self):
        failure = aws_failure(code="EMAIL_ALREADY_EXISTS", reason="EMAIL_ALREADY_EXISTS")
        failed = operation().advance(T0).fail(T0, failure)
        with pytest.raises(WrongState) as refusal:
            failed.retry(T0, "UENGINEER")
        assert "New request, other email" in refused(refusal.value)

    def test_a_retry_keeps_the_error_met_for_explain(self):
        failure = aws_failure()
        retried = operation().fail(T0, failure).retry(T0, "UENGINEER")
        assert retried.failure is None
        assert retried.last_failure == failure


class TestWaiting:
    def test_sets_the_next_run_and_nothing_else(self):
        op = operation()
        later = op.wait(T0 + timedelta(seconds=10), timedelta(seconds=5))
        assert later.next_run_at == T0 + timedelta(seconds=15)
        assert later.updated_at == T0 + timedelta(seconds=10)
        assert later.progress_at == op.progress_at  # waiting is not progress
        assert (later.step, later.state) == (op.step, op.state)


class TestRecordingProgress:
    def test_updates_progress_and_when_it_was_made(self):
        at = T0 + timedelta(seconds=7)
        op = operation().record(at, create_request_id="car-1", create_sends=1)
        assert op.progress.create_request_id == "car-1"
        assert op.progress.create_sends == 1
        assert op.progress_at == at
        assert op.updated_at == at

    def test_keeps_what_was_recorded_before(self):
        op = operation().record(T0, create_request_id="car-1").record(T0, account_id="111122223333")
        assert op.progress.create_request_id == "car-1"
        assert op.progress.account_id == "111122223333"
        assert (op.step, op.state) == (Step.CREATE_ACCOUNT, OperationState.RUNNING)

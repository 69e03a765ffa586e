"""The EventBridge Scheduler gateway against a real moto server, with faults injected on the wire.

moto keeps schedules but never runs them. What a test checks is read with boto3 straight at
moto, so that only the gateway's calls go through the fault proxy. Scheduler speaks REST-JSON,
which carries no operation name the proxy can match on: its rules here match every call ("*").
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from bot.aws.caller import AwsCaller
from bot.aws.clients import scheduler_client
from bot.aws.errors import AwsCallError
from bot.aws.scheduler import (
    REVOKE_TARGET_ARN,
    RevokeTarget,
    SchedulerGateway,
    schedule_expression,
    schedule_name,
)
from bot.clock import SystemClock
from bot.emulator.aws_faults import (
    ThreadedAwsFaultProxy,
    aws_error,
    garbage_answer,
    lose_response,
    throttle,
)
from tests.integration.conftest import FAST_RETRIES
from tests.support.aws_clients import (
    Watched,
    assert_no_request_id,
    built_as_the_bot_builds_them,
    moto_client,
)
from tests.support.organization import reset_moto

ROLE_ARN = "arn:aws:iam::111122223333:role/outpost-breakglass-revoker"
NAME = "outpost-breakglass-bg-1a2b3c"
AT = datetime(2031, 5, 4, 13, 30, tzinfo=UTC)
LATER = datetime(2031, 5, 4, 15, 45, tzinfo=UTC)
ASSIGNMENT = RevokeTarget(
    instance_arn="arn:aws:sso:::instance/ssoins-1111111111111111",
    account_id="111122223333",
    permission_set_arn="arn:aws:sso:::permissionSet/ssoins-1111111111111111/ps-2222222222222222",
    user_id="9067b1e2-5011-70c4-1234-56789abcdef0",
)


@pytest.fixture(scope="module")
def api_client(session_proxy: ThreadedAwsFaultProxy) -> Iterator[Any]:
    with built_as_the_bot_builds_them(session_proxy.url, scheduler_client) as (client,):
        yield client


@pytest.fixture(scope="module")
def scheduler_in_moto(moto_url: str) -> Any:
    return moto_client("scheduler", moto_url)


@pytest.fixture
def schedules(moto_url: str, scheduler_in_moto: Any) -> Any:
    """moto's scheduler, emptied, read without the proxy."""
    reset_moto(moto_url)
    return scheduler_in_moto


@pytest.fixture
def gateway(api_client: Any, aws: ThreadedAwsFaultProxy, schedules: Any) -> SchedulerGateway:
    return SchedulerGateway(api_client, AwsCaller(FAST_RETRIES, SystemClock()), role_arn=ROLE_ARN)


def names(schedules: Any) -> list[str]:
    return [raw["Name"] for raw in schedules.list_schedules()["Schedules"]]


class TestNames:
    def test_a_grant_names_its_schedule(self):
        assert schedule_name("bg-1a2b3c") == "outpost-breakglass-bg-1a2b3c"

    @pytest.mark.parametrize("grant_id", ["bg 1", "bg/1", "", "x" * 46])
    def test_a_name_scheduler_would_refuse_is_refused_here(self, grant_id):
        with pytest.raises(ValueError, match="cannot name a schedule"):
            schedule_name(grant_id)

    def test_the_longest_name_allowed(self):
        assert len(schedule_name("x" * 45)) == 64


class TestTheTime:
    def test_a_whole_minute_is_kept(self):
        assert schedule_expression(AT) == "at(2031-05-04T13:30:00)"

    def test_seconds_round_up_so_it_never_runs_early(self):
        assert schedule_expression(AT + timedelta(seconds=1)) == "at(2031-05-04T13:31:00)"
        assert schedule_expression(AT + timedelta(microseconds=1)) == "at(2031-05-04T13:31:00)"

    def test_another_time_zone_is_written_in_utc(self):
        paris = timezone(timedelta(hours=2))
        assert schedule_expression(datetime(2031, 5, 4, 15, 30, tzinfo=paris)) == (
            "at(2031-05-04T13:30:00)"
        )

    def test_a_time_without_a_zone_is_refused(self):
        with pytest.raises(ValueError, match="time zone"):
            schedule_expression(datetime(2031, 5, 4, 13, 30))


class TestCreating:
    async def test_the_schedule_deletes_the_assignment_once(self, gateway, schedules):
        await gateway.create_revoke_schedule(NAME, AT, ASSIGNMENT)

        found = schedules.get_schedule(Name=NAME)
        assert found["GroupName"] == "default"
        assert found["ScheduleExpression"] == "at(2031-05-04T13:30:00)"
        assert found["ScheduleExpressionTimezone"] == "UTC"
        assert found["FlexibleTimeWindow"] == {"Mode": "OFF"}
        assert found["State"] == "ENABLED"
        assert found["ActionAfterCompletion"] == "DELETE"
        assert "Outpost" in found["Description"]
        assert "break-glass" in found["Description"]
        target = found["Target"]
        assert target["Arn"] == REVOKE_TARGET_ARN
        assert target["RoleArn"] == ROLE_ARN
        assert json.loads(target["Input"]) == {
            "InstanceArn": ASSIGNMENT.instance_arn,
            "TargetId": "111122223333",
            "TargetType": "AWS_ACCOUNT",
            "PermissionSetArn": ASSIGNMENT.permission_set_arn,
            "PrincipalType": "USER",
            "PrincipalId": ASSIGNMENT.user_id,
        }

    async def test_each_call_is_reported_with_its_cli_form(self, gateway):
        watched = Watched()
        await gateway.watched_by(watched.watchers()).create_revoke_schedule(NAME, AT, ASSIGNMENT)
        (call,) = watched.calls
        assert (call.service, call.operation, call.outcome) == ("scheduler", "CreateSchedule", "ok")
        assert call.request_id
        assert call.cli is not None
        assert call.cli.startswith(f"aws scheduler create-schedule --name {NAME}")
        assert "--action-after-completion DELETE" in call.cli
        assert "--region us-east-1" in call.cli

    async def test_creating_again_updates_the_one_schedule(self, gateway, schedules):
        await gateway.create_revoke_schedule(NAME, AT, ASSIGNMENT)
        watched = Watched()
        await gateway.watched_by(watched.watchers()).create_revoke_schedule(NAME, LATER, ASSIGNMENT)

        assert names(schedules) == [NAME]
        found = schedules.get_schedule(Name=NAME)
        assert found["ScheduleExpression"] == "at(2031-05-04T15:45:00)"
        assert json.loads(found["Target"]["Input"])["PrincipalId"] == ASSIGNMENT.user_id
        assert watched.outcomes() == [
            ("CreateSchedule", "ConflictException"),
            ("UpdateSchedule", "ok"),
        ]
        update = watched.calls[1].cli
        assert update is not None
        assert "--action-after-completion DELETE" in update

    async def test_a_lost_answer_is_safe_to_send_again(self, gateway, schedules, aws):
        aws.add(lose_response("*"))
        watched = Watched()
        await gateway.watched_by(watched.watchers()).create_revoke_schedule(NAME, AT, ASSIGNMENT)

        assert names(schedules) == [NAME]
        assert schedules.get_schedule(Name=NAME)["ScheduleExpression"] == (
            "at(2031-05-04T13:30:00)"
        )
        operations = [operation for operation, _ in watched.outcomes()]
        assert operations == ["CreateSchedule", "CreateSchedule", "UpdateSchedule"]
        assert watched.outcomes()[1:] == [
            ("CreateSchedule", "ConflictException"),
            ("UpdateSchedule", "ok"),
        ]

    async def test_a_throttled_creation_is_retried(self, gateway, schedules, aws):
        aws.add(throttle("*", times=2))
        watched = Watched()
        await gateway.watched_by(watched.watchers()).create_revoke_schedule(NAME, AT, ASSIGNMENT)

        assert names(schedules) == [NAME]
        assert [(n.service, n.operation, n.attempt, n.code) for n in watched.retries] == [
            ("scheduler", "CreateSchedule", 1, "ThrottlingException"),
            ("scheduler", "CreateSchedule", 2, "ThrottlingException"),
        ]
        assert watched.outcomes()[-1] == ("CreateSchedule", "ok")
        assert len(aws.calls) == 3

    async def test_a_refusal_surfaces_with_what_aws_said(self, gateway, schedules, aws):
        message = (
            "The execution role you provide must allow AWS EventBridge Scheduler to assume it."
        )
        aws.add(aws_error("*", "ValidationException", message))
        with pytest.raises(AwsCallError) as failed:
            await gateway.create_revoke_schedule(NAME, AT, ASSIGNMENT)
        failure = failed.value.failure
        assert (failure.service, failure.operation) == ("scheduler", "CreateSchedule")
        assert (failure.code, failure.message) == ("ValidationException", message)
        assert failure.attempts == 1
        assert failure.cli and failure.cli.startswith("aws scheduler create-schedule")
        assert names(schedules) == []

    async def test_another_schedule_group(self, api_client, aws, schedules):
        schedules.create_schedule_group(Name="outpost")
        gateway = SchedulerGateway(
            api_client, AwsCaller(FAST_RETRIES, SystemClock()), role_arn=ROLE_ARN, group="outpost"
        )
        await gateway.create_revoke_schedule(NAME, AT, ASSIGNMENT)
        assert schedules.get_schedule(Name=NAME, GroupName="outpost")["GroupName"] == "outpost"
        with pytest.raises(schedules.exceptions.ResourceNotFoundException):
            schedules.get_schedule(Name=NAME)
        assert await gateway.delete_revoke_schedule(NAME) is True


class TestMoving:
    async def test_moving_changes_the_time(self, gateway, schedules):
        await gateway.create_revoke_schedule(NAME, AT, ASSIGNMENT)
        watched = Watched()
        await gateway.watched_by(watched.watchers()).move_revoke_schedule(NAME, LATER, ASSIGNMENT)

        found = schedules.get_schedule(Name=NAME)
        assert found["ScheduleExpression"] == "at(2031-05-04T15:45:00)"
        assert found["Target"]["Arn"] == REVOKE_TARGET_ARN
        assert found["Target"]["RoleArn"] == ROLE_ARN
        assert json.loads(found["Target"]["Input"])["TargetId"] == ASSIGNMENT.account_id
        assert found["FlexibleTimeWindow"] == {"Mode": "OFF"}
        assert watched.outcomes() == [("UpdateSchedule", "ok")]

    async def test_moving_one_that_is_gone_creates_it(self, gateway, schedules):
        watched = Watched()
        await gateway.watched_by(watched.watchers()).move_revoke_schedule(NAME, LATER, ASSIGNMENT)

        assert schedules.get_schedule(Name=NAME)["ScheduleExpression"] == (
            "at(2031-05-04T15:45:00)"
        )
        assert watched.outcomes() == [
            ("UpdateSchedule", "ResourceNotFoundException"),
            ("CreateSchedule", "ok"),
        ]


class TestDeleting:
    async def test_delete_removes_it(self, gateway, schedules):
        await gateway.create_revoke_schedule(NAME, AT, ASSIGNMENT)
        assert await gateway.delete_revoke_schedule(NAME) is True
        assert names(schedules) == []

    async def test_one_that_is_gone_counts_as_done(self, gateway, schedules):
        watched = Watched()
        assert await gateway.watched_by(watched.watchers()).delete_revoke_schedule(NAME) is False
        assert watched.outcomes() == [("DeleteSchedule", "ResourceNotFoundException")]

    async def test_only_its_own_schedule_is_deleted(self, gateway, schedules):
        await gateway.create_revoke_schedule(NAME, AT, ASSIGNMENT)
        await gateway.create_revoke_schedule(schedule_name("bg-other"), AT, ASSIGNMENT)
        assert await gateway.delete_revoke_schedule(NAME) is True
        assert names(schedules) == ["outpost-breakglass-bg-other"]

    async def test_a_throttled_deletion_is_retried(self, gateway, schedules, aws):
        await gateway.create_revoke_schedule(NAME, AT, ASSIGNMENT)
        aws.add(throttle("*"))
        watched = Watched()
        assert await gateway.watched_by(watched.watchers()).delete_revoke_schedule(NAME) is True
        assert [(n.operation, n.code) for n in watched.retries] == [
            ("DeleteSchedule", "ThrottlingException")
        ]
        assert names(schedules) == []

    async def test_other_failures_are_raised(self, gateway, schedules, aws):
        await gateway.create_revoke_schedule(NAME, AT, ASSIGNMENT)
        aws.add(aws_error("*", "AccessDeniedException", "not authorized", status=403))
        with pytest.raises(AwsCallError) as failed:
            await gateway.delete_revoke_schedule(NAME)
        assert failed.value.failure.code == "AccessDeniedException"
        assert names(schedules) == [NAME]

    @pytest.mark.parametrize("kind", ["html", "empty", "{}"])
    async def test_an_unreadable_answer_is_not_taken_for_a_deletion(
        self, gateway, schedules, aws, kind
    ):
        """DeleteSchedule answers nothing, so only AWS's request id tells its answer from a
        proxy's page: without one, the schedule is not known to be gone."""
        await gateway.create_revoke_schedule(NAME, AT, ASSIGNMENT)
        aws.add(garbage_answer("DeleteSchedule", kind, times=None))
        with pytest.raises(AwsCallError) as failed:
            await gateway.delete_revoke_schedule(NAME)
        failure = failed.value.failure
        assert_no_request_id(failure, "DeleteSchedule")
        assert failure.attempts == FAST_RETRIES.attempts
        assert names(schedules) == [NAME]

    async def test_an_unreadable_answer_is_retried_until_aws_says(self, gateway, schedules, aws):
        await gateway.create_revoke_schedule(NAME, AT, ASSIGNMENT)
        aws.add(garbage_answer("DeleteSchedule", "html", reach_aws=True))
        watched = Watched()
        # The first one deleted it; AWS's answer to the second says it is gone.
        assert await gateway.watched_by(watched.watchers()).delete_revoke_schedule(NAME) is False
        assert [(n.operation, n.code) for n in watched.retries] == [
            ("DeleteSchedule", "UnreadableAnswer")
        ]
        assert names(schedules) == []

"""EventBridge Scheduler, as the AWS-side backstop of break-glass access.

When a grant is given, Outpost also asks EventBridge Scheduler to delete the account assignment
at the time the grant ends: a one-time schedule whose target is Identity Center's
DeleteAccountAssignment, called by AWS itself as the execution role. The bot revokes on time
on its own; the schedule takes the access back even if the bot is down then, and deletes itself
once it has run.

Every call goes through the one retrying `AwsCaller`. Each method may be called again after a
crash with the same arguments and ends in the same state: creating a schedule that exists
updates it, moving one that is gone creates it, deleting one that is gone is done.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from bot.aws.caller import AwsCaller, Watchers
from bot.aws.errors import AwsCallError

SCHEDULER = "scheduler"
# The universal target that makes EventBridge Scheduler call sso-admin DeleteAccountAssignment.
REVOKE_TARGET_ARN = "arn:aws:scheduler:::aws-sdk:ssoadmin:deleteAccountAssignment"
DESCRIPTION = (
    "Outpost break-glass backstop: removes this temporary account access when it ends, "
    "even if Outpost is not running. Outpost deletes this schedule when it revokes the "
    "access itself."
)
SCHEDULE_PREFIX = "outpost-breakglass-"
LONGEST_NAME = 64
_NAME = re.compile(r"[0-9A-Za-z_.-]+")


class RevokeTarget(BaseModel, frozen=True):
    """The account assignment a schedule deletes: who loses which access where."""

    instance_arn: str  # arn:aws:sso:::instance/ssoins-…
    account_id: str
    permission_set_arn: str
    user_id: str  # the Identity Center user, not the Slack user


def schedule_name(grant_id: str) -> str:
    """The name of the schedule backing up a grant, e.g. `outpost-breakglass-bg-1a2b3c`.

    Raises ValueError when the grant id would make a name EventBridge Scheduler refuses.
    """
    name = SCHEDULE_PREFIX + grant_id
    if not grant_id or not _NAME.fullmatch(name) or len(name) > LONGEST_NAME:
        raise ValueError(
            f"grant id {grant_id!r} cannot name a schedule: a schedule name is at most "
            f"{LONGEST_NAME} characters of letters, digits, '-', '_' and '.'"
        )
    return name


def schedule_time(at: datetime) -> datetime:
    """When the schedule runs: `at` in UTC, rounded up to the whole minute.

    EventBridge Scheduler runs a schedule some time within the minute it names, so rounding up
    keeps it from ever running before `at`.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"the time a schedule runs must say its time zone, not {at!r}")
    utc = at.astimezone(UTC)
    floor = utc.replace(second=0, microsecond=0)
    return floor if floor == utc else floor + timedelta(minutes=1)


def schedule_expression(at: datetime) -> str:
    """The one-time `at(...)` expression for `at`, read in the UTC time zone."""
    return f"at({schedule_time(at):%Y-%m-%dT%H:%M:%S})"


def revoke_input(assignment: RevokeTarget) -> str:
    """The DeleteAccountAssignment request the schedule sends, as the target's JSON input."""
    return json.dumps(
        {
            "InstanceArn": assignment.instance_arn,
            "TargetId": assignment.account_id,
            "TargetType": "AWS_ACCOUNT",
            "PermissionSetArn": assignment.permission_set_arn,
            "PrincipalType": "USER",
            "PrincipalId": assignment.user_id,
        },
        separators=(",", ":"),
    )


@dataclass(frozen=True)
class SchedulerGateway:
    scheduler: Any  # a boto3 scheduler client
    call: AwsCaller
    role_arn: str  # the execution role the schedule calls DeleteAccountAssignment as
    group: str = "default"

    def watched_by(self, watchers: Watchers) -> SchedulerGateway:
        return replace(self, call=self.call.watched_by(watchers))

    async def create_revoke_schedule(
        self, name: str, at: datetime, assignment: RevokeTarget
    ) -> None:
        """Schedule the assignment's deletion at `at` (rounded up to the minute).

        If a schedule of that name exists (an earlier attempt reached AWS but its answer was
        lost), it is updated to this definition instead.
        """
        try:
            await self._put("CreateSchedule", name, at, assignment)
        except AwsCallError as error:
            if error.failure.code != "ConflictException":
                raise
            await self._put("UpdateSchedule", name, at, assignment)

    async def move_revoke_schedule(self, name: str, at: datetime, assignment: RevokeTarget) -> None:
        """Make the schedule run at `at` instead; if it no longer exists, create it."""
        try:
            await self._put("UpdateSchedule", name, at, assignment)
        except AwsCallError as error:
            if error.failure.code != "ResourceNotFoundException":
                raise
            await self.create_revoke_schedule(name, at, assignment)

    async def delete_revoke_schedule(self, name: str) -> bool:
        """Delete the schedule. False if it was not there (it ran and deleted itself, or an
        earlier attempt whose answer was lost already deleted it): it is gone either way.
        """
        try:
            await self.call(
                self.scheduler,
                SCHEDULER,
                "DeleteSchedule",
                Name=name,
                GroupName=self.group,
            )
        except AwsCallError as error:
            if error.failure.code != "ResourceNotFoundException":
                raise
            return False
        return True

    async def _put(
        self, operation: str, name: str, at: datetime, assignment: RevokeTarget
    ) -> dict[str, Any]:
        """CreateSchedule or UpdateSchedule with the whole definition (Update replaces all)."""
        return await self.call(
            self.scheduler,
            SCHEDULER,
            operation,
            Name=name,
            GroupName=self.group,
            Description=DESCRIPTION,
            ScheduleExpression=schedule_expression(at),
            ScheduleExpressionTimezone="UTC",
            FlexibleTimeWindow={"Mode": "OFF"},
            State="ENABLED",
            ActionAfterCompletion="DELETE",
            Target={
                "Arn": REVOKE_TARGET_ARN,
                "RoleArn": self.role_arn,
                "Input": revoke_input(assignment),
            },
        )

"""The page's fault controls: what a visitor can break, to see how Outpost copes.

AWS faults are rules of the fault proxy between the bot and moto, so boto3 parses them as it
parses AWS's own errors; "Slack down" makes the emulated Web API answer 503, as Slack's edge does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Final

from bot.aws.catalog import catalog
from bot.domain.errors import InvalidInput
from bot.emulator.aws_faults import (
    AwsFaultProxy,
    FaultRule,
    create_account_status,
    failed_account_creation,
    throttle,
)
from bot.emulator.slack import FakeSlack

log = logging.getLogger("outpost.sandbox")

MAX_THROTTLED: Final = 50
# The calls Outpost makes in the background, creating accounts and granting access: their
# retries are posted in a thread. The reads that fill a form are left alone, or "throttle the
# next 3 calls" would be spent, unseen, on the form a visitor opens next.
BACKGROUND_OPERATIONS: Final = (
    "CreateAccount",
    "DescribeCreateAccountStatus",
    "ListCreateAccountStatus",
    "MoveAccount",
    "TagResource",
    "ListParents",
    "DescribeOrganizationalUnit",
    "ListInstances",
    "ListPermissionSets",
    "DescribePermissionSet",
    "GetUserId",
    "ListAccountAssignments",
    "CreateAccountAssignment",
    "DescribeAccountAssignmentCreationStatus",
    "DeleteAccountAssignment",
    "DescribeAccountAssignmentDeletionStatus",
)
MAX_SLACK_DOWN: Final = 600.0
_FAILURE_FIELD: Final = "CreateAccountStatus.FailureReason"


class FaultError(InvalidInput):
    """A fault the page asked for that cannot be: the message says what is accepted."""


def create_failure_reasons() -> list[str]:
    """The FailureReasons of CreateAccount that Outpost's error catalog explains."""
    return [
        reason.value
        for reason in catalog().reasons
        if reason.service == "organizations" and reason.field == _FAILURE_FIELD
    ]


class FaultControls:
    """The faults the page has set, and the proxy rules and outage that make them."""

    def __init__(self, proxy: AwsFaultProxy, slack: FakeSlack) -> None:
        self._proxy = proxy
        self._slack = slack
        self._throttles: list[FaultRule] = []
        self._failure: tuple[str, FaultRule, FaultRule] | None = None
        self._stall: FaultRule | None = None
        self._slack_back: asyncio.TimerHandle | None = None
        self._slack_down_until: float | None = None

    def throttle(self, count: Any) -> None:
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_THROTTLED:
            raise FaultError(f"count must be a whole number from 1 to {MAX_THROTTLED}")
        first, *others = BACKGROUND_OPERATIONS
        self._throttles.append(self._proxy.add(throttle(first, times=count, also=others)))
        log.info(
            "fault: the next %d AWS calls Outpost makes in the background are throttled", count
        )
        self._changed()

    def fail_next_create(self, reason: Any) -> None:
        reasons = create_failure_reasons()
        if reason not in reasons:
            raise FaultError(f"reason must be one of {', '.join(reasons)}")
        self._drop_failure()
        take, tell = failed_account_creation(reason)
        # Before a stall or a throttle: the CreateAccount asked to fail does fail.
        self._failure = (
            reason,
            self._proxy.add(take, first=True),
            self._proxy.add(tell, first=True),
        )
        log.info("fault: the next CreateAccount will end FAILED with %s", reason)
        self._changed()

    def stall_creation(self, on: Any) -> None:
        if not isinstance(on, bool):
            raise FaultError("on must be true or false")
        if on and self._stall is None:
            self._stall = self._proxy.add(create_account_status("IN_PROGRESS", times=None))
            log.info("fault: account creation stays IN_PROGRESS until released")
        elif not on and self._stall is not None:
            self._proxy.remove(self._stall)
            self._stall = None
            log.info("fault: account creation released")
        self._changed()

    def slack_down(self, seconds: Any) -> None:
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise FaultError(f"seconds must be a number from 0 to {MAX_SLACK_DOWN:.0f}")
        if not 0 <= seconds <= MAX_SLACK_DOWN:
            raise FaultError(f"seconds must be a number from 0 to {MAX_SLACK_DOWN:.0f}")
        if self._slack_back is not None:
            self._slack_back.cancel()
            self._slack_back = None
        if seconds == 0:
            self._slack_up()
            return
        self._slack.set_down(True)
        self._slack_down_until = time.time() + seconds
        self._slack_back = asyncio.get_running_loop().call_later(seconds, self._slack_up)
        log.info("fault: Slack's Web API is down for %.0f s", seconds)

    def clear(self) -> None:
        for rule in self._throttles:
            self._proxy.remove(rule)
        self._throttles.clear()
        self._drop_failure()
        self.stall_creation(False)
        self.slack_down(0)
        log.info("fault: all cleared")

    def status(self) -> dict[str, Any]:
        self._throttles = [rule for rule in self._throttles if rule.active]
        failure = self._failure
        return {
            "throttle_remaining": sum(rule.remaining or 0 for rule in self._throttles),
            "fail_next_create": failure[0] if failure and failure[1].active else None,
            "stall_create": self._stall is not None,
            "slack_down_until": self._slack_down_until,
        }

    def _drop_failure(self) -> None:
        # The rule that answers status polls stays, so a request already made still fails.
        if self._failure is not None and self._failure[1].active:
            self._proxy.remove(self._failure[1])
            self._proxy.remove(self._failure[2])
        self._failure = None

    def _slack_up(self) -> None:
        self._slack_back = None
        self._slack_down_until = None
        if self._slack.is_down:
            log.info("fault: Slack's Web API is back")
        self._slack.set_down(False)

    def _changed(self) -> None:
        self._slack.mark_changed()

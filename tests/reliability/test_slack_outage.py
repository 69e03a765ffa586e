"""Slack down, then rate limiting: the AWS work goes on, and the thread arrives whole, in order,
no sooner than Slack's Retry-After allows."""

from __future__ import annotations

import re
import time

from bot.emulator.aws_faults import ThreadedAwsFaultProxy, create_account_status
from bot.emulator.slack import FakeSlack, RecordedCall
from tests.support.flows import (
    card_reaching,
    cards,
    form_values,
    open_new_account_form,
    option_label,
    request_account,
    thread_texts,
)
from tests.support.organization import Organization
from tests.support.slack_requests import SlackRequests
from tests.support.waiting import eventually

RETRY_AFTER = 1  # seconds, as Slack sends it
RATE_LIMITED = 2  # answers of 429 in a row once Slack is back up


class TimedCalls(list[RecordedCall]):
    """The fake's call log, with the moment each call reached it (monotonic seconds)."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def append(self, call: RecordedCall) -> None:
        self.times.append(time.monotonic())
        super().append(call)


def shape(line: str) -> str:
    """A thread line without what differs from one account to the next (ids, names)."""
    return re.sub(r"`[^`]*`", "`…`", line)


async def test_thread_arrives_whole_and_in_order_after_an_outage_and_rate_limiting(
    slack: FakeSlack, requests: SlackRequests, org: Organization, aws: ThreadedAwsFaultProxy
) -> None:
    timed = TimedCalls()
    slack.calls = timed
    view = await open_new_account_form(slack, requests, "new payments-stg")
    values = form_values(
        name="payments-stg", ou_id=org.ous["Prod"], ou_label=option_label(view, org.ous["Prod"])
    )
    aws.add(create_account_status("IN_PROGRESS", times=2))

    slack.set_down(True, status=503)
    assert await requests.submit_view(view, values) == (200, "")

    def moved() -> bool:
        account = org.account_named("payments-stg")
        return account is not None and org.parent_of(account["Id"]) == org.ous["Prod"]

    await eventually(moved, timeout=30, what="the account in its OU while Slack is down")
    # The bot keeps trying while Slack is down: wait until it has tried again since the move.
    refused_at_move = sum(call.http_status == 503 for call in timed)
    await eventually(
        lambda: sum(call.http_status == 503 for call in timed) >= refused_at_move + 2,
        what="more deliveries refused by the outage",
    )
    assert cards(slack) == [], "nothing reaches Slack while it is down"

    slack.rate_limit_next(RATE_LIMITED, retry_after=RETRY_AFTER)
    slack.set_down(False)
    card = await card_reaching(slack, "Succeeded", timeout=30)
    outage_thread = thread_texts(slack, card)

    # Every 429 was followed by a wait of at least its Retry-After before Slack heard again.
    limited = [i for i, call in enumerate(timed) if call.http_status == 429]
    assert len(limited) == RATE_LIMITED
    for i in limited:
        waited = timed.times[i + 1] - timed.times[i]
        assert waited >= RETRY_AFTER - 0.02, (
            f"{timed[i + 1].method} {waited:.2f}s after a 429 with Retry-After {RETRY_AFTER}"
        )
    assert len(aws.calls_to("CreateAccount")) == 1

    # The same account request without any Slack trouble, for the thread it should read.
    slack.add_channel("CBASELINE", name="baseline")
    aws.add(create_account_status("IN_PROGRESS", times=2))
    status, _ = await request_account(
        slack, requests, name="payments-dev", ou_id=org.ous["Prod"], channel="CBASELINE"
    )
    assert status == 200
    baseline = await card_reaching(slack, "Succeeded", channel="CBASELINE", timeout=30)
    normal_thread = thread_texts(slack, baseline)

    assert len(normal_thread) >= 4  # accepted, created, moved, done
    assert [shape(line) for line in outage_thread] == [shape(line) for line in normal_thread]
    assert len(set(outage_thread)) == len(outage_thread)
    assert len(cards(slack)) == 1

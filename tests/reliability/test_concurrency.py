"""Many people at once: every form submission is answered in Slack's time, every creation
finishes, one name gives one account however many ask for it at once, and a Retry clicked
twice at the same instant resumes the operation once.

Two approvals of one break-glass request at the same instant are covered by
tests/e2e/access/test_breakglass.py::test_two_approvals_at_once_grant_once.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable

from bot.emulator.aws_faults import (
    ThreadedAwsFaultProxy,
    create_account_status,
    hold_response,
)
from bot.emulator.slack import FakeSlack, SlackMessage
from tests.support.bot_process import BotProcess
from tests.support.flows import (
    block_text,
    card_button,
    card_reaching,
    cards,
    denied_creation,
    form_values,
    open_new_account_form,
    option_label,
    refused_creation,
    thread_texts,
)
from tests.support.organization import Organization
from tests.support.slack_requests import SlackRequests
from tests.support.waiting import eventually

SUBMISSIONS = 50
SLACK_WAITS = 3.0  # seconds Slack gives a view submission for its answer


async def timed(answer: Awaitable[tuple[int, str]]) -> tuple[tuple[int, str], float]:
    """Slack's answer to a request, and how long it took from sending it."""
    started = time.monotonic()
    result = await answer
    return result, time.monotonic() - started


async def test_fifty_submissions_at_once_are_each_answered_in_time_and_all_finish(
    slack: FakeSlack, requests: SlackRequests, org: Organization, aws: ThreadedAwsFaultProxy
) -> None:
    view = await open_new_account_form(slack, requests)
    label = option_label(view, org.ous["Sandbox"])
    names = [f"load-{i:02d}" for i in range(SUBMISSIONS)]

    answers = await asyncio.gather(
        *(
            timed(
                requests.submit_view(
                    view, form_values(name=name, ou_id=org.ous["Sandbox"], ou_label=label)
                )
            )
            for name in names
        )
    )

    slowest = max(seconds for _, seconds in answers)
    assert slowest < SLACK_WAITS, f"the slowest submission was answered after {slowest:.2f}s"
    assert [answer for answer, _ in answers] == [(200, "")] * SUBMISSIONS

    def in_their_ou() -> list[str] | None:
        found = {a["Name"]: a["Id"] for a in org.accounts() if a["Name"].startswith("load-")}
        if len(found) < SUBMISSIONS:
            return None
        if any(org.parent_of(account_id) != org.ous["Sandbox"] for account_id in found.values()):
            return None
        return sorted(found)

    assert await eventually(in_their_ou, timeout=90, what=f"{SUBMISSIONS} accounts") == names

    def all_succeeded() -> list[SlackMessage] | None:
        found = [slack.message(card.channel, card.ts) for card in cards(slack)]
        done = [card for card in found if "Succeeded" in block_text(card)]
        return done if len(done) == SUBMISSIONS else None

    await eventually(all_succeeded, timeout=60, what="every card to read Succeeded")
    assert len(aws.calls_to("CreateAccount")) == SUBMISSIONS


async def test_eight_submissions_of_one_name_at_once_create_one_account(
    slack: FakeSlack,
    requests: SlackRequests,
    org: Organization,
    aws: ThreadedAwsFaultProxy,
    bot: BotProcess,
) -> None:
    view = await open_new_account_form(slack, requests)
    values = form_values(
        name="same-name", ou_id=org.ous["Sandbox"], ou_label=option_label(view, org.ous["Sandbox"])
    )
    # Restarted since the forms were opened: the organization's accounts are read again for
    # the submissions, and all eight wait for that one read, then go on together.
    await bot.stop()
    await bot.start()
    aws.add(hold_response("ListAccounts", 0.3))

    answers = await asyncio.gather(*(requests.submit_view(view, values) for _ in range(8)))

    assert all(status == 200 for status, _ in answers), answers
    accepted = [body for _, body in answers if body == ""]
    refused = [json.loads(body)["errors"] for _, body in answers if body != ""]
    assert len(accepted) == 1 and len(refused) == 7, answers
    said = {errors["account_name"] for errors in refused}
    assert len(said) == 1, said
    assert re.fullmatch(r"Operation op-[0-9a-f]{8} is creating an account named same-name\.", *said)

    card = await card_reaching(slack, "Succeeded")
    assert [a["Name"] for a in org.accounts()].count("same-name") == 1
    assert len(aws.calls_to("CreateAccount")) == 1
    assert len(cards(slack)) == 1
    operation_id = said.pop().split()[1]
    assert operation_id in block_text(card)


def replies(slack: FakeSlack, users: tuple[str, ...]) -> list[str]:
    return [m.text for m in slack.messages("CPLATFORM") if m.ephemeral_to in users]


async def test_retry_clicked_twice_at_the_same_instant_resumes_the_operation_once(
    slack: FakeSlack, requests: SlackRequests, org: Organization, aws: ThreadedAwsFaultProxy
) -> None:
    card = await refused_creation(slack, requests, org, aws)
    assert len(aws.calls_to("CreateAccount")) == 1
    button = card_button(card, "Retry")

    clickers = ("UENGINEER", "UOPS")
    answers = await asyncio.gather(
        *(
            requests.click(button["action_id"], button["value"], message_ts=card.ts, user=user)
            for user in clickers
        )
    )
    assert [status for status, _ in answers] == [200, 200]

    done = await card_reaching(slack, "Succeeded")
    told = await eventually(
        lambda: replies(slack, clickers) if len(replies(slack, clickers)) == 2 else None,
        what="an answer to each click",
    )
    assert sum(reply.startswith("Retrying ") for reply in told) == 1, told
    assert sum("Already" in reply for reply in told) == 1, told
    thread = thread_texts(slack, done)
    assert sum(" retried: running step " in line for line in thread) == 1, thread
    assert sum("Done" in line for line in thread) == 1
    assert len(aws.calls_to("CreateAccount")) == 2
    assert len([a for a in org.accounts() if a["Name"] == "payments-dev"]) == 1


async def test_a_second_retry_from_the_failed_card_just_after_the_first_is_told_already(
    slack: FakeSlack, requests: SlackRequests, org: Organization, aws: ThreadedAwsFaultProxy
) -> None:
    card = await denied_creation(slack, requests, org, aws)
    aws.add(create_account_status("IN_PROGRESS", times=None))  # the retried creation takes a while
    button = card_button(card, "Retry")

    # A double-click: the second arrives once the first was applied, from the same card.
    for user in ("UENGINEER", "UOPS"):
        await requests.click(button["action_id"], button["value"], message_ts=card.ts, user=user)
        await eventually(lambda user=user: replies(slack, (user,)), what=f"an answer to {user}")
    aws.clear()
    done = await card_reaching(slack, "Succeeded")

    assert "Already" in replies(slack, ("UOPS",))[0]
    assert sum(" retried: running step " in line for line in thread_texts(slack, done)) == 1
    assert len(aws.calls_to("CreateAccount")) == 2

"""The `/account new` form: bad input is refused next to its field and creates nothing, and a
request the store cannot save keeps the form open with the reason, and creates nothing."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from pathlib import Path

import pytest

from bot.emulator.aws_faults import ThreadedAwsFaultProxy, aws_error, hold_response
from bot.emulator.slack import FakeSlack
from tests.support.bot_process import BotProcess
from tests.support.flows import (
    card_reaching,
    cards,
    form_values,
    open_new_account_form,
    option_label,
    request_account,
)
from tests.support.organization import Organization
from tests.support.slack_requests import SlackRequests
from tests.support.waiting import eventually


def field_errors(status: int, body: str) -> dict[str, str]:
    assert status == 200, body
    answer = json.loads(body)
    assert answer["response_action"] == "errors"
    return dict(answer["errors"])


@pytest.mark.parametrize(
    ("name", "email", "field", "says"),
    [
        ("Payments_Prod", None, "account_name", "lowercase letters"),
        ("ab", None, "account_name", "3 to 50"),
        ("billing-prod", None, "account_name", "already named billing-prod"),
        ("payments-dev", "aws+billing-prod@example.com", "root_email", "already uses this email"),
        ("payments-dev", "not-an-email", "root_email", "team+name@example.com"),
        ("payments-dev", "é@example.com", "root_email", "ASCII"),
        ("a" * 50, None, "root_email", "default email"),
    ],
)
async def test_bad_input_is_refused_inline_and_creates_nothing(
    slack: FakeSlack,
    requests: SlackRequests,
    org: Organization,
    aws: ThreadedAwsFaultProxy,
    name: str,
    email: str | None,
    field: str,
    says: str,
) -> None:
    accounts_before = len(org.accounts())
    errors = field_errors(
        *await request_account(slack, requests, name=name, ou_id=org.ous["Sandbox"], email=email)
    )
    assert says in errors[field]
    # Slack shows inline errors as plain text: no mrkdwn, so no backticks.
    assert not [error for error in errors.values() if "`" in error]
    assert aws.calls_to("CreateAccount") == []
    assert len(org.accounts()) == accounts_before
    assert cards(slack) == []


async def test_form_lists_every_ou_with_its_path(
    slack: FakeSlack, requests: SlackRequests, org: Organization
) -> None:
    view = await open_new_account_form(slack, requests, "new")
    select = next(b for b in view["blocks"] if b["block_id"] == "organizational_unit")["element"]
    labels = {o["value"]: o["text"]["text"] for o in select["options"]}
    assert labels == {
        org.root_id: "Root",
        org.ous["Workloads"]: "Root / Workloads",
        org.ous["Prod"]: "Root / Workloads / Prod",
        org.ous["Sandbox"]: "Root / Sandbox",
    }
    assert slack.calls_to("views.open")[0].ok


async def test_when_aws_refuses_to_list_ous_the_modal_shows_the_aws_error(
    slack: FakeSlack, requests: SlackRequests, aws: ThreadedAwsFaultProxy
) -> None:
    aws.add(
        aws_error(
            "ListRoots",
            "AccessDeniedException",
            "You don't have permissions to access this resource.",
            times=None,
        )
    )
    view = await open_new_account_form(slack, requests, "new payments-dev")
    shown = json.dumps(view["blocks"])
    assert "could not read the organization's OUs" in shown
    assert "AccessDeniedException" in shown
    assert "You don't have permissions to access this resource." in shown
    assert "submit" not in view


async def test_closing_the_modal_while_aws_answers_is_not_an_error(
    slack: FakeSlack,
    requests: SlackRequests,
    aws: ThreadedAwsFaultProxy,
    bot: BotProcess,
) -> None:
    aws.add(hold_response("ListRoots", 1.0))
    status, _ = await requests.command("new payments-dev")
    assert status == 200
    opened = await eventually(lambda: slack.calls_to("views.open"), what="the loading modal")
    slack.close_view(opened[0].params.get("view_id") or next(iter(slack.views())))
    refused = await eventually(lambda: slack.calls_to("views.update"), what="the update")
    assert refused[0].error == "not_found"
    await asyncio.sleep(0.3)
    assert "unexpected error" not in bot.log()


async def test_a_request_the_store_cannot_save_in_time_keeps_the_form_open_and_creates_nothing(
    slack: FakeSlack,
    requests: SlackRequests,
    org: Organization,
    aws: ThreadedAwsFaultProxy,
    tmp_path: Path,
) -> None:
    view = await open_new_account_form(slack, requests, "new payments-dev")
    values = form_values(
        name="payments-dev",
        ou_id=org.ous["Sandbox"],
        ou_label=option_label(view, org.ous["Sandbox"]),
    )
    other = sqlite3.connect(tmp_path / "outpost.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writing, for longer than Slack waits
    try:
        started = time.monotonic()
        status, body = await requests.submit_view(view, values)
        answered_after = time.monotonic() - started
        # Released before the bot's own wait for the lock runs out: a write still waiting
        # for it would go through now.
        await asyncio.sleep(max(3.5 - answered_after, 0))
    finally:
        other.execute("ROLLBACK")
        other.close()

    assert answered_after < 3.0, f"answered after {answered_after:.2f}s"
    errors = field_errors(status, body)
    assert "Outpost could not save your request" in errors["account_name"]
    assert "Nothing was created; try again." in errors["account_name"]
    await asyncio.sleep(2.0)
    assert aws.calls_to("CreateAccount") == []
    assert org.account_named("payments-dev") is None
    assert cards(slack) == []

    # Trying again once the store answers works: the failed attempt holds no claim on the name.
    assert await requests.submit_view(view, values) == (200, "")
    await card_reaching(slack, "Succeeded")
    assert len(aws.calls_to("CreateAccount")) == 1

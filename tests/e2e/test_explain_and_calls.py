"""Learning from AWS errors: `/account explain`, and the card's list of AWS calls."""

from __future__ import annotations

import json
import shlex

from bot.emulator.aws_faults import ThreadedAwsFaultProxy, throttle
from bot.emulator.slack import FakeSlack
from tests.support.flows import payments_dev_card
from tests.support.organization import Organization
from tests.support.slack_requests import SlackRequests
from tests.support.waiting import eventually


async def explain(requests: SlackRequests, text: str) -> str:
    status, body = await requests.command(f"explain {text}".strip())
    assert status == 200, body
    answer = json.loads(body)
    assert answer["response_type"] == "ephemeral"
    return json.dumps(answer["blocks"])


async def test_explain_a_failure_reason(requests: SlackRequests) -> None:
    shown = await explain(requests, "EMAIL_ALREADY_EXISTS")
    assert "`EMAIL_ALREADY_EXISTS`" in shown
    assert "CreateAccountStatus.FailureReason" in shown
    assert "What to do:" in shown
    assert "https://docs.aws.amazon.com/" in shown


async def test_explain_is_case_insensitive(requests: SlackRequests) -> None:
    shown = await explain(requests, "toomanyrequestsexception")
    assert "`TooManyRequestsException`" in shown
    assert "Retried with backoff" in shown


async def test_explain_teaches_the_refusals_of_closing_an_account_and_of_contacts(
    requests: SlackRequests,
) -> None:
    shown = await explain(requests, "CLOSE_ACCOUNT_QUOTA_EXCEEDED")
    assert "`CLOSE_ACCOUNT_QUOTA_EXCEEDED`" in shown and "30 days" in shown
    shown = await explain(requests, "accessdeniedexception")
    assert "enable-aws-service-access --service-principal account.amazonaws.com" in shown


async def test_explain_an_unknown_word_offers_the_closest(requests: SlackRequests) -> None:
    shown = await explain(requests, "nonsense")
    assert "has no AWS error or reason called `nonsense`" in shown
    shown = await explain(requests, "EMAIL_ALREADY_EXIST")
    assert "Closest: `EMAIL_ALREADY_EXISTS`" in shown


async def test_explain_alone_lists_what_it_knows_by_service(requests: SlackRequests) -> None:
    shown = await explain(requests, "")
    for service in (
        "organizations",
        "sso-admin",
        "identitystore",
        "sts",
        "scheduler",
        "account",
        "budgets",
    ):
        assert f"*{service}*" in shown
    assert "`ACCOUNT_NUMBER_LIMIT_EXCEEDED`" in shown


async def test_show_aws_calls_lists_every_call_with_its_request_id_and_cli(
    slack: FakeSlack, requests: SlackRequests, org: Organization, aws: ThreadedAwsFaultProxy
) -> None:
    card = await payments_dev_card(
        slack, requests, org, aws, throttle("CreateAccount", times=1), reaching="Succeeded"
    )
    button = next(b for b in card.blocks if b.get("block_id") == "card_actions")["elements"][0]

    status, _ = await requests.click(button["action_id"], button["value"], message_ts=card.ts)
    assert status == 200
    opened = await eventually(lambda: slack.calls_to("views.open")[1:], what="the calls modal")
    view = opened[-1].params["view"]
    shown = json.dumps(view["blocks"], ensure_ascii=False)
    assert "`organizations:CreateAccount` · `TooManyRequestsException`" in shown
    assert "`organizations:CreateAccount` · ok" in shown
    assert "`organizations:MoveAccount` · ok" in shown
    assert "request id `" in shown
    create = next(
        b["text"]["text"]
        for b in view["blocks"]
        if "CreateAccount` · ok" in b.get("text", {}).get("text", "")
    )
    command = create.split("```")[1].replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    words = shlex.split(command)
    assert words[:3] == ["aws", "organizations", "create-account"]
    assert "aws+payments-dev@example.com" in words

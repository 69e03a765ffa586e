"""A bot killed in the middle of an account creation finishes it after a restart, once."""

from __future__ import annotations

from pathlib import Path

from bot.emulator.aws_faults import ThreadedAwsFaultProxy, hold_response
from bot.emulator.slack import FakeSlack
from tests.support.bot_process import BotProcess
from tests.support.flows import card_reaching, cards, request_account, thread_texts
from tests.support.organization import Organization
from tests.support.slack_requests import SlackRequests
from tests.support.waiting import eventually


async def test_killed_right_after_create_account_finishes_with_one_account(
    slack: FakeSlack,
    requests: SlackRequests,
    org: Organization,
    aws: ThreadedAwsFaultProxy,
    bot: BotProcess,
    tmp_path: Path,
) -> None:
    # AWS acts on CreateAccount, but the bot dies before it hears the answer.
    aws.add(hold_response("CreateAccount", 60))
    await request_account(slack, requests, name="payments-dev", ou_id=org.ous["Prod"])
    await eventually(lambda: org.account_named("payments-dev"), what="AWS to create the account")
    bot.kill()
    aws.clear()

    async with bot.restarted(tmp_path / "restarted.log"):
        card = await card_reaching(slack, "Succeeded")

    assert len([a for a in org.accounts() if a["Name"] == "payments-dev"]) == 1
    assert len(aws.calls_to("CreateAccount")) == 1
    account = org.account_named("payments-dev")
    assert account is not None
    assert org.parent_of(account["Id"]) == org.ous["Prod"]
    assert len(cards(slack)) == 1
    thread = thread_texts(slack, card)
    assert sum("Resumed after restart" in t for t in thread) == 1
    assert sum("Found the earlier `CreateAccount`" in t for t in thread) == 1
    assert sum("Done" in t for t in thread) == 1

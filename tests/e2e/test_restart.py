"""A bot killed in the middle of an account creation finishes it after a restart, once."""

from __future__ import annotations

from bot.emulator.aws_faults import ThreadedAwsFaultProxy, hold_response
from bot.emulator.slack import FakeSlack
from tests.support.bot_fixtures import Deployment
from tests.support.flows import card_reaching, cards, thread_texts
from tests.support.organization import Organization
from tests.support.waiting import eventually


async def test_killed_right_after_create_account_finishes_with_one_account(
    deployment: Deployment, slack: FakeSlack, org: Organization, aws: ThreadedAwsFaultProxy
) -> None:
    # AWS acts on CreateAccount, but the bot dies before it hears the answer.
    aws.add(hold_response("CreateAccount", 60))
    await deployment.request_account("payments-dev")
    await eventually(lambda: org.account_named("payments-dev"), what="AWS to create the account")
    deployment.kill()

    async with deployment.restarted():
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

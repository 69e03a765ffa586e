"""`/account new` end to end: signed requests in, a real account in moto out."""

from __future__ import annotations

from bot.emulator.slack import FakeSlack
from tests.support.flows import (
    block_text,
    card_reaching,
    form_values,
    open_new_account_form,
    option_label,
    thread_texts,
)
from tests.support.organization import Organization
from tests.support.slack_requests import SlackRequests


async def test_new_account_is_created_in_its_ou_with_tags(
    slack: FakeSlack, requests: SlackRequests, org: Organization
) -> None:
    view = await open_new_account_form(slack, requests, "new payments-staging")
    name_block = next(b for b in view["blocks"] if b.get("block_id") == "account_name")
    assert name_block["element"]["initial_value"] == "payments-staging"
    prod = org.ous["Prod"]

    status, body = await requests.submit_view(
        view, form_values(name="payments-staging", ou_id=prod, ou_label=option_label(view, prod))
    )
    assert (status, body) == (200, "")

    card = await card_reaching(slack, "Succeeded")
    account = org.account_named("payments-staging")
    assert account is not None
    assert account["Email"] == "aws+payments-staging@example.com"
    assert org.parent_of(account["Id"]) == prod
    assert org.tags_of(account["Id"]) == {
        "outpost:team": "payments",
        "outpost:requested-by": "UENGINEER",
        "outpost:purpose": "staging for the payments API",
    }
    assert account["Id"] in block_text(card)
    thread = "\n".join(thread_texts(slack, card))
    assert "CreateAccount` accepted" in thread
    assert f"AWS created account `{account['Id']}`" in thread
    assert "Moved the account into" in thread
    assert "Done" in thread


async def test_an_account_can_stay_in_the_root(
    slack: FakeSlack, requests: SlackRequests, org: Organization
) -> None:
    view = await open_new_account_form(slack, requests, "new tooling")
    await requests.submit_view(
        view,
        form_values(name="tooling", ou_id=org.root_id, ou_label=option_label(view, org.root_id)),
    )
    card = await card_reaching(slack, "Succeeded")
    account = org.account_named("tooling")
    assert account is not None
    assert org.parent_of(account["Id"]) == org.root_id
    assert any("already in *Root*" in line for line in thread_texts(slack, card))

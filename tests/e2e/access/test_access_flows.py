"""Break-glass paths besides approve and revoke: the form, deny, extend, direct grants,
emergency self-approval, unanswered requests and the audit trail."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from bot.emulator.slack import FakeSlack, SlackMessage
from bot.ui.ids import ActionId, BlockId
from tests.support.access_flows import (
    AUDIT,
    audit_lines,
    button,
    card_reading,
    click,
    direct_messages,
    ephemerals,
    grant_cards,
    holders,
    permission_set_arn,
    request,
    requested,
)
from tests.support.flows import block_text, card_reaching, request_account, thread_texts
from tests.support.identity_center import IdentityCenter, moto_client
from tests.support.organization import Organization
from tests.support.slack_requests import SlackRequests, text_value
from tests.support.waiting import eventually


def opened_view(slack: FakeSlack, callback_id: str) -> dict[str, Any]:
    views = [v for v in slack.views().values() if v.get("callback_id") == callback_id]
    assert views, f"no {callback_id} modal is open"
    return views[-1]


async def wait_for_view(slack: FakeSlack, callback_id: str) -> dict[str, Any]:
    return await eventually(
        lambda: opened_view(slack, callback_id), what=f"the {callback_id} modal"
    )


def chosen(value: str, text: str) -> dict[str, Any]:
    return {
        "type": "external_select",
        "selected_option": {"text": {"type": "plain_text", "text": text}, "value": value},
    }


async def active_grant(slack: FakeSlack, requests: SlackRequests, text: str) -> Any:
    card = await requested(slack, requests, text)
    await click(requests, card, ActionId.APPROVE_ACCESS, "UOPS")
    return await card_reading(slack, "Active until")


async def test_the_form_finds_accounts_as_you_type_and_checks_its_inputs(
    slack: FakeSlack, requests: SlackRequests, org: Organization
) -> None:
    await requests.command("breakglass")
    view = await wait_for_view(slack, "breakglass_request")
    options = await requests.suggest(
        view, ActionId.ACCESS_ACCOUNT, BlockId.ACCESS_ACCOUNT, "bill", user="UENGINEER"
    )
    account_id = org.account_id("billing-prod")
    assert [o["value"] for o in options] == [account_id]

    values = {
        BlockId.ACCESS_ACCOUNT: {ActionId.ACCESS_ACCOUNT: chosen(account_id, "billing-prod")},
        BlockId.ACCESS_DURATION: {ActionId.ACCESS_DURATION: text_value("9h")},
        BlockId.ACCESS_JUSTIFICATION: {ActionId.ACCESS_JUSTIFICATION: text_value("short")},
        BlockId.ACCESS_TICKET: {ActionId.ACCESS_TICKET: text_value(None)},
    }
    status, body = await requests.submit_view(view, values)
    assert status == 200
    errors = json.loads(body)["errors"]
    assert "at most 4h" in errors[BlockId.ACCESS_DURATION]
    assert "at least 10 characters" in errors[BlockId.ACCESS_JUSTIFICATION]
    await asyncio.sleep(0.3)
    assert not [m for m in slack.messages(AUDIT) if "Break-glass" in block_text(m)]

    values[BlockId.ACCESS_DURATION] = {ActionId.ACCESS_DURATION: text_value("1h30m")}
    values[BlockId.ACCESS_JUSTIFICATION] = {
        ActionId.ACCESS_JUSTIFICATION: text_value("Investigating <!channel> INC-77")
    }
    values[BlockId.ACCESS_TICKET] = {ActionId.ACCESS_TICKET: text_value("INC-77")}
    status, body = await requests.submit_view(view, values)
    assert status == 200 and not body
    card = await card_reading(slack, "Waiting for approval")
    shown = block_text(card)
    assert "1h30m" in shown and "INC-77" in shown
    assert "<!channel>" not in json.dumps(card.blocks)


async def test_a_denial_asks_why_and_tells_the_requester(
    slack: FakeSlack, requests: SlackRequests, center: IdentityCenter
) -> None:
    card = await requested(slack, requests, "billing-prod 1h looking at last month's invoices")
    await click(requests, card, ActionId.DENY_ACCESS, "UOPS")
    view = await wait_for_view(slack, "deny_access")
    reason = "Use the read-only role for invoices"
    await requests.submit_view(
        view, {BlockId.DENY_REASON: {ActionId.DENY_REASON: text_value(reason)}}, user="UOPS"
    )
    card = await card_reading(slack, "Denied by")
    assert reason in block_text(card)
    dm = await eventually(lambda: [t for t in direct_messages(slack, "UENGINEER") if "denied" in t])
    assert reason in dm[0]
    assert holders(center) == []
    # A late approval changes nothing.
    await click(requests, card, ActionId.APPROVE_ACCESS, "UOPS2", value=f"{card.ts}|request")
    await asyncio.sleep(0.3)
    assert holders(center) == []


async def test_an_extension_needs_approval_and_moves_the_expiry(
    slack: FakeSlack, requests: SlackRequests, center: IdentityCenter
) -> None:
    card = await active_grant(slack, requests, "billing-prod 1h migrating the ledger tables")
    before = block_text(card)
    await click(requests, card, ActionId.EXTEND_ACCESS, "UENGINEER")
    view = await wait_for_view(slack, "extend_access")
    await requests.submit_view(
        view,
        {
            BlockId.EXTEND_DURATION: {ActionId.EXTEND_DURATION: text_value("30m")},
            BlockId.EXTEND_REASON: {ActionId.EXTEND_REASON: text_value("the migration is slow")},
        },
    )
    card = await card_reading(slack, "Extension")
    value = button(card, ActionId.APPROVE_ACCESS)
    assert value.endswith("|extension-1")
    await click(requests, card, ActionId.APPROVE_ACCESS, "UENGINEER", value=value)
    await eventually(lambda: [t for t in ephemerals(slack, "UENGINEER") if "Only ops" in t])

    await click(requests, card, ActionId.APPROVE_ACCESS, "UOPS2", value=value)
    await eventually(lambda: any("extended" in t for t in audit_lines(slack)))
    card = await card_reading(slack, "Active until")
    assert block_text(card) != before
    assert len(holders(center)) == 1


async def test_ops_grant_directly_but_never_to_themselves(
    slack: FakeSlack, requests: SlackRequests, center: IdentityCenter
) -> None:
    await requests.command("grant <@UENGINEER|erin> billing-prod 1h restore backups", user="UOTHER")
    refused = await eventually(lambda: ephemerals(slack, "UOTHER", "CPLATFORM"))
    assert "Only ops" in refused[0]
    # Told first that it is not theirs to do, not to write a longer reason.
    await requests.command("grant <@UENGINEER|erin> billing-prod 1h fix", user="UOTHER")
    refused = await eventually(lambda: ephemerals(slack, "UOTHER", "CPLATFORM")[1:])
    assert refused[0].startswith("Only ops can grant access directly")
    # A name Slack did not turn into a mention is nobody in this workspace.
    await requests.command("grant @nobody billing-prod 1h restore backups", user="UOPS")
    refused = await eventually(lambda: ephemerals(slack, "UOPS", "CPLATFORM"))
    assert refused[0].startswith("Nobody called '@nobody' was found in this workspace")
    await requests.command("grant <@UOPS|olga> billing-prod 1h restore backups now", user="UOPS")
    refused = await eventually(lambda: ephemerals(slack, "UOPS", "CPLATFORM")[1:])
    assert "cannot grant access to yourself" in refused[0]
    assert holders(center) == []

    await requests.command("grant <@UENGINEER|erin> billing-prod 1h restore backups", user="UOPS")
    card = await card_reading(slack, "Active until")
    assert len(holders(center)) == 1
    assert "<@UOPS>" in block_text(card)
    await eventually(lambda: any("granted directly" in t for t in audit_lines(slack)))


async def test_revoke_by_command_is_for_the_holder_and_ops(
    slack: FakeSlack, requests: SlackRequests, center: IdentityCenter
) -> None:
    card = await active_grant(slack, requests, "billing-prod 1h checking an alarm by hand")
    grant_id = button(card, ActionId.REVOKE_ACCESS)
    await requests.command(f"revoke {grant_id}", user="UOTHER")
    refused = await eventually(lambda: ephemerals(slack, "UOTHER", "CPLATFORM"))
    assert "Only the person who has the access, or ops" in refused[0]
    assert len(holders(center)) == 1
    await requests.command(f"revoke {grant_id}", user="UOPS")
    await card_reading(slack, "revoked early by <@UOPS>, access removed")
    assert holders(center) == []

    # An id that is no grant is told so, not shown how to write one.
    await requests.command("revoke bg-nonsense", user="UOPS")
    told = await eventually(lambda: ephemerals(slack, "UOPS", "CPLATFORM"))
    assert told[-1].startswith("There is no break-glass grant 'bg-nonsense'")

    # The ended grant still shows on the account, and nothing reads as if none was given.
    await requests.command("show billing-prod", user="UOPS")
    shown = await eventually(
        lambda: [
            block_text(m)
            for m in slack.messages("CPLATFORM")
            if m.ephemeral_to == "UOPS" and "billing-prod" in block_text(m)
        ]
    )
    assert f"`{grant_id}`" in shown[-1]
    assert "revoked early by <@UOPS>" in shown[-1]
    assert "None asked for" not in shown[-1]
    assert "Outpost operations on it*\nNone" not in shown[-1]


async def test_ops_read_the_audit_trail_with_a_csv_file(
    slack: FakeSlack, requests: SlackRequests
) -> None:
    await active_grant(slack, requests, "billing-prod 1h checking an alarm by hand")
    await eventually(lambda: any("gave access" in t for t in audit_lines(slack)))
    await requests.command("audit billing-prod 7", user="UENGINEER")
    await eventually(
        lambda: [t for t in ephemerals(slack, "UENGINEER", "CPLATFORM") if "Only ops" in t]
    )

    await requests.command("audit billing-prod 7", user="UOPS")
    listing = await eventually(lambda: ephemerals(slack, "UOPS", "CPLATFORM"))
    assert "events" in listing[0]
    files = await eventually(lambda: slack.files(slack.dm_channel("UOPS")))
    csv = files[0].content.decode()
    assert csv.splitlines()[0].startswith("at,kind,actor")
    assert "requested" in csv and "approved" in csv and "granted" in csv


@pytest.mark.extra_env(BREAKGLASS_SELF_APPROVE_USERS="UOPS")
async def test_a_listed_ops_member_approves_their_own_with_a_justification(
    slack: FakeSlack, requests: SlackRequests, center: IdentityCenter
) -> None:
    card = await requested(slack, requests, "billing-prod 30m the database is down", user="UOPS")
    await click(requests, card, ActionId.APPROVE_ACCESS, "UOPS")
    view = await wait_for_view(slack, "self_approve_access")
    note = "Primary database down, nobody else on call"
    await requests.submit_view(
        view,
        {BlockId.SELF_APPROVE_NOTE: {ActionId.SELF_APPROVE_NOTE: text_value(note)}},
        user="UOPS",
    )
    await card_reading(slack, "Active until")
    assert len(holders(center)) == 1
    lines = await eventually(lambda: [t for t in audit_lines(slack) if "self-approved" in t])
    assert note in lines[0]
    told = await eventually(
        lambda: [t for t in direct_messages(slack, "UOPS2") if "self-approved" in t]
    )
    assert told


@pytest.mark.extra_env(BREAKGLASS_REQUEST_TTL="2s")
async def test_ops_are_reminded_then_the_request_lapses(
    slack: FakeSlack, requests: SlackRequests, center: IdentityCenter
) -> None:
    card = await requested(slack, requests, "billing-prod 1h nobody will answer this one")
    reminder = await eventually(
        lambda: [t for t in thread_texts(slack, card) if "still waits" in t]
    )
    assert "<@UOPS>" in reminder[0]
    card = await card_reading(slack, "Unanswered")
    dm = await eventually(
        lambda: [t for t in direct_messages(slack, "UENGINEER") if "not answered" in t]
    )
    assert dm
    assert holders(center) == []


async def test_access_removed_outside_outpost_counts_as_revoked(
    slack: FakeSlack, requests: SlackRequests, center: IdentityCenter
) -> None:
    card = await active_grant(slack, requests, "billing-prod 1h checking an alarm by hand")
    (holder,) = holders(center)
    center.admin.delete_account_assignment(
        InstanceArn=center.arn,
        TargetId=center.account,
        TargetType="AWS_ACCOUNT",
        PermissionSetArn=permission_set_arn(center),
        PrincipalType="USER",
        PrincipalId=holder,
    )
    await click(requests, card, ActionId.REVOKE_ACCESS, "UENGINEER")
    await card_reading(slack, "access removed")
    lines = await eventually(lambda: [t for t in audit_lines(slack) if "already gone" in t])
    assert "revoked" in lines[0]


@pytest.mark.extra_env(SCHEDULER_ROLE_ARN="arn:aws:iam::123456789012:role/outpost-expiry")
async def test_each_grant_has_an_aws_schedule_until_it_ends(
    slack: FakeSlack, requests: SlackRequests, center: IdentityCenter, moto_url: str
) -> None:
    scheduler = moto_client("scheduler", moto_url)
    card = await active_grant(slack, requests, "billing-prod 1h checking an alarm by hand")
    grant_id = button(card, ActionId.REVOKE_ACCESS)
    # Made before the grant is saved active, so it is there once the card says so.
    schedule = scheduler.get_schedule(Name=f"outpost-breakglass-{grant_id}")
    target = schedule["Target"]
    assert target["Arn"] == "arn:aws:scheduler:::aws-sdk:ssoadmin:deleteAccountAssignment"
    assert json.loads(target["Input"])["PrincipalId"] == holders(center)[0]
    assert schedule["ScheduleExpression"].startswith("at(")
    assert schedule["ActionAfterCompletion"] == "DELETE"

    await click(requests, card, ActionId.REVOKE_ACCESS, "UENGINEER")
    await card_reading(slack, "access removed")
    names = [s["Name"] for s in scheduler.list_schedules()["Schedules"]]
    assert f"outpost-breakglass-{grant_id}" not in names


async def test_withdraw_calls_off_a_pending_request(
    slack: FakeSlack, requests: SlackRequests, center: IdentityCenter
) -> None:
    card = await requested(slack, requests, "billing-prod 1h checking an alarm by hand")
    assert button(card, ActionId.REVOKE_ACCESS).endswith("|withdraw")
    await click(requests, card, ActionId.REVOKE_ACCESS, "UENGINEER")
    await card_reading(slack, "Withdrawn by <@UENGINEER>")
    assert holders(center) == []


async def test_a_withdraw_click_that_lands_after_the_approval_revokes_nothing(
    slack: FakeSlack, requests: SlackRequests, center: IdentityCenter
) -> None:
    card = await requested(slack, requests, "billing-prod 1h checking an alarm by hand")
    withdraw = button(card, ActionId.REVOKE_ACCESS)
    await click(requests, card, ActionId.APPROVE_ACCESS, "UOPS")
    await card_reading(slack, "Active until")
    await click(requests, card, ActionId.REVOKE_ACCESS, "UENGINEER", value=withdraw)
    told = await eventually(
        lambda: [t for t in ephemerals(slack, "UENGINEER") if "approved meanwhile" in t]
    )
    assert "Revoke now" in told[0]
    await asyncio.sleep(0.5)
    assert len(holders(center)) == 1
    assert "Active until" in block_text(slack.message(AUDIT, card.ts))
    assert not any("revoked" in t for t in audit_lines(slack))


async def test_the_modal_opens_at_once_and_selects_the_account_once_aws_answers(
    slack: FakeSlack,
    requests: SlackRequests,
    org: Organization,
    aws: Any,
) -> None:
    from bot.emulator.aws_faults import hold_response

    aws.add(hold_response("ListAccounts", 3.0))
    await requests.command("breakglass billing-prod 2h")
    view = await wait_for_view(slack, "breakglass_request")
    account = next(b for b in view["blocks"] if b.get("block_id") == BlockId.ACCESS_ACCOUNT)
    assert "initial_option" not in account["element"]
    assert "Looking up the account" in json.dumps(view)

    def selected() -> Any:
        shown = opened_view(slack, "breakglass_request")
        block = next(b for b in shown["blocks"] if b.get("block_id") == BlockId.ACCESS_ACCOUNT)
        return block["element"].get("initial_option")

    option = await eventually(selected, what="the typed account selected in the modal")
    assert option["value"] == org.account_id("billing-prod")
    assert "Looking up" not in json.dumps(opened_view(slack, "breakglass_request"))
    assert len(aws.calls_to("ListAccounts")) == 1


async def test_a_direct_grant_waits_for_a_slow_account_list(
    slack: FakeSlack,
    requests: SlackRequests,
    aws: Any,
    center: IdentityCenter,
) -> None:
    from bot.emulator.aws_faults import hold_response

    aws.add(hold_response("ListAccounts", 3.0))
    await requests.command("grant <@UENGINEER|erin> billing-prod 1h restore backups", user="UOPS")
    await card_reading(slack, "Active until")
    assert len(holders(center)) == 1
    assert not [t for t in ephemerals(slack, "UOPS", "CPLATFORM") if "took too long" in t]


async def test_an_account_newer_than_the_cached_list_is_found(
    slack: FakeSlack, requests: SlackRequests, org: Organization
) -> None:
    # The first request reads the organization's accounts and caches the list.
    await request(requests, "billing-prod 1h checking the billing exports")
    await card_reading(slack, "Waiting for approval")
    org.client.create_account(AccountName="fresh-account", Email="aws+fresh@example.com")

    await request(requests, "fresh-account 1h first look at the new account")

    card = await eventually(
        lambda: next((m for m in grant_cards(slack) if "fresh-account" in block_text(m)), None),
        what="a card for the account created after the list was read",
    )
    assert "Waiting for approval" in block_text(card)
    assert not [t for t in ephemerals(slack, "UENGINEER", "CPLATFORM") if "No account" in t]


async def test_an_account_outpost_creates_is_offered_at_once(
    slack: FakeSlack, requests: SlackRequests, org: Organization
) -> None:
    await requests.command("breakglass")
    view = await wait_for_view(slack, "breakglass_request")

    async def offered() -> list[str]:
        options = await requests.suggest(
            view, ActionId.ACCESS_ACCOUNT, BlockId.ACCESS_ACCOUNT, "", user="UENGINEER"
        )
        return [o["text"]["text"] for o in options]

    assert not any("search-new" in label for label in await offered())  # the list is cached

    status, _ = await request_account(
        slack, requests, name="search-new", ou_id=org.ous["Sandbox"], email="aws+sn@example.com"
    )
    assert status == 200
    await card_reaching(slack, "Succeeded")
    # Well within the cache's two minutes: the first list already has it.
    assert any(label.startswith("search-new (") for label in await offered())


async def test_a_request_whose_channel_refuses_it_reaches_ops_directly(
    slack: FakeSlack,
    requests: SlackRequests,
) -> None:
    slack.archive_channel(AUDIT)  # after start-up checked it

    await request(requests, "billing-prod 1h checking the ledger by hand")

    def copy_for(user: str) -> SlackMessage | None:
        return next(
            (
                m
                for m in slack.messages(slack.dm_channel(user))
                if "Waiting for approval" in block_text(m)
            ),
            None,
        )

    olga = await eventually(lambda: copy_for("UOPS"), what="the request in an ops DM")
    assert await eventually(lambda: copy_for("UOPS2"), what="the request in the other ops DM")
    assert "refused this card (`is_archived`)" in block_text(olga)
    assert copy_for("UENGINEER") is not None  # the requester's copy, kept up to date

    status, _ = await requests.click(
        ActionId.APPROVE_ACCESS,
        button(olga, ActionId.APPROVE_ACCESS),
        channel=olga.channel,
        message_ts=olga.ts,
        user="UOPS",
    )

    assert status == 200
    await eventually(
        lambda: [
            m
            for m in slack.messages(slack.dm_channel("UENGINEER"))
            if "Active until" in block_text(m)
        ],
        what="the requester's card to show the access",
    )


def management_account(org: Organization) -> str:
    return str(org.client.describe_organization()["Organization"]["MasterAccountId"])


async def test_the_management_account_is_marked_and_refused(
    slack: FakeSlack,
    requests: SlackRequests,
    org: Organization,
    center: IdentityCenter,
) -> None:
    management = management_account(org)
    why = "From it, access can be made permanent and the whole organization changed"
    allow = "BREAKGLASS_ALLOW_MANAGEMENT_ACCOUNT=true"

    await requests.command("breakglass")
    view = await wait_for_view(slack, "breakglass_request")
    options = await requests.suggest(
        view, ActionId.ACCESS_ACCOUNT, BlockId.ACCESS_ACCOUNT, "", user="UENGINEER"
    )
    labels = {o["value"]: o["text"]["text"] for o in options}
    assert labels[management].endswith(f"({management}) · management account")
    assert "management" not in labels[org.account_id("billing-prod")]

    # The form: refused next to the account, and nothing filed.
    values = {
        BlockId.ACCESS_ACCOUNT: {ActionId.ACCESS_ACCOUNT: chosen(management, "master")},
        BlockId.ACCESS_DURATION: {ActionId.ACCESS_DURATION: text_value("1h")},
        BlockId.ACCESS_JUSTIFICATION: {
            ActionId.ACCESS_JUSTIFICATION: text_value("reading the organization's trail")
        },
        BlockId.ACCESS_TICKET: {ActionId.ACCESS_TICKET: text_value(None)},
    }
    status, body = await requests.submit_view(view, values)
    assert status == 200
    error = json.loads(body)["errors"][BlockId.ACCESS_ACCOUNT]
    assert "management account" in error and why in error and allow in error

    # The command, and a direct grant.
    await request(requests, f"{management} 1h reading the organization's trail")
    told = await eventually(lambda: ephemerals(slack, "UENGINEER", "CPLATFORM"))
    assert why in told[-1] and allow in told[-1]
    await requests.command(
        f"grant <@UENGINEER|erin> {management} 1h restore the trail", user="UOPS"
    )
    told = await eventually(lambda: ephemerals(slack, "UOPS", "CPLATFORM"))
    assert why in told[-1] and allow in told[-1]

    await asyncio.sleep(0.3)
    assert grant_cards(slack) == []
    assert holders(center) == []


@pytest.mark.extra_env(BREAKGLASS_ALLOW_MANAGEMENT_ACCOUNT="true")
async def test_its_card_says_what_it_is(
    slack: FakeSlack, requests: SlackRequests, org: Organization
) -> None:
    card = await requested(
        slack, requests, f"{management_account(org)} 1h reading the organization's trail"
    )
    assert "This is the organization's *management account*" in block_text(card)
    await click(requests, card, ActionId.APPROVE_ACCESS, "UOPS")
    card = await card_reading(slack, "Active until")
    assert "*management account*" in block_text(card)

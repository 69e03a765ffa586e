"""The break-glass listeners against hand-written fakes of Slack, the account cache and the desk."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from pydantic import SecretStr
from slack_bolt.async_app import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.aws.directory import AccountDirectory
from bot.aws.errors import AwsCallError
from bot.aws.organizations import OrganizationsGateway
from bot.clock import SystemClock
from bot.config import Settings
from bot.domain.accounts import AccountSummary
from bot.domain.audit import AuditEvent, AuditKind, event
from bot.domain.grants import AccessRequest, Grant, GrantState
from bot.domain.operations import AwsFailure
from bot.emulator.block_kit import view_errors
from bot.engine.account_creation import NewAccounts
from bot.services.access_review import AccessReview
from bot.services.audit import EXPORT_LIMIT as AUDIT_EXPORT_LIMIT
from bot.services.breakglass import BreakGlassDesk, NoSuchGrant
from bot.services.container import Services
from bot.services.triage import Triage
from bot.store.base import Store
from bot.ui.blocks import Block
from bot.ui.ids import ActionId, BlockId
from handlers.breakglass import (
    LOOKUP_BUDGET,
    account_suggestions,
    audit_command,
    breakglass_command,
    breakglass_submitted,
    grant_command,
    revoke_clicked,
)
from handlers.subcommand import Subcommand
from tests.unit.factories import T0, grant

BILLING = AccountSummary(
    id="222222222222", name="billing-prod", email="b@example.com", status="ACTIVE"
)


def breakglass_values(account_id: str, label: str) -> dict[str, Any]:
    """The break-glass form's state: the account picked, 1h, a justification, no ticket."""
    return {
        BlockId.ACCESS_ACCOUNT: {
            ActionId.ACCESS_ACCOUNT: {
                "type": "external_select",
                "selected_option": {
                    "text": {"type": "plain_text", "text": label},
                    "value": account_id,
                },
            }
        },
        BlockId.ACCESS_DURATION: {
            ActionId.ACCESS_DURATION: {"type": "plain_text_input", "value": "1h"}
        },
        BlockId.ACCESS_JUSTIFICATION: {
            ActionId.ACCESS_JUSTIFICATION: {
                "type": "plain_text_input",
                "value": "investigating INC-123",
            }
        },
        BlockId.ACCESS_TICKET: {
            ActionId.ACCESS_TICKET: {"type": "plain_text_input", "value": None}
        },
    }


class Directory:
    """The account cache: records the budget each lookup was given."""

    def __init__(self, steps: list[str]) -> None:
        self.steps = steps
        self.budgets: list[float] = []

    async def accounts(self, *, within: float) -> list[AccountSummary]:
        self.steps.append("lookup")
        self.budgets.append(within)
        return [BILLING]

    async def accounts_with(
        self, wanted: Callable[[AccountSummary], bool], *, within: float
    ) -> list[AccountSummary]:
        return await self.accounts(within=within)


class Client:
    """The few Slack Web API methods the listeners call."""

    def __init__(self, steps: list[str], *, update_error: str | None = None) -> None:
        self.steps = steps
        self.update_error = update_error
        self.opened: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []
        self.ephemerals: list[str] = []
        self.uploads: list[dict[str, Any]] = []

    async def views_open(self, *, trigger_id: str, view: dict[str, Any]) -> dict[str, Any]:
        self.steps.append("views_open")
        self.opened.append(view)
        return {"ok": True, "view": {**view, "id": "V0001", "hash": "1700000000.0001"}}

    async def views_update(self, **args: Any) -> dict[str, Any]:
        self.steps.append("views_update")
        if self.update_error:
            raise SlackApiError(  # type: ignore[no-untyped-call]
                self.update_error, {"ok": False, "error": self.update_error}
            )
        self.updates.append(args)
        return {"ok": True, "view": args["view"]}

    async def users_info(self, *, user: str) -> dict[str, Any]:
        return {"ok": True, "user": {"profile": {"email": f"{user.lower()}@example.com"}}}

    async def chat_postEphemeral(self, *, channel: str, user: str, text: str) -> dict[str, Any]:
        self.ephemerals.append(text)
        return {"ok": True}

    async def conversations_open(self, *, users: str) -> dict[str, Any]:
        return {"ok": True, "channel": {"id": f"D{users}"}}

    async def files_upload_v2(self, **args: Any) -> dict[str, Any]:
        self.uploads.append(args)
        return {"ok": True}


class Ops:
    async def is_ops(self, user: str) -> bool:
        return user.startswith("UOPS")


class Desk:
    """The access desk: records what it was asked to do."""

    def __init__(self) -> None:
        self.ops = Ops()
        self.filed: list[AccessRequest] = []
        self.revoked: list[str] = []
        self.store: GrantStore | None = None

    async def file(self, user: str, email: str, request: AccessRequest, channel: str) -> Grant:
        self.filed.append(request)
        return grant(id="bg-f1led0", request=request, channel=channel)

    async def grant_directly(
        self, by: str, user: str, email: str, request: AccessRequest, channel: str
    ) -> Grant:
        self.filed.append(request)
        return grant(id="bg-d1rec7", request=request, requester=user, channel=channel)

    async def management_account_id(self) -> str | None:
        return None

    async def check_account(self, account_id: str) -> None:
        return None

    async def grant(self, grant_id: str) -> Grant:
        if self.store is None or grant_id not in self.store.grants:
            raise NoSuchGrant(grant_id)
        return self.store.grants[grant_id]

    async def revoke(self, grant_id: str, by: str, *, only_pending: bool = False) -> Grant:
        self.revoked.append(grant_id)
        revoking = await self.grant(grant_id)
        if revoking.state is GrantState.PENDING:
            return revoking.model_copy(update={"state": GrantState.WITHDRAWN})
        return revoking


class GrantStore:
    """Grants by id, and an audit trail of `trail` copies of one event."""

    def __init__(self, *grants: Grant, trail: int = 0) -> None:
        self.grants = {g.id: g for g in grants}
        self.trail = trail
        self.limits: list[int] = []

    async def get_grant(self, grant_id: str) -> Grant | None:
        return self.grants.get(grant_id)

    async def recent_operations(self, limit: int) -> list[Any]:
        return []

    async def audit_events(
        self, since: datetime, account_id: str | None = None, limit: int = 1000
    ) -> list[AuditEvent]:
        self.limits.append(limit)
        one = event(grant(), AuditKind.REQUESTED, "UENGINEER", T0, detail="INC-4211")
        return [one] * min(self.trail, limit)


def services(directory: Directory, desk: Desk, store: GrantStore | None = None) -> Services:
    desk.store = store or GrantStore()
    settings = Settings(
        slack_bot_token=SecretStr("xoxb-1-test"),
        slack_signing_secret=SecretStr("test-signing-secret"),
        breakglass_permission_set="BreakGlass",
        _env_file=None,  # type: ignore[call-arg]
    )
    return Services(
        settings=settings,
        store=cast(Store, desk.store),
        organizations=cast(OrganizationsGateway, None),
        directory=cast(AccountDirectory, directory),
        engine=cast(NewAccounts, None),
        triage=cast(Triage, None),
        breakglass=cast(BreakGlassDesk, desk),
        access_review=cast(AccessReview, None),
        clock=SystemClock(),
    )


class Told:
    def __init__(self) -> None:
        self.texts: list[str] = []
        self.blocks: list[list[Block] | None] = []

    async def __call__(self, text: str, blocks: list[Block] | None = None) -> None:
        self.texts.append(text)
        self.blocks.append(blocks)


def typed(
    argument: str, client: Client, told: Told | None = None, *, user: str = "UENGINEER"
) -> Subcommand:
    """A subcommand `user` typed in #platform, answered to `told`."""
    return Subcommand(
        user=user,
        channel="CPLATFORM",
        trigger_id="1337.42.abcdef",
        argument=argument,
        client=cast(AsyncWebClient, client),
        reply=told or Told(),
    )


def selected(view: dict[str, Any]) -> Any:
    account = next(b for b in view["blocks"] if b.get("block_id") == BlockId.ACCESS_ACCOUNT)
    return account["element"].get("initial_option")


def initial(view: dict[str, Any], block_id: str) -> Any:
    block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
    return block["element"].get("initial_value")


def text_of(view: dict[str, Any]) -> str:
    return str(view["blocks"])


class TestBreakglassModal:
    async def test_opens_before_the_lookup_then_selects_the_typed_account(self) -> None:
        steps: list[str] = []
        client, directory = Client(steps), Directory(steps)
        told = Told()
        await breakglass_command(
            typed("billing-prod 2h", client, told), services(directory, Desk())
        )
        assert steps == ["views_open", "lookup", "views_update"]
        (opened,) = client.opened
        assert selected(opened) is None
        assert initial(opened, BlockId.ACCESS_DURATION) == "2h"
        assert "Looking up the account `billing-prod`" in text_of(opened)
        (update,) = client.updates
        assert update["view_id"] == "V0001"
        assert update["hash"] == "1700000000.0001"
        assert selected(update["view"])["value"] == BILLING.id
        assert initial(update["view"], BlockId.ACCESS_DURATION) == "2h"
        assert "Looking up" not in text_of(update["view"])
        assert view_errors(opened) == view_errors(update["view"]) == []
        assert told.texts == []

    async def test_a_typed_account_that_is_not_found_leaves_the_select_empty(self) -> None:
        steps: list[str] = []
        client, directory = Client(steps), Directory(steps)
        told = Told()
        await breakglass_command(typed("biling", client, told), services(directory, Desk()))
        assert steps == ["views_open", "lookup", "views_update"]
        (update,) = client.updates
        assert selected(update["view"]) is None
        assert "No account named `biling`" in text_of(update["view"])
        assert view_errors(update["view"]) == []
        assert told.texts == []

    async def test_a_modal_closed_during_the_lookup_is_left_alone(self) -> None:
        for gone in ("not_found", "hash_conflict"):
            steps: list[str] = []
            client = Client(steps, update_error=gone)
            await breakglass_command(
                typed("billing-prod", client), services(Directory(steps), Desk())
            )
            assert steps == ["views_open", "lookup", "views_update"]

    async def test_without_an_account_the_modal_opens_with_no_lookup(self) -> None:
        steps: list[str] = []
        client = Client(steps)
        await breakglass_command(typed("", client), services(Directory(steps), Desk()))
        assert steps == ["views_open"]
        assert "Looking up" not in text_of(client.opened[0])

    async def test_everything_typed_files_at_once(self) -> None:
        steps: list[str] = []
        client, desk, told = Client(steps), Desk(), Told()
        typing = typed("billing-prod 1h investigating INC-123 in billing", client, told)
        await breakglass_command(typing, services(Directory(steps), desk))
        assert steps == ["lookup"]
        assert [r.account_id for r in desk.filed] == [BILLING.id]
        assert told.texts[0].startswith("Request bg-f1led0 for ")


class TestDirectGrant:
    async def test_someone_not_ops_is_told_so_before_anything_else(self) -> None:
        steps: list[str] = []
        client, desk, told = Client(steps), Desk(), Told()
        typing = typed("<@UDANA|dana> billing-prod 30m short", client, told, user="UENGINEER")
        await grant_command(typing, services(Directory(steps), desk))
        assert told.texts == ["Only ops can grant access directly. Ask with /account breakglass."]
        assert steps == [] and desk.filed == []


class TestLookupBudgets:
    async def test_slash_commands_wait_longer_than_slacks_3_seconds(self) -> None:
        steps: list[str] = []
        directory = Directory(steps)
        served = services(directory, Desk(), GrantStore())
        client = Client(steps)
        await breakglass_command(typed("billing-prod", client), served)
        await breakglass_command(typed("billing-prod 1h INC-123 restore", client), served)
        granting = "<@UENGINEER|erin> billing-prod 1h restore backups"
        await grant_command(typed(granting, client, user="UOPS"), served)
        await audit_command(typed("billing-prod 7", client, user="UOPS"), served)
        assert len(directory.budgets) == 4
        assert min(directory.budgets) >= 10

    async def test_options_and_submissions_keep_within_slacks_3_seconds(self) -> None:
        steps: list[str] = []
        directory = Directory(steps)
        served = services(directory, Desk())
        answered: list[dict[str, Any]] = []

        async def ack(**answer: Any) -> None:
            answered.append(answer)

        await account_suggestions(cast(AsyncAck, ack), {"value": "bill"}, served)
        view = {
            "private_metadata": '{"channel": "CPLATFORM"}',
            "state": {"values": breakglass_values(BILLING.id, "billing-prod")},
        }
        await breakglass_submitted(
            cast(AsyncAck, ack),
            view,
            {"user": {"id": "UENGINEER"}},
            cast(AsyncWebClient, Client(steps)),
            served,
        )
        assert directory.budgets == [LOOKUP_BUDGET, LOOKUP_BUDGET]
        assert LOOKUP_BUDGET < 3
        assert answered[-1] == {}


class FailingDirectory(Directory):
    async def accounts(self, *, within: float) -> list[AccountSummary]:
        failure = AwsFailure(
            service="organizations",
            operation="ListAccounts",
            code="AccessDeniedException",
            message="not authorized to list <accounts> & OUs",
            http_status=400,
        )
        raise AwsCallError(failure)


class TestModalErrorsArePlainText:
    """Slack shows a modal's inline errors as plain text: no backticks, no &amp; entities."""

    async def submit(self, directory: Directory, account_id: str) -> dict[str, Any]:
        answered: list[dict[str, Any]] = []

        async def ack(**answer: Any) -> None:
            answered.append(answer)

        values = breakglass_values(account_id, account_id)
        view = {"private_metadata": '{"channel": "CPLATFORM"}', "state": {"values": values}}
        await breakglass_submitted(
            cast(AsyncAck, ack),
            view,
            {"user": {"id": "UENGINEER"}},
            cast(AsyncWebClient, Client([])),
            services(directory, Desk()),
        )
        (answer,) = answered
        assert answer["response_action"] == "errors"
        return dict(answer["errors"])

    async def test_an_account_gone_from_the_organization(self) -> None:
        errors = await self.submit(Directory([]), "333333333333")
        assert errors == {
            BlockId.ACCESS_ACCOUNT: "No account “333333333333” is in the organization."
        }

    async def test_aws_refusing_to_list_the_accounts(self) -> None:
        errors = await self.submit(FailingDirectory([]), BILLING.id)
        assert errors == {
            BlockId.ACCESS_ACCOUNT: "Outpost could not list the organization's accounts: AWS "
            "said “AccessDeniedException”: not authorized to list <accounts> & OUs"
        }

    async def test_the_same_lookup_in_a_message_stays_mrkdwn(self) -> None:
        told = Told()
        typing = typed("333333333333 1h investigating INC-123", Client([]), told)
        await breakglass_command(typing, services(Directory([]), Desk()))
        assert told.texts == ["No account `333333333333` is in the organization."]


class TestWithdrawAndRevoke:
    async def click(self, value: str, *grants: Grant) -> tuple[Client, Desk]:
        steps: list[str] = []
        client, desk = Client(steps), Desk()

        async def ack(**_: Any) -> None:
            pass

        await revoke_clicked(
            cast(AsyncAck, ack),
            {"user": {"id": "UENGINEER"}, "channel": {"id": "CAUDIT"}},
            {"action_id": ActionId.REVOKE_ACCESS, "value": value},
            cast(AsyncWebClient, client),
            services(Directory(steps), desk, GrantStore(*grants)),
        )
        return client, desk

    async def test_a_withdraw_click_on_an_approved_grant_changes_nothing(self) -> None:
        for state in (GrantState.GRANTING, GrantState.ACTIVE):
            approved = grant(id="bg-1a2b3c", state=state)
            client, desk = await self.click("bg-1a2b3c|withdraw", approved)
            assert desk.revoked == []
            (told,) = client.ephemerals
            assert "`bg-1a2b3c` was approved meanwhile" in told
            assert "Revoke now" in told

    async def test_a_withdraw_click_on_a_finished_grant_changes_nothing(self) -> None:
        denied = grant(id="bg-1a2b3c", state=GrantState.DENIED)
        client, desk = await self.click("bg-1a2b3c|withdraw", denied)
        assert desk.revoked == []
        assert "nothing to withdraw" in client.ephemerals[0]

    async def test_a_withdraw_click_on_a_pending_grant_withdraws_it(self) -> None:
        client, desk = await self.click("bg-1a2b3c|withdraw", grant(id="bg-1a2b3c"))
        assert desk.revoked == ["bg-1a2b3c"]
        assert client.ephemerals == ["Withdrawn: bg-1a2b3c will not be decided."]

    async def test_a_withdraw_click_on_an_unknown_grant_says_so(self) -> None:
        client, desk = await self.click("bg-0000ff|withdraw")
        assert desk.revoked == []
        assert "no break-glass grant" in client.ephemerals[0]

    async def test_revoke_now_revokes_as_before(self) -> None:
        active = grant(id="bg-1a2b3c", state=GrantState.ACTIVE)
        client, desk = await self.click("bg-1a2b3c", active)
        assert desk.revoked == ["bg-1a2b3c"]
        assert client.ephemerals[0].startswith("Revoking bg-1a2b3c now")


class TestAuditExport:
    async def run(self, store: GrantStore, days: str = "7") -> tuple[Told, Client]:
        steps: list[str] = []
        client, told = Client(steps), Told()
        await audit_command(
            typed(days, client, told, user="UOPS"), services(Directory(steps), Desk(), store)
        )
        return told, client

    async def test_reads_far_more_than_a_thousand_events_for_the_csv(self) -> None:
        store = GrantStore(trail=1500)
        told, client = await self.run(store)
        assert store.limits == [AUDIT_EXPORT_LIMIT]
        assert AUDIT_EXPORT_LIMIT >= 100_000
        assert told.texts == ["Audit trail: 1500 events in the last 7 days"]
        assert "1460 more events are in the CSV, in your direct messages with Outpost." in str(
            told.blocks[0]
        )
        (upload,) = client.uploads
        assert upload["channel"] == "DUOPS"  # where the listing says the CSV is
        assert len(upload["content"].splitlines()) == 1501

    async def test_one_day_is_worded_as_one_day(self) -> None:
        told, client = await self.run(GrantStore(trail=1), "1")
        assert told.texts == ["Audit trail: 1 event in the last day"]
        assert client.uploads[0]["title"] == "Outpost audit trail, last day"

    async def test_says_when_the_cap_is_reached(self) -> None:
        told, client = await self.run(GrantStore(trail=AUDIT_EXPORT_LIMIT + 5))
        (text,) = told.texts
        assert f"only the newest {AUDIT_EXPORT_LIMIT:,}" in text
        assert "left out" in str(told.blocks[0])
        assert len(client.uploads[0]["content"].splitlines()) == AUDIT_EXPORT_LIMIT + 1

"""The readers behind `/account show`'s access review against a real moto server, with faults
injected on the wire: assignments by name, the name cache, contacts and the budget, and what
AWS's "not found" means for each (not set, no budget, an unknown id) as against an answer
that lacks what the call promises."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.aws.account_access import AccountAccessGateway
from bot.aws.baseline_reader import BaselineReader
from bot.aws.caller import AwsCaller
from bot.aws.clients import (
    account_client,
    budgets_client,
    identitystore_client,
    sso_admin_client,
)
from bot.aws.errors import AwsCallError
from bot.aws.identity_center import IdentityCenterGateway
from bot.clock import SystemClock
from bot.domain.access_review import ContactKind, NoBudget, PrincipalKind
from bot.emulator.aws_faults import ThreadedAwsFaultProxy, rewrite_json
from tests.integration.conftest import FAST_RETRIES
from tests.support.aws_clients import built_as_the_bot_builds_them
from tests.support.identity_center import ACCOUNT, IdentityCenter, moto_client
from tests.support.organization import reset_moto

MANAGEMENT = "123456789012"  # moto's own account


@pytest.fixture(scope="module")
def api_clients(session_proxy: ThreadedAwsFaultProxy) -> Iterator[tuple[Any, ...]]:
    builders = (sso_admin_client, identitystore_client, account_client, budgets_client)
    with built_as_the_bot_builds_them(session_proxy.url, *builders) as clients:
        yield clients


@pytest.fixture
def center(moto_url: str) -> IdentityCenter:
    reset_moto(moto_url)
    return IdentityCenter.in_moto(moto_url)


@pytest.fixture
def gateway(api_clients: tuple[Any, ...], aws: ThreadedAwsFaultProxy) -> AccountAccessGateway:
    sso_admin, identity_store, _, _ = api_clients
    call = AwsCaller(FAST_RETRIES, SystemClock())
    center = IdentityCenterGateway(sso_admin, identity_store, call)
    return AccountAccessGateway(center, sso_admin, identity_store, call)


@pytest.fixture
def baseline(api_clients: tuple[Any, ...], aws: ThreadedAwsFaultProxy) -> BaselineReader:
    _, _, account, budgets = api_clients
    return BaselineReader(account, budgets, AwsCaller(FAST_RETRIES, SystemClock()))


class TestAssignments:
    async def test_each_provisioned_set_with_its_groups_and_users(self, gateway, center):
        arn = center.permission_set("TeamAdmin")
        group = center.store.create_group(IdentityStoreId=center.store_id, DisplayName="team-a")
        user = center.user("erin", "erin@example.com")
        center.assign(arn, group["GroupId"], kind="GROUP")
        center.assign(arn, user)
        center.admin.provision_permission_set(
            InstanceArn=center.arn, PermissionSetArn=arn, TargetType="AWS_ACCOUNT", TargetId=ACCOUNT
        )
        (found,) = await gateway.provisioned(ACCOUNT, center.instance)
        assert found.permission_set.name == "TeamAdmin"
        assert {(a.kind, a.principal_id) for a in found.assignments} == {
            (PrincipalKind.GROUP, group["GroupId"]),
            (PrincipalKind.USER, user),
        }

    async def test_names_are_read_once_and_a_deleted_id_is_left_out(self, gateway, center, aws):
        erin = center.user("erin", "erin@example.com")
        gone = center.user("gone", "gone@example.com")
        center.store.delete_user(IdentityStoreId=center.store_id, UserId=gone)
        wanted = [(PrincipalKind.USER, erin), (PrincipalKind.USER, gone)]
        first = await gateway.principals(wanted, center.instance)
        again = await gateway.principals(wanted, center.instance)
        assert first == again
        assert [p.user_name for p in first.values()] == ["erin"]
        # erin from the cache the second time; gone asked again, in case it comes back.
        assert len(aws.calls_to("DescribeUser")) == 3

    async def test_an_answer_without_the_id_is_an_error_not_an_unknown_user(
        self, gateway, center, aws
    ):
        erin = center.user("erin", "erin@example.com")
        aws.add(rewrite_json("DescribeUser", lambda _: {}, times=None))
        with pytest.raises(AwsCallError) as failed:
            await gateway.principal(PrincipalKind.USER, erin, center.instance)
        assert failed.value.failure.code == "UnreadableAnswer"


class TestContactsAndBudget:
    async def test_a_contact_set_and_those_not_set(self, baseline, moto_url):
        moto_client("account", moto_url).put_alternate_contact(
            AccountId=ACCOUNT,
            AlternateContactType="BILLING",
            Name="Bo",
            Title="Finance",
            EmailAddress="billing@example.com",
            PhoneNumber="+1-555-0101",
        )
        contacts = await baseline.contacts(ACCOUNT, management=False)
        billing = contacts.of(ContactKind.BILLING)
        assert billing is not None and billing.email == "billing@example.com"
        assert contacts.security is None and contacts.operations is None

    async def test_no_budget_is_what_aws_says(self, baseline, moto_url):
        reset_moto(moto_url)
        assert await baseline.budget(ACCOUNT, MANAGEMENT) == NoBudget(name=f"outpost-{ACCOUNT}")

    async def test_the_budget_of_the_account_in_the_management_account(self, baseline, moto_url):
        reset_moto(moto_url)
        moto_client("budgets", moto_url).create_budget(
            AccountId=MANAGEMENT,
            Budget={
                "BudgetName": f"outpost-{ACCOUNT}",
                "BudgetLimit": {"Amount": "250", "Unit": "USD"},
                "TimeUnit": "MONTHLY",
                "BudgetType": "COST",
            },
        )
        budget = await baseline.budget(ACCOUNT, MANAGEMENT)
        assert not isinstance(budget, NoBudget)
        assert (budget.name, budget.time_unit) == (f"outpost-{ACCOUNT}", "MONTHLY")
        assert budget.limit is not None
        assert (float(budget.limit.amount), budget.limit.unit) == (250.0, "USD")

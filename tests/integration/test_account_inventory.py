"""Reading accounts for `/account show` and `/account list`: the gateway against moto, the
store's account query on a real SQLite file, and the reader that joins them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.aws.errors import AwsCallError
from bot.emulator.aws_faults import aws_error, garbage_answer, throttle
from bot.services.inventory import Found, NotFound, Several, UnknownOu, account_listing, look_up
from tests.integration.conftest import FAST_RETRIES
from tests.unit.factories import account_request, operation

T = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def create(org, name: str, ou: str | None = None, tags: dict[str, str] | None = None) -> str:
    status = org.client.create_account(
        AccountName=name,
        Email=f"aws+{name}@example.com",
        Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    )["CreateAccountStatus"]
    account_id = str(status["AccountId"])
    if ou is not None:
        org.client.move_account(
            AccountId=account_id, SourceParentId=org.root_id, DestinationParentId=org.ous[ou]
        )
    return account_id


class TestGateway:
    async def test_the_tree_has_every_ou_with_its_parent(self, gateway, org):
        tree = await gateway.ou_tree()
        assert [(n.path, n.parent_id) for n in tree] == [
            ("Root", None),
            ("Root / Workloads", org.root_id),
            ("Root / Sandbox", org.root_id),
            ("Root / Workloads / Prod", org.ous["Workloads"]),
        ]

    async def test_accounts_in_a_parent_follow_every_page(self, gateway, org, aws):
        # moto pages ListAccountsForParent by 20.
        made = {create(org, f"sandbox-{i:02d}", "Sandbox") for i in range(25)}
        found = await gateway.accounts_in(org.ous["Sandbox"])
        assert {a.id for a in found} == made
        assert len(aws.calls_to("ListAccountsForParent")) == 2
        assert [a.name for a in await gateway.accounts_in(org.ous["Prod"])] == []

    async def test_ancestry_names_each_ou_up_to_the_root(self, gateway, org):
        account_id = create(org, "payments-prod", "Prod")
        chain = await gateway.ancestry(account_id)
        assert [n.path for n in chain] == ["Root", "Root / Workloads", "Root / Workloads / Prod"]
        assert [n.id for n in chain] == [org.root_id, org.ous["Workloads"], org.ous["Prod"]]
        root_account = create(org, "tooling")
        assert [n.path for n in await gateway.ancestry(root_account)] == ["Root"]

    async def test_tags(self, gateway, org):
        account_id = create(org, "tagged", tags={"outpost:team": "payments", "cost": "42"})
        assert await gateway.tags_of(account_id) == {"outpost:team": "payments", "cost": "42"}

    async def test_a_throttled_listing_is_retried(self, gateway, org, aws):
        aws.add(throttle("ListAccountsForParent", times=2))
        assert len(await gateway.accounts_in(org.root_id)) == 2
        assert len(aws.calls_to("ListAccountsForParent")) == 3


class TestStore:
    async def test_operations_for_accounts_newest_first(self, store):
        first = operation(at=T).record(T, account_id="111111111111")
        second = operation(at=T + timedelta(hours=1)).record(T, account_id="111111111111")
        other = operation(at=T).record(T, account_id="222222222222")
        unplaced = operation(at=T)
        for op in (first, second, other, unplaced):
            await store.insert_operation(op)
        mine = await store.operations_for_account("111111111111")
        assert [op.id for op in mine] == [second.id, first.id]
        both = await store.operations_for_accounts(["111111111111", "222222222222"])
        assert [op.id for op in both] == [other.id, second.id, first.id]
        assert await store.operations_for_accounts([]) == []
        many = [f"{n:012d}" for n in range(5000)] + ["222222222222"]
        assert [op.id for op in await store.operations_for_accounts(many)] == [other.id]


class TestReader:
    async def test_look_up_by_id_name_and_email(self, gateway, store, org):
        account_id = create(org, "Payments-Prod", "Prod", tags={"outpost:team": "payments"})
        made = operation(request=account_request(name="Payments-Prod")).record(
            T, account_id=account_id
        )
        await store.insert_operation(made)
        for query in (account_id, "payments-prod", "AWS+Payments-Prod@example.com"):
            found = await look_up(gateway, store, query)
            assert isinstance(found, Found), query
            assert found.details.account.id == account_id
            assert found.details.ou_path == "Root / Workloads / Prod"
            assert found.details.team == "payments"
            assert [op.id for op in found.operations] == [made.id]

    async def test_unknown_and_ambiguous(self, gateway, store, org):
        unknown = await look_up(gateway, store, "biling-prod")
        assert isinstance(unknown, NotFound)
        assert unknown.closest[0] == "billing-prod"
        assert "ListAccounts" in unknown.searched
        by_id = await look_up(gateway, store, "999999999999")
        assert isinstance(by_id, NotFound) and by_id.closest == []
        create(org, "twin")
        org.client.create_account(AccountName="twin", Email="aws+twin2@example.com")
        assert isinstance(await look_up(gateway, store, "twin"), Several)

    async def test_an_aws_error_is_raised_for_the_caller_to_show(self, gateway, store, org, aws):
        aws.add(aws_error("ListAccounts", "AccessDeniedException", "no", times=None))
        with pytest.raises(AwsCallError) as failed:
            await look_up(gateway, store, "billing-prod")
        assert failed.value.failure.code == "AccessDeniedException"

    @pytest.mark.parametrize(
        ("operation", "kind"),
        [("ListAccounts", "html"), ("ListAccountsForParent", "empty"), ("ListRoots", "{}")],
    )
    async def test_an_unreadable_answer_is_raised_not_read_as_no_accounts(
        self, gateway, store, org, aws, operation, kind
    ):
        aws.add(garbage_answer(operation, kind, times=None))
        with pytest.raises(AwsCallError) as failed:
            await look_up(gateway, store, "billing-prod")
            await account_listing(gateway, store, "")
        assert failed.value.failure.code == "UnreadableAnswer"
        assert failed.value.failure.operation == operation
        assert len(aws.calls_to(operation)) >= FAST_RETRIES.attempts  # each retried

    async def test_listing_scoped_to_an_ou_with_teams_from_the_store(self, gateway, store, org):
        prod = create(org, "payments-prod", "Prod")
        create(org, "sandbox-1", "Sandbox")
        await store.insert_operation(
            operation(request=account_request(team="payments")).record(T, account_id=prod)
        )
        listing = await account_listing(gateway, store, "workloads")
        assert not isinstance(listing, UnknownOu)
        assert [(a.ou_path, a.account.name, a.team) for a in listing.accounts] == [
            ("Root / Workloads / Prod", "payments-prod", "payments")
        ]
        assert listing.empty_ous == ("Root / Workloads",)
        everything = await account_listing(gateway, store, "")
        assert not isinstance(everything, UnknownOu)
        assert everything.total == 4  # the management account, billing-prod and the two above
        unknown = await account_listing(gateway, store, "Workload")
        assert isinstance(unknown, UnknownOu) and unknown.closest[0] == "Workloads"

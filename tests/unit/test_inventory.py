"""Finding an account from what someone typed, and scoping a listing to an OU subtree."""

from __future__ import annotations

from bot.domain.accounts import AccountSummary
from bot.domain.inventory import (
    REQUESTER_TAG,
    TEAM_TAG,
    OuNode,
    build_listing,
    clean_query,
    closest,
    closest_ous,
    is_account_id,
    matching_accounts,
    ou_scope,
    teams_by_account,
)
from bot.engine import account_creation
from tests.unit.factories import account_request, operation

ACCOUNTS = [
    AccountSummary(id="111111111111", name="Payments-Prod", email="A@example.com", status="ACTIVE"),
    AccountSummary(id="222222222222", name="payments-dev", email="b@example.com", status="ACTIVE"),
    AccountSummary(id="333333333333", name="twin", email="c@example.com", status="ACTIVE"),
    AccountSummary(id="444444444444", name="twin", email="d@example.com", status="SUSPENDED"),
]

# Root ─ Workloads ─ Prod
#      │          └ Data ─ Prod
#      └ Sandbox
TREE = [
    OuNode(id="r-1", name="Root", path="Root"),
    OuNode(id="ou-w", name="Workloads", path="Root / Workloads", parent_id="r-1"),
    OuNode(id="ou-s", name="Sandbox", path="Root / Sandbox", parent_id="r-1"),
    OuNode(id="ou-wp", name="Prod", path="Root / Workloads / Prod", parent_id="ou-w"),
    OuNode(id="ou-wd", name="Data", path="Root / Workloads / Data", parent_id="ou-w"),
    OuNode(id="ou-wdp", name="Prod", path="Root / Workloads / Data / Prod", parent_id="ou-wd"),
]


def ids(nodes: list[OuNode]) -> set[str]:
    return {node.id for node in nodes}


class TestFindingAnAccount:
    def test_what_slack_does_to_command_text_is_undone(self) -> None:
        assert clean_query(" <mailto:a@example.com|a@example.com> ") == "a@example.com"
        assert clean_query("`payments-prod`") == "payments-prod"
        assert clean_query("a&amp;b &lt;x&gt;") == "a&b <x>"

    def test_an_account_id_is_twelve_digits(self) -> None:
        assert is_account_id("123456789012")
        assert not is_account_id("12345678901")
        assert not is_account_id("1234567890123")
        assert not is_account_id("payments")

    def test_by_name_or_email_ignoring_case(self) -> None:
        assert [a.id for a in matching_accounts("payments-prod", ACCOUNTS)] == ["111111111111"]
        assert [a.id for a in matching_accounts("a@EXAMPLE.com", ACCOUNTS)] == ["111111111111"]
        assert [a.id for a in matching_accounts("TWIN", ACCOUNTS)] == [
            "333333333333",
            "444444444444",
        ]
        assert matching_accounts("payments", ACCOUNTS) == []

    def test_closest_names_keep_their_case(self) -> None:
        assert closest("payments-prd", [a.name for a in ACCOUNTS])[:2] == [
            "Payments-Prod",
            "payments-dev",
        ]
        assert closest("zzzz", [a.name for a in ACCOUNTS]) == []


class TestOuScope:
    def test_a_name_includes_the_ous_below(self) -> None:
        assert ids(ou_scope(TREE, "workloads")) == {"ou-w", "ou-wp", "ou-wd", "ou-wdp"}

    def test_a_name_used_twice_takes_both(self) -> None:
        assert ids(ou_scope(TREE, "PROD")) == {"ou-wp", "ou-wdp"}

    def test_a_path_with_or_without_the_root(self) -> None:
        assert ids(ou_scope(TREE, "Workloads / Data")) == {"ou-wd", "ou-wdp"}
        assert ids(ou_scope(TREE, "root /  workloads / prod")) == {"ou-wp"}

    def test_root_is_everything(self) -> None:
        assert ids(ou_scope(TREE, "root")) == ids(TREE)

    def test_an_unknown_name_is_nothing_with_the_closest_ou_names(self) -> None:
        assert ou_scope(TREE, "Workload") == []
        assert closest_ous("Workload", TREE)[0] == "Workloads"
        assert "Root" not in closest_ous("Rot", TREE)


class TestListing:
    def test_teams_come_from_the_newest_request(self) -> None:
        older = operation(request=account_request(team="old"), progress={"account_id": "1"})
        newer = operation(request=account_request(team="new"), progress={"account_id": "1"})
        pending = operation(request=account_request(team="x"))
        assert teams_by_account([newer, older, pending]) == {"1": "new"}

    def test_a_filtered_listing_holds_only_its_scope(self) -> None:
        scope = ou_scope(TREE, "Data")
        by_parent = {
            "ou-wd": [ACCOUNTS[0]],
            "ou-wdp": [ACCOUNTS[1]],
            "ou-w": [ACCOUNTS[2]],  # out of scope
        }
        listing = build_listing("Data", scope, by_parent, {})
        assert [(a.ou_path, a.account.id) for a in listing.accounts] == [
            ("Root / Workloads / Data", "111111111111"),
            ("Root / Workloads / Data / Prod", "222222222222"),
        ]

    def test_the_tags_are_those_account_creation_writes(self) -> None:
        assert TEAM_TAG == account_creation.TEAM_TAG
        assert REQUESTER_TAG == account_creation.REQUESTER_TAG

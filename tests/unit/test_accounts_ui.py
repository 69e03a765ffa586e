"""`/account show` and `/account list` answers: within Slack's limits, escaped, and paged so
that every account is shown exactly once."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from bot.domain.accounts import AccountSummary
from bot.domain.grants import Decision, EndReason, GrantState
from bot.domain.inventory import (
    REQUESTER_TAG,
    TEAM_TAG,
    AccountDetails,
    AccountListing,
    OuNode,
    build_listing,
)
from bot.emulator.block_kit import block_kit_errors
from bot.ui.account_list import (
    MESSAGE_BLOCK_LIMIT,
    PAGE_ACCOUNTS,
    ListCursor,
    list_failed_blocks,
    list_page,
    stale_cursor_blocks,
    unknown_ou_blocks,
)
from bot.ui.account_show import (
    account_blocks,
    account_not_found_blocks,
    lookup_failed_blocks,
    several_accounts_blocks,
    usage_blocks,
)
from bot.ui.ids import ActionId
from tests.unit.factories import T0, account_request, aws_failure, grant, operation

HOSTILE = "<!channel> <@U123> <https://evil.example|click> & co"
RAW_MARKUP = ("<!channel>", "<@U123>", "<https://evil.example")


def assert_accepted(blocks: list[dict[str, Any]]) -> None:
    assert block_kit_errors(blocks, surface="message") == []


def shown(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def assert_no_raw_markup(blocks: list[dict[str, Any]]) -> None:
    text = shown(blocks)
    for markup in RAW_MARKUP:
        assert markup not in text


def summary(number: int, name: str | None = None, status: str = "ACTIVE") -> AccountSummary:
    return AccountSummary(
        id=f"{number:012d}",
        name=name or f"account-{number:04d}",
        email=f"aws+account-{number}@example.com",
        status=status,
    )


def tree(*paths: str) -> list[OuNode]:
    """Nodes for "Root" and each "Root / A / B" path, with ids derived from their paths."""
    nodes = [OuNode(id="r-root", name="Root", path="Root")]
    for path in paths:
        parent, _, name = path.rpartition(" / ")
        nodes.append(OuNode(id=ou_id(path), name=name, path=path, parent_id=ou_id(parent)))
    return nodes


def ou_id(path: str) -> str:
    return "r-root" if path == "Root" else "ou-" + re.sub(r"\W+", "-", path.lower())


def spread(nodes: list[OuNode], count: int, **summary_args: Any) -> dict[str, list[Any]]:
    by_parent: dict[str, list[Any]] = {node.id: [] for node in nodes}
    for number in range(count):
        by_parent[nodes[number % len(nodes)].id].append(summary(number, **summary_args))
    return by_parent


def every_page(listing: AccountListing) -> list[Any]:
    """Follow the More buttons from the first page to the last, as a person would."""
    pages = [list_page(listing, 0)]
    while pages[-1].next_cursor is not None:
        button = more_button(pages[-1].blocks)
        cursor = ListCursor.model_validate_json(button["value"])
        assert cursor == pages[-1].next_cursor
        pages.append(list_page(listing, cursor.offset))
        assert len(pages) < 1000, "paging does not end"
    return pages


def more_button(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    actions = [b for b in blocks if b["type"] == "actions"]
    assert len(actions) == 1
    button: dict[str, Any] = actions[0]["elements"][0]
    assert button["action_id"] == ActionId.MORE_ACCOUNTS
    return button


def ids_shown(blocks: list[dict[str, Any]]) -> list[str]:
    return re.findall(r"• `(\d{12})`", shown(blocks))


class TestListPages:
    def test_three_hundred_accounts_are_each_shown_once_across_pages(self) -> None:
        nodes = tree("Root / Workloads", "Root / Workloads / Prod", "Root / Sandbox")
        listing = build_listing("", nodes, spread(nodes, 300), {})
        pages = every_page(listing)
        assert len(pages) >= 3
        seen = [account_id for page in pages for account_id in ids_shown(page.blocks)]
        assert sorted(seen) == sorted(f"{n:012d}" for n in range(300))
        assert len(seen) == len(set(seen))
        for page in pages:
            assert_accepted(page.blocks)
            assert f"accounts {page.start + 1}–{page.end} of 300" in shown(page.blocks)
            assert page.end - page.start <= PAGE_ACCOUNTS
        assert pages[-1].next_cursor is None
        assert not [b for b in pages[-1].blocks if b["type"] == "actions"]

    def test_accounts_are_grouped_by_ou_in_tree_order(self) -> None:
        nodes = tree("Root / Workloads", "Root / Workloads / Prod", "Root / Sandbox")
        listing = build_listing("", nodes, spread(nodes, 8), {"000000000001": "payments"})
        text = shown(list_page(listing).blocks)
        headings = re.findall(r"\*(Root[^*]*)\* · \d+ accounts?", text)
        assert headings == ["Root", "Root / Sandbox", "Root / Workloads", "Root / Workloads / Prod"]
        assert "`000000000001` account-0001 · payments · `ACTIVE`" in text
        assert "`000000000002` account-0002 · — · `ACTIVE`" in text

    def test_many_ous_stay_within_the_block_limit(self) -> None:
        nodes = tree(*(f"Root / team-{n:03d}" for n in range(150)))
        listing = build_listing("", nodes, spread(nodes, 151), {})
        pages = every_page(listing)
        assert len(pages) > 3
        for page in pages:
            assert len(page.blocks) <= MESSAGE_BLOCK_LIMIT
            assert_accepted(page.blocks)
        seen = [account_id for page in pages for account_id in ids_shown(page.blocks)]
        assert sorted(seen) == sorted(f"{n:012d}" for n in range(151))

    def test_long_escaped_lines_split_sections_and_still_cover_everything(self) -> None:
        nodes = tree("Root / " + "&" * 128)
        by_parent = spread(nodes, 120, name="<" * 50)
        teams = {f"{n:012d}": "&" * 256 for n in range(120)}
        listing = build_listing("", nodes, by_parent, teams)
        pages = every_page(listing)
        seen = [account_id for page in pages for account_id in ids_shown(page.blocks)]
        assert sorted(seen) == sorted(f"{n:012d}" for n in range(120))
        for page in pages:
            assert_accepted(page.blocks)
        assert "(continued)" in shown(pages[0].blocks)

    def test_hostile_names_teams_and_ou_names_are_escaped(self) -> None:
        nodes = [
            *tree(),
            OuNode(id="ou-x", name=HOSTILE, path=f"Root / {HOSTILE}", parent_id="r-root"),
        ]
        by_parent = {"r-root": [summary(1, name=HOSTILE)], "ou-x": [summary(2)]}
        listing = build_listing(HOSTILE, nodes, by_parent, {"000000000002": HOSTILE})
        page = list_page(listing)
        assert_accepted(page.blocks)
        assert_no_raw_markup(page.blocks)
        assert "&lt;!channel&gt;" in shown(page.blocks)

    def test_the_cursor_carries_the_ou_filter_and_is_checked(self) -> None:
        nodes = tree("Root / Workloads")
        listing = build_listing("workloads", nodes[1:], spread(nodes[1:], 250), {})
        page = list_page(listing)
        button = more_button(page.blocks)
        assert len(button["value"]) <= 2000
        assert ListCursor.model_validate_json(button["value"]) == ListCursor(
            ou="workloads", offset=page.end
        )
        assert "under `workloads`" in shown(page.blocks)
        for bad in ('{"ou": "x", "offset": -1}', '{"offset": 1, "admin": true}', "not json"):
            with pytest.raises(ValidationError):
                ListCursor.model_validate_json(bad)

    def test_ous_without_accounts_are_named_on_the_last_page(self) -> None:
        nodes = tree("Root / Workloads", "Root / Sandbox")
        listing = build_listing("", nodes, {"r-root": [summary(1)]}, {})
        assert listing.empty_ous == ("Root / Sandbox", "Root / Workloads")
        text = shown(list_page(listing).blocks)
        assert "No accounts of their own" not in text
        assert "Empty OUs: Root / Sandbox, Root / Workloads." in text

    def test_an_ou_whose_accounts_are_all_below_it_is_not_called_empty(self) -> None:
        nodes = tree("Root / Workloads", "Root / Workloads / Prod", "Root / Sandbox")
        by_parent = {"ou-root-workloads-prod": [summary(1)]}
        text = shown(list_page(build_listing("", nodes, by_parent, {})).blocks)
        assert "Empty OUs: Root / Sandbox." in text
        assert "Accounts only in the OUs below: Root, Root / Workloads." in text

    def test_an_empty_organization_says_so(self) -> None:
        page = list_page(build_listing("", tree(), {}, {}))
        assert_accepted(page.blocks)
        assert "No accounts in the organization" in shown(page.blocks)
        assert page.next_cursor is None

    def test_a_cursor_past_the_end_says_there_is_no_more(self) -> None:
        nodes = tree()
        page = list_page(build_listing("", nodes, spread(nodes, 3), {}), 10)
        assert_accepted(page.blocks)
        assert "no more; all 3 were shown" in shown(page.blocks)

    def test_unknown_ou_failure_and_stale_button_answers(self) -> None:
        blocks = unknown_ou_blocks(HOSTILE, ["Workloads", "Prod"])
        assert_accepted(blocks)
        assert_no_raw_markup(blocks)
        assert "Closest: `Workloads`, `Prod`." in shown(blocks)
        failure = list_failed_blocks(aws_failure(operation="ListAccountsForParent"))
        assert_accepted(failure)
        assert "organizations:ListAccountsForParent" in shown(failure)
        assert_accepted(stale_cursor_blocks())


def details(**changes: Any) -> AccountDetails:
    fields: dict[str, Any] = {
        "account": summary(111122223333, name="payments-staging"),
        "ou_path": "Root / Workloads / Prod",
        "tags": {TEAM_TAG: "payments", REQUESTER_TAG: "UENGINEER"},
    }
    fields.update(changes)
    return AccountDetails(**fields)


class TestShow:
    def test_shows_what_aws_and_outpost_know(self) -> None:
        created = operation(progress={"account_id": "111122223333"})
        blocks = account_blocks(
            details(), [created], {created.id: "https://fake.slack.test/archives/C1/p1"}
        )
        assert_accepted(blocks)
        text = shown(blocks)
        for expected in (
            "payments-staging",
            "`111122223333`",
            "`aws+account-111122223333@example.com`",
            "`ACTIVE`",
            "Root / Workloads / Prod",
            "*Owning team*\\npayments",
            "<@UENGINEER> via Outpost",
            f"<!date^{int(T0.timestamp())}^",
            f"<https://fake.slack.test/archives/C1/p1|{created.id}>",
            "`outpost:team` = `payments`",
            "*Break-glass access*\\nNobody asked for access to it through Outpost in the "
            "last 30 days.",
        ):
            assert expected in text, expected

    def test_an_account_outpost_did_not_create(self) -> None:
        blocks = account_blocks(details(tags={}), [], {})
        assert_accepted(blocks)
        text = shown(blocks)
        assert "Not known: Outpost did not create it" in text
        assert "— (no `outpost:team` tag)" in text
        assert "*Tags*\\nNone." in text
        assert "*Account operations by Outpost*\\nNone: Outpost did not create it." in text

    def test_the_requester_tag_is_a_mention_only_when_it_is_a_user_id(self) -> None:
        tagged = shown(account_blocks(details(), [], {}))
        assert "<@UENGINEER> (tag `outpost:requested-by`)" in tagged
        hostile = account_blocks(details(tags={REQUESTER_TAG: "<!here>"}), [], {})
        assert "<!here>" not in shown(hostile)

    def test_hostile_values_are_escaped(self) -> None:
        account = AccountSummary(id="111122223333", name=HOSTILE, email=HOSTILE, status=HOSTILE)
        hostile = details(account=account, ou_path=f"Root / {HOSTILE}", tags={HOSTILE: HOSTILE})
        request = account_request(name=HOSTILE)
        ops = [operation(request=request, progress={"account_id": "111122223333"})]
        blocks = account_blocks(hostile, ops, {ops[0].id: "https://evil.example|x>"})
        assert_accepted(blocks)
        assert_no_raw_markup(blocks)

    def test_many_long_tags_stop_at_the_limit_and_say_how_many_are_left(self) -> None:
        tags = {f"key-{n:02d}-" + "&" * 120: "<" * 256 for n in range(50)}
        blocks = account_blocks(details(tags=tags), [], {})
        assert_accepted(blocks)
        match = re.search(
            r"…and (\d+) more: `aws organizations list-tags-for-resource", shown(blocks)
        )
        assert match is not None
        assert shown(blocks).count("`key-") + int(match.group(1)) == 50

    def test_only_the_latest_operations_are_listed(self) -> None:
        ops = [operation(progress={"account_id": "111122223333"}) for _ in range(8)]
        text = shown(account_blocks(details(), ops, {}))
        assert all(f"`{op.id}`" in text for op in ops[:5])
        assert "…and 3 older" in text

    def test_not_found_several_failure_and_usage_answers(self) -> None:
        unknown = account_not_found_blocks(HOSTILE, "the names", ["payments-staging"])
        assert_accepted(unknown)
        assert_no_raw_markup(unknown)
        assert "Closest names: `payments-staging`." in shown(unknown)
        several = several_accounts_blocks("twin", [summary(n, name="twin") for n in range(30)])
        assert_accepted(several)
        assert "30 accounts match `twin`" in shown(several)
        assert "…and 10 more" in shown(several)
        failed = lookup_failed_blocks(HOSTILE, aws_failure(operation="DescribeAccount"))
        assert_accepted(failed)
        assert_no_raw_markup(failed)
        assert_accepted(usage_blocks())


def test_show_lists_break_glass_grants_on_the_account() -> None:
    active = grant(state=GrantState.ACTIVE, expires_at=T0 + timedelta(hours=1))
    pending = grant(requester="UOTHER", channel="CAUDIT")
    text = str(account_blocks(details(tags={}), [], {}, [active, pending]))
    assert f"`{active.id}`" in text and "active until <!date^" in text
    assert f"`{pending.id}`" in text and "waiting for approval in <#CAUDIT>" in text


def test_show_lists_grants_that_ended_with_how_they_ended() -> None:
    revoked = grant(
        state=GrantState.ENDED,
        end_reason=EndReason.REVOKED,
        revoked_by="UOPS",
        ended_at=T0 + timedelta(minutes=20),
    )
    denied = grant(
        state=GrantState.DENIED,
        decision=Decision(approved=False, by="UOPS", at=T0, note="use the read-only role"),
    )
    blocks = account_blocks(details(tags={}), [], {}, [revoked, denied])
    assert_accepted(blocks)
    text = shown(blocks)
    assert f"`{revoked.id}`" in text and "ended <!date^" in text
    assert "revoked early by <@UOPS>" in text
    assert f"`{denied.id}`" in text and "denied by <@UOPS>: “use the read-only role”" in text

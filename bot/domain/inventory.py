"""What `/account show` and `/account list` know about the organization's accounts.

AWS Organizations is the source of truth for accounts, OUs and tags; Outpost's store only adds
who asked for an account and when, for the accounts Outpost created. This module holds the rules
that turn both into answers (finding an account from what someone typed, scoping a listing to an
OU and its children, ordering it), with no Slack and no boto3, so they can be tested as is.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence

from pydantic import BaseModel

from bot.domain import errors
from bot.domain.accounts import AccountSummary
from bot.domain.operations import Operation

# The tags bot/engine/account_creation.py writes on every account Outpost creates.
TEAM_TAG = "outpost:team"
TEAM_GROUP_ID_TAG = "outpost:team-group-id"  # the team's Identity Center group
REQUESTER_TAG = "outpost:requested-by"

ROOT_NAME = "Root"
PATH_SEPARATOR = " / "
# Organizations nests OUs at most five levels below the root.
MAX_OU_DEPTH = 5

_ACCOUNT_ID = re.compile(r"\d{12}")
# Slack may send an email typed in a command as a mailto link, and always escapes &, < and >.
_MAILTO = re.compile(r"^<mailto:[^|>]*\|([^>]*)>$")


class OuNode(BaseModel, frozen=True):
    """The root or an OU, with where it sits: enough to scope a listing to a subtree."""

    id: str
    name: str
    path: str  # "Root / Workloads / Prod"
    parent_id: str | None = None  # None for the root


class AccountDetails(BaseModel, frozen=True):
    """One account as AWS has it now."""

    account: AccountSummary
    ou_path: str
    tags: dict[str, str]

    @property
    def team(self) -> str | None:
        return self.tags.get(TEAM_TAG) or None

    @property
    def team_group_id(self) -> str | None:
        return self.tags.get(TEAM_GROUP_ID_TAG) or None


class ListedAccount(BaseModel, frozen=True):
    account: AccountSummary
    ou_path: str
    team: str | None  # from Outpost's store; None when Outpost did not create the account


class AccountListing(BaseModel, frozen=True):
    """Every account in scope, in reading order, and the OUs in scope that hold none."""

    ou_filter: str  # as typed; "" for the whole organization
    accounts: tuple[ListedAccount, ...]
    empty_ous: tuple[str, ...]

    @property
    def total(self) -> int:
        return len(self.accounts)


def clean_query(text: str) -> str:
    """What someone meant to look up, undoing what Slack does to command text."""
    text = text.strip().strip("`'\"").strip()
    if match := _MAILTO.match(text):
        text = match.group(1)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def is_account_id(text: str) -> bool:
    return bool(_ACCOUNT_ID.fullmatch(text))


def matching_accounts(query: str, accounts: Iterable[AccountSummary]) -> list[AccountSummary]:
    """Accounts whose name or root email is `query`, ignoring case (names are not unique)."""
    wanted = query.casefold()
    return [a for a in accounts if wanted in (a.name.casefold(), a.email.casefold())]


def closest(query: str, candidates: Iterable[str], *, count: int = 5) -> list[str]:
    """The candidates nearest to `query`, ignoring case, best first, each once."""
    by_folded: dict[str, str] = {}
    for candidate in candidates:
        by_folded.setdefault(candidate.casefold(), candidate)
    found = difflib.get_close_matches(query.casefold(), list(by_folded), n=count, cutoff=0.5)
    return [by_folded[folded] for folded in found]


def path_of(names: Sequence[str]) -> str:
    return PATH_SEPARATOR.join(names)


def ou_scope(tree: Sequence[OuNode], ou_filter: str) -> list[OuNode]:
    """The OUs named `ou_filter` (or with that path), and every OU below them.

    Case does not matter, and a path may leave out the leading "Root / ". Names are unique only
    among siblings, so a name can match several OUs: all of them are in scope.
    """
    wanted = " ".join(ou_filter.split()).casefold()
    root_prefix = (ROOT_NAME + PATH_SEPARATOR).casefold()
    matched = {
        node.id
        for node in tree
        if wanted
        in (node.name.casefold(), node.path.casefold(), node.path.casefold()[len(root_prefix) :])
    }
    children: dict[str, list[str]] = {}
    for node in tree:
        if node.parent_id is not None:
            children.setdefault(node.parent_id, []).append(node.id)
    in_scope: set[str] = set()
    pending = list(matched)
    while pending:
        node_id = pending.pop()
        if node_id not in in_scope:
            in_scope.add(node_id)
            pending.extend(children.get(node_id, []))
    return [node for node in tree if node.id in in_scope]


def closest_ous(ou_filter: str, tree: Sequence[OuNode]) -> list[str]:
    return closest(ou_filter, [node.name for node in tree if node.parent_id is not None])


def teams_by_account(operations: Iterable[Operation]) -> dict[str, str]:
    """The owning team each account was requested for; with `operations` newest first, the
    latest request wins."""
    teams: dict[str, str] = {}
    for operation in operations:
        account_id = operation.progress.account_id
        if account_id and operation.request.team:
            teams.setdefault(account_id, operation.request.team)
    return teams


def build_listing(
    ou_filter: str,
    scope: Sequence[OuNode],
    accounts_by_parent: Mapping[str, Sequence[AccountSummary]],
    teams: Mapping[str, str],
) -> AccountListing:
    """Accounts grouped by OU, OUs in tree order (a parent before its children, siblings by
    name), accounts by name within their OU."""
    ordered = sorted(scope, key=_tree_order)
    listed: list[ListedAccount] = []
    empty: list[str] = []
    for node in ordered:
        accounts = sorted(
            accounts_by_parent.get(node.id, ()), key=lambda a: (a.name.casefold(), a.id)
        )
        if not accounts:
            empty.append(node.path)
        listed.extend(
            ListedAccount(account=account, ou_path=node.path, team=teams.get(account.id))
            for account in accounts
        )
    return AccountListing(ou_filter=ou_filter, accounts=tuple(listed), empty_ous=tuple(empty))


def _tree_order(node: OuNode) -> tuple[str, ...]:
    return tuple(part.casefold() for part in node.path.split(PATH_SEPARATOR))


# Why an account named in a break-glass command or form is not one account


class AccountNotFound(errors.NotFound):
    """No account in the organization has the id or name typed."""

    def __init__(self, query: str, *, by_id: bool, near: list[str]) -> None:
        super().__init__(f"no account {query!r} in the organization")
        self.query, self.by_id, self.near = query, by_id, near


class SeveralAccounts(errors.InvalidInput):
    """The name typed matches several accounts: the id tells them apart."""

    def __init__(self, query: str, ids: list[str]) -> None:
        super().__init__(f"several accounts are named {query!r}")
        self.query, self.ids = query, ids


class AccountsTooSlow(errors.Unavailable):
    """Listing the organization's accounts took longer than the caller could wait."""

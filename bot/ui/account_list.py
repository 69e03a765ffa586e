"""`/account list`: the organization's accounts by OU, in pages that fit Slack's limits.

A message holds at most 50 blocks and a section at most 3000 characters, so a big organization
takes several pages. Each page says which accounts it shows ("accounts 1–100 of 300") and, when
more follow, ends with a More button whose value is the next page's cursor: nothing is cut
silently. Pages are a pure function of the listing and the offset, so following the cursors
shows every account exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.inventory import PATH_SEPARATOR, AccountListing, ListedAccount
from bot.domain.operations import AwsFailure
from bot.ui.blocks import Block, context, plain, section
from bot.ui.failure import failure_blocks
from bot.ui.ids import ActionId, BlockId
from bot.ui.text import SECTION_TEXT_LIMIT, code, cut, escape
from bot.ui.values import ListCursor

MESSAGE_BLOCK_LIMIT = 50
PAGE_ACCOUNTS = 100  # at most; fewer when OUs are many or lines long
CHROME_BLOCKS = 4  # title, footnote, OUs without accounts, More button
FILTER_SHOWN = 100

FOOTNOTE = (
    "Team: as requested through Outpost; — when Outpost did not create the account. "
    "`/account show <account>` reads its live `outpost:team` tag, OU path and tags."
)


@dataclass(frozen=True)
class ListPage:
    blocks: list[Block]
    text: str  # the notification and fallback text
    start: int  # index of the first account shown
    end: int  # one past the last account shown
    next_cursor: ListCursor | None


def list_page(listing: AccountListing, offset: int = 0) -> ListPage:
    start = min(offset, listing.total)
    sections, end = _pack(listing, start)
    more = ListCursor(ou=listing.ou_filter, offset=end) if end < listing.total else None
    blocks = [section(_title(listing, start, end)), *(section(text) for text in sections)]
    if listing.total:
        blocks.append(context(FOOTNOTE))
    if more is None and listing.empty_ous:
        blocks.append(context(*_without_accounts(listing)))
    if more is not None:
        blocks.append(_more_button(more, listing.total - end))
    if listing.total and start < end:
        text = f"Accounts {start + 1}–{end} of {listing.total}"
    else:
        text = "No accounts to list"
    return ListPage(blocks=blocks, text=text, start=start, end=end, next_cursor=more)


def unknown_ou_blocks(ou_filter: str, closest: list[str]) -> list[Block]:
    text = (
        f"No organizational unit is called {code(cut(ou_filter, FILTER_SHOWN))}. Outpost "
        "compared it with the name and the path of every OU, ignoring case."
    )
    if closest:
        text += " Closest: " + ", ".join(code(name) for name in closest) + "."
    return [
        section(text),
        context(
            "`/account list` alone lists every account; `/account list Workloads` lists one OU "
            "and the OUs below it."
        ),
    ]


def list_failed_blocks(failure: AwsFailure) -> list[Block]:
    title = ":warning: Outpost could not list the accounts in AWS Organizations."
    return failure_blocks(title, failure)


def stale_cursor_blocks() -> list[Block]:
    return [section("This button no longer works. Run `/account list` again for a fresh list.")]


def _title(listing: AccountListing, start: int, end: int) -> str:
    if listing.ou_filter:
        where = f"under {code(cut(listing.ou_filter, FILTER_SHOWN))} (the OU and the OUs below it)"
    else:
        where = "in the organization"
    if not listing.total:
        return f"*No accounts {where}.*"
    if start >= end:
        return f"*Accounts {where}:* no more; all {listing.total} were shown."
    return f"*Accounts {where}* · accounts {start + 1}–{end} of {listing.total}"


def _pack(listing: AccountListing, start: int) -> tuple[list[str], int]:
    """Section texts for the accounts from `start` on, one OU per section (or more, when an OU
    does not fit one), until a page is full; and the index after the last account packed."""
    room = MESSAGE_BLOCK_LIMIT - CHROME_BLOCKS
    counts: dict[str, int] = {}
    for item in listing.accounts:
        counts[item.ou_path] = counts.get(item.ou_path, 0) + 1
    closed: list[str] = []
    current = ""
    current_path: str | None = None
    index = start
    while index < listing.total and index - start < PAGE_ACCOUNTS:
        item = listing.accounts[index]
        line = _account_line(item)
        if item.ou_path == current_path and len(current) + 1 + len(line) <= SECTION_TEXT_LIMIT:
            current += "\n" + line
        else:
            if len(closed) + (1 if current else 0) + 1 > room:
                break
            if current:
                closed.append(current)
            continued = index > 0 and listing.accounts[index - 1].ou_path == item.ou_path
            current = _heading(item.ou_path, counts[item.ou_path], continued) + "\n" + line
            current_path = item.ou_path
        index += 1
    if current:
        closed.append(current)
    return closed, index


def _heading(path: str, count: int, continued: bool) -> str:
    accounts = f"{count} account{'' if count == 1 else 's'}"
    return f"*{escape(cut(path, 300))}* · {accounts}{' (continued)' if continued else ''}"


def _account_line(item: ListedAccount) -> str:
    account = item.account
    team = escape(cut(item.team, 60)) if item.team else "—"
    return f"• {code(account.id)} {escape(cut(account.name, 60))} · {team} · {code(account.status)}"


def _more_button(cursor: ListCursor, left: int) -> Block:
    return {
        "type": "actions",
        "block_id": BlockId.ACCOUNT_LIST_PAGER,
        "elements": [
            {
                "type": "button",
                "action_id": ActionId.MORE_ACCOUNTS,
                "text": plain(f"More ({left} left)"),
                "value": cursor.encode(),
            }
        ],
    }


def _without_accounts(listing: AccountListing) -> list[str]:
    """OUs that hold no account: empty ones apart from those whose accounts are in OUs below,
    which a reader would otherwise take for empty."""
    below = [
        path
        for path in listing.empty_ous
        if any(a.ou_path.startswith(path + PATH_SEPARATOR) for a in listing.accounts)
    ]
    empty = [path for path in listing.empty_ous if path not in below]
    texts = []
    if empty:
        texts.append(f"Empty OUs: {', '.join(escape(path) for path in empty)}.")
    if below:
        texts.append(
            f"Accounts only in the OUs below: {', '.join(escape(path) for path in below)}."
        )
    return texts

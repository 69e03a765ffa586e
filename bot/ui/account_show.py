"""`/account show`: one account as AWS has it now, and what Outpost did with it.

AWS's values (names, emails, OU names, tags) and whatever the person typed are shown escaped;
long lists (tags, operations) stop at Slack's limits with a line that says what was left out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from bot.domain.access_review import AccountReview
from bot.domain.accounts import AccountSummary
from bot.domain.grants import Grant, GrantState
from bot.domain.inventory import REQUESTER_TAG, TEAM_TAG, AccountDetails
from bot.domain.operations import AwsFailure, Operation
from bot.services.inventory import GRANTS_SHOWN, RECENT_GRANT_DAYS
from bot.ui.account_access import review_blocks
from bot.ui.blocks import Block, context, section
from bot.ui.breakglass import card_status, subject
from bot.ui.failure import failure_blocks
from bot.ui.text import SECTION_TEXT_LIMIT, code, cut, escape, slack_date

RECENT_OPERATIONS = 5
MATCHES_SHOWN = 20
QUERY_SHOWN = 100  # characters of what was typed, echoed back
LIST_ROOM = SECTION_TEXT_LIMIT - 300  # leaves room for the "…and N more" line

USAGE = "`/account show <account id | name | root email>`, e.g. `/account show payments-staging`"

_SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,20}")


def account_blocks(
    details: AccountDetails,
    operations: Sequence[Operation],
    permalinks: Mapping[str, str],
    grants: Sequence[Grant] = (),
    review: AccountReview | None = None,
) -> list[Block]:
    """`operations` are those on the account, newest first; `permalinks` their cards' links;
    `grants` the break-glass grants on it that are open or ended in the last
    `RECENT_GRANT_DAYS` days; `review` who can get in, the contacts and the budget."""
    account = details.account
    creation = operations[-1] if operations else None  # the oldest: the request that made it
    return [
        section(
            f":card_index: *{escape(cut(account.name, 100))}* · account {code(account.id)}",
            fields=[
                f"*Root email*\n{code(account.email)}",
                f"*Status*\n{code(account.status)}",
                f"*Organizational unit*\n{escape(details.ou_path)}",
                f"*Owning team*\n{_team(details)}",
                f"*Requested by*\n{_requester(details, creation)}",
                f"*Requested*\n{slack_date(creation.created_at) if creation else '—'}",
            ],
        ),
        section(tags_text(details)),
        section(operations_text(operations, permalinks)),
        section(_account_grants(grants)),
        *(review_blocks(account.id, review) if review is not None else []),
        context(
            "Read live from AWS Organizations"
            + (", IAM Identity Center, Account Management and Budgets" if review else "")
            + ". Requests and operations are Outpost's records of what it did."
        ),
    ]


def _account_grants(grants: Sequence[Grant]) -> str:
    if not grants:
        return (
            "*Break-glass access*\nNobody asked for access to it through Outpost in the last "
            f"{RECENT_GRANT_DAYS} days."
        )
    return grants_text(
        grants, title=f"Break-glass access, open or in the last {RECENT_GRANT_DAYS} days"
    )


def grants_text(grants: Sequence[Grant], title: str = "Break-glass access") -> str:
    if not grants:
        return f"*{title}*\nNone asked for, given or ending now."
    lines = [_grant_line(grant) for grant in grants[:GRANTS_SHOWN]]
    text = f"*{title}*\n" + "\n".join(lines)
    if len(grants) > GRANTS_SHOWN:
        text += f"\n…and {len(grants) - GRANTS_SHOWN} more"
    return text


def _grant_line(grant: Grant) -> str:
    match grant.state:
        case GrantState.PENDING:
            where = f"waiting for approval in <#{grant.channel}>"
        case GrantState.GRANTING:
            where = "approved, being given"
        case GrantState.ACTIVE if grant.expires_at is not None:
            where = f"active until {slack_date(grant.expires_at)}"
            if grant.progress.pre_existing:
                where += " (the access was there before; it stays after)"
        case _ if grant.state.finished:
            where = _lowered(card_status(grant))
        case _:
            where = grant.state.value
    if grant.pending_extension is not None:
        where += f"; {subject(grant)} asked for"
    account = f"{escape(cut(grant.request.account_name, 60))} {code(grant.request.account_id)}"
    return f"• {code(grant.id)} {account} for <@{grant.requester}>: {where}"


def _lowered(text: str) -> str:
    return text[:1].lower() + text[1:]


def tags_text(details: AccountDetails) -> str:
    tags = sorted(details.tags.items())
    if not tags:
        return "*Tags*\nNone."
    lines = [f"{code(key)} = {code(value)}" for key, value in tags]
    more = (
        "…and {left} more: "
        f"`aws organizations list-tags-for-resource --resource-id {details.account.id}`"
    )
    return f"*Tags* ({len(tags)})\n" + _within(lines, more)


def operations_text(operations: Sequence[Operation], permalinks: Mapping[str, str]) -> str:
    if not operations:
        return "*Account operations by Outpost*\nNone: Outpost did not create it."
    lines = [_operation_line(op, permalinks.get(op.id)) for op in operations[:RECENT_OPERATIONS]]
    text = "*Latest account operations by Outpost*\n" + _within(lines, "…and {left} more")
    if len(operations) > RECENT_OPERATIONS:
        text += f"\n…and {len(operations) - RECENT_OPERATIONS} older"
    return text


def account_not_found_blocks(query: str, searched: str, closest: Sequence[str]) -> list[Block]:
    text = f"No account matches {code(cut(query, QUERY_SHOWN))}. Outpost searched {searched}."
    if closest:
        text += " Closest names: " + ", ".join(code(name) for name in closest) + "."
    return [section(text), context(f"Look an account up by id, name or root email: {USAGE}.")]


def several_accounts_blocks(query: str, matches: Sequence[AccountSummary]) -> list[Block]:
    lines = [
        f"• {code(a.id)} {escape(cut(a.name, 100))} · {code(a.email)} · {code(a.status)}"
        for a in matches[:MATCHES_SHOWN]
    ]
    if len(matches) > MATCHES_SHOWN:
        lines.append(f"…and {len(matches) - MATCHES_SHOWN} more")
    return [
        section(
            f"{len(matches)} accounts match {code(cut(query, QUERY_SHOWN))} (names are not "
            "unique in an organization):\n" + _within(lines, "…and {left} more")
        ),
        context("Show one by its id: `/account show 123456789012`."),
    ]


def lookup_failed_blocks(query: str, failure: AwsFailure) -> list[Block]:
    title = (
        f":warning: Outpost could not look up {code(cut(query, QUERY_SHOWN))} in AWS "
        "Organizations. Nothing was changed."
    )
    return failure_blocks(title, failure)


def usage_blocks() -> list[Block]:
    return [section(f"Which account? {USAGE}.")]


def _team(details: AccountDetails) -> str:
    if details.team:
        return escape(cut(details.team, 200))
    return f"— (no {code(TEAM_TAG)} tag)"


def _requester(details: AccountDetails, creation: Operation | None) -> str:
    if creation is not None:
        return f"{_person(creation.requester)} via Outpost ({code(creation.id)})"
    tagged = details.tags.get(REQUESTER_TAG)
    if tagged:
        return f"{_person(tagged)} (tag {code(REQUESTER_TAG)})"
    return "Not known: Outpost did not create it"


def _person(user_id: str) -> str:
    """A mention for a Slack user id, anything else as code: tags can say anything."""
    return f"<@{user_id}>" if _SLACK_USER.fullmatch(user_id) else code(cut(user_id, 100))


def _operation_line(operation: Operation, permalink: str | None) -> str:
    name = code(cut(operation.request.name, 100))
    where = f"<{permalink}|{operation.id}>" if _linkable(permalink) else code(operation.id)
    return (
        f"• {where} · new account {name} · {operation.state.value} · "
        f"{slack_date(operation.created_at)} · by {_person(operation.requester)}"
    )


def _linkable(url: str | None) -> bool:
    return url is not None and url.startswith("https://") and not any(c in url for c in "<>| ")


def _within(lines: Sequence[str], more: str) -> str:
    """The lines that fit in a section, then `more` (with `{left}`) for those that did not."""
    shown: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > LIST_ROOM:
            break
        shown.append(line)
        size += len(line) + 1
    left = len(lines) - len(shown)
    if left:
        shown.append(more.format(left=left))
    return "\n".join(shown)

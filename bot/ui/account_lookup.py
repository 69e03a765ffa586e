"""What to tell a person whose account name or id found no single account.

Break-glass commands and the break-glass form name an account; the lookup raises a typed
error, and this turns it into words: mrkdwn for a message, or plain text for a modal's inline
error, which shows no markup.
"""

from __future__ import annotations

from bot.aws.errors import AwsCallError
from bot.domain.inventory import AccountNotFound, AccountsTooSlow, SeveralAccounts
from bot.ui.text import code, escape

SEVERAL_SHOWN = 5


def account_lookup_problem(
    error: AccountNotFound | SeveralAccounts | AccountsTooSlow | AwsCallError,
    *,
    plain: bool = False,
) -> str:
    name, inert = (_quoted, str) if plain else (code, escape)
    match error:
        case AwsCallError(failure=failure):
            return (
                f"Outpost could not list the organization's accounts: AWS said "
                f"{name(failure.code)}: {inert(failure.message[:300])}"
            )
        case AccountsTooSlow():
            return "Listing the organization's accounts took too long; try again in a moment."
        case SeveralAccounts(query=query, ids=ids):
            shown = ", ".join(name(i) for i in ids[:SEVERAL_SHOWN])
            return f"Several accounts are named {name(query)}: {shown}. Use the account id."
        case AccountNotFound(query=query, by_id=True):
            return f"No account {name(query)} is in the organization."
        case AccountNotFound(query=query, near=near):
            hint = f" Did you mean {', '.join(name(n) for n in near)}?" if near else ""
            return f"No account named {name(query)} is in the organization.{hint}"


def _quoted(text: str) -> str:
    """A name or id in plain text, where `code` would show its backticks."""
    return f"“{text}”"

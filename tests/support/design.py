"""What the design promises people, written down once for the tests that hold the bot to it."""

from __future__ import annotations

# The grammar in the design: every subcommand a user may type after `/account`.
SUBCOMMAND_NAMES = (
    "help",
    "new",
    "show",
    "list",
    "ops",
    "breakglass",
    "grant",
    "revoke",
    "explain",
    "audit",
)

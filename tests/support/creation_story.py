"""What an account creation's thread tells, and what the bot's store says of it, for the tests
that stop or kill the bot in the middle of a creation and check it finishes once."""

from __future__ import annotations

from tests.support.bot_process import BotProcess
from tests.support.stores import read_store
from tests.support.waiting import eventually

# What an account creation's thread tells, step by step. A step may be told in one of a few
# ways (a resumed creation finds its earlier CreateAccount; a resumed move finds the account
# already moved), but each step is told once.
STORY = {
    "CreateAccount": (
        ":outbox_tray: `CreateAccount` accepted",
        "Found the earlier `CreateAccount`",
    ),
    "created": (":white_check_mark: AWS created account",),
    "moved": ("Moved the account into", "The account is already in"),
    "done": (":tada: Done: account",),
}
RESUMED = "*Resumed after restart*"


# More operations than any of these tests starts: the store's recent ones are then all of them.
EVERY_OPERATION = 100


async def outbox_pending(bot: BotProcess) -> int:
    return await read_store(bot.env["DATABASE_URL"], lambda store: store.pending_count())


async def operation_state(bot: BotProcess, name: str) -> str | None:
    operations = await read_store(
        bot.env["DATABASE_URL"], lambda store: store.recent_operations(EVERY_OPERATION)
    )
    for operation in operations:
        if operation.request.name == name:
            return operation.state.value
    return None


def story(thread: list[str]) -> list[str]:
    """The thread as the steps it tells; a line that tells none is kept as it is."""
    told = []
    for text in thread:
        if RESUMED in text:
            told.append("resumed")
            continue
        steps = [step for step, ways in STORY.items() if any(way in text for way in ways)]
        told.append(steps[0] if len(steps) == 1 else f"unexpected line: {text!r}")
    return told


async def drained(bot: BotProcess) -> None:
    """Wait until the bot has delivered everything it queued for Slack."""

    async def empty() -> bool:
        return await outbox_pending(bot) == 0

    await eventually(empty, timeout=30, what="the outbox to drain")

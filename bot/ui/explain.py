"""`/account explain`: the catalog's entry for an AWS error code or reason, for people to read."""

from __future__ import annotations

from bot.aws.catalog import Catalog, Entry, ErrorEntry, Retry
from bot.domain.operations import AwsFailure
from bot.ui.blocks import Block, context, divider, header, section
from bot.ui.failure import WHO
from bot.ui.text import SECTION_TEXT_LIMIT, code, escape

RETRY_WORDS = {
    Retry.NO: "Not retried: it fails the step at once.",
    Retry.TRANSIENT: "Retried with backoff (unless the call may already have taken effect).",
    Retry.TURNED_AWAY: "Retried with backoff: AWS refused the call before acting on it.",
}
MAX_ENTRIES_SHOWN = 10  # one word rarely has more; each entry takes three blocks


def explain_blocks(catalog: Catalog, word: str) -> list[Block]:
    word = word.strip()
    if not word:
        return known_words_blocks(catalog)
    entries = catalog.explain(word)
    if not entries:
        return unknown_word_blocks(catalog, word)
    blocks: list[Block] = []
    for entry in entries[:MAX_ENTRIES_SHOWN]:
        blocks.extend(entry_blocks(entry))
    return blocks


def retried_since(operation_id: str, failure: AwsFailure) -> Block:
    """Said above the explanation of an error the operation has moved on from."""
    return context(
        f"{code(operation_id)} met this error in "
        f"{code(failure.service + ':' + failure.operation)}, and was retried since."
    )


def entry_blocks(entry: Entry) -> list[Block]:
    if isinstance(entry, ErrorEntry):
        title = f"*{code(entry.code)}* · error code from {code(entry.service)}"
        retry = RETRY_WORDS[entry.retry]
    else:
        title = f"*{code(entry.value)}* · {escape(entry.field)} from {code(entry.service)}"
        retry = RETRY_WORDS[Retry.NO]
    return [
        section(
            f"{title}\n*What it means:* {escape(entry.meaning)}\n"
            f"*What to do:* {escape(entry.action)}\n"
            f"*Who can fix it:* {WHO[entry.who]}\n"
            f"<{entry.doc}|AWS documentation>"
        ),
        context(retry),
        divider(),
    ]


def unknown_word_blocks(catalog: Catalog, word: str) -> list[Block]:
    closest = catalog.closest(word)
    text = f"Outpost's catalog has no AWS error or reason called {code(word[:100])}."
    if closest:
        text += " Closest: " + ", ".join(code(name) for name in closest) + "."
    return [
        section(text),
        context("`/account explain` alone lists every code and reason Outpost knows."),
    ]


def known_words_blocks(catalog: Catalog) -> list[Block]:
    blocks: list[Block] = [header("AWS errors Outpost can explain")]
    for service, words in catalog.by_service().items():
        name = "any service" if service == "*" else service
        blocks.extend(_listing(f"*{escape(name)}*", [code(w) for w in words]))
    blocks.append(context("Ask about one: `/account explain EMAIL_ALREADY_EXISTS`."))
    return blocks


def _listing(title: str, items: list[str]) -> list[Block]:
    """A title and its items in as many sections as it takes, none over Slack's limit."""
    sections: list[Block] = []
    text = title + "\n"
    for item in items:
        if len(text) + len(item) + 2 > SECTION_TEXT_LIMIT:
            sections.append(section(text.rstrip(", ")))
            text = ""
        text += item + ", "
    sections.append(section(text.rstrip(", ")))
    return sections

"""The layers keep to their rules: services speak no Slack, listeners go through services, and
only bot/ui writes Slack's markup."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted((ROOT / "bot" / "services").glob("*.py"))
HANDLERS = sorted((ROOT / "handlers").glob("*.py"))
# Where Slack's markup is written: the words people read, and the stand-ins for Slack itself.
SPEAKING = ("bot/ui/", "bot/emulator/", "bot/sandbox/")
SILENT = sorted(
    path
    for path in [*(ROOT / "bot").rglob("*.py"), *HANDLERS]
    if not path.relative_to(ROOT).as_posix().startswith(SPEAKING)
)
# A mention, a broadcast or a date (`<@U…>`, `<!here>`, `<!subteam^S…>`), or a channel link.
SLACK_MARKUP = re.compile(r"<[@!#]")
# How `/account grant` is typed, in the command table; ui.help shows it escaped, as code.
MARKUP_ALLOWED = {("bot/domain/commands.py", "grant <@user> <account> <duration> <reason…>")}


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.name)
def test_a_service_builds_no_slack_text(path: Path) -> None:
    speaking = {
        name
        for name in imported(path)
        if name.split(".")[0] in {"slack_sdk", "slack_bolt"} or name.startswith("bot.ui")
    }
    assert speaking == set()


def store_reads(path: Path) -> set[tuple[str, str]]:
    """(module, function) for each `….store` a listener reaches."""
    found: set[tuple[str, str]] = set()
    for function in ast.walk(ast.parse(path.read_text())):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Attribute) and node.attr == "store":
                found.add((path.name, function.name))
    return found


@pytest.mark.parametrize("path", HANDLERS, ids=lambda p: p.name)
def test_a_listener_reaches_the_store_only_through_a_service(path: Path) -> None:
    assert store_reads(path) == set()


@pytest.mark.parametrize("path", HANDLERS, ids=lambda p: p.name)
def test_a_listener_builds_no_operation_or_grant(path: Path) -> None:
    built = {
        node.func.id
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in {"Operation", "Grant"}
    }
    assert built == set()


def slack_markup(path: Path) -> set[str]:
    """Each string in the module that writes Slack markup. Docstrings describe it, and regular
    expressions read it from what people typed: neither writes it."""
    tree = ast.parse(path.read_text())
    reading: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                reading.add(id(first.value))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "re"
        ):
            reading.update(id(part) for arg in node.args for part in ast.walk(arg))
    where = path.relative_to(ROOT).as_posix()
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in reading
        and SLACK_MARKUP.search(node.value)
        and (where, node.value) not in MARKUP_ALLOWED
    }


@pytest.mark.parametrize("path", SILENT, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_only_bot_ui_writes_slack_markup(path: Path) -> None:
    assert slack_markup(path) == set()

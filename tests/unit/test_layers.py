"""The layers keep to their rules: services speak no Slack, listeners go through services."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted((ROOT / "bot" / "services").glob("*.py"))
HANDLERS = sorted((ROOT / "handlers").glob("*.py"))
# The Slack edge's own bookkeeping, not a use case: acting on each event id once.
STORE_ALLOWED = {("events.py", "once_per_event")}


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
    assert store_reads(path) - STORE_ALLOWED == set()


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

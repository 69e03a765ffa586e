"""One exception tree: every error Outpost defines is an OutpostError under exactly one branch,
no two share a name, and the docstring of `bot.domain.errors` draws each of them."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest

import bot
import handlers
from bot.domain import errors
from bot.domain.errors import BRANCHES, OutpostError

# The emulators stand in for Slack and AWS: what they raise is theirs, not Outpost's.
STAND_INS = ("bot.emulator",)
# A Ctrl-C while importing: a BaseException, like KeyboardInterrupt, so that nothing catching
# errors stops it.
NOT_ERRORS = {"bot.__main__._InterruptedWhileStarting"}


def defined_exceptions() -> list[type[BaseException]]:
    found = []
    for package in (bot, handlers):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if module.name.startswith(STAND_INS):
                continue
            for value in vars(importlib.import_module(module.name)).values():
                if (
                    isinstance(value, type)
                    and issubclass(value, BaseException)
                    and value.__module__ == module.name
                    and f"{module.name}.{value.__qualname__}" not in NOT_ERRORS
                ):
                    found.append(value)
    return found


EXCEPTIONS = defined_exceptions()
RAISED = [e for e in EXCEPTIONS if e.__module__ != errors.__name__]


def test_the_tree_is_found():
    assert len(RAISED) >= 25


@pytest.mark.parametrize("error", RAISED, ids=lambda e: e.__qualname__)
def test_each_error_is_under_exactly_one_branch(error):
    assert issubclass(error, OutpostError)
    branches = [b.__name__ for b in BRANCHES if issubclass(error, b)]
    assert len(branches) == 1, f"{error.__qualname__} is under {branches or 'no branch'}"


def test_the_root_has_only_the_branches_below_it():
    assert set(OutpostError.__subclasses__()) == set(BRANCHES)


def test_no_two_errors_share_a_name():
    names = [e.__name__ for e in EXCEPTIONS]
    assert sorted(n for n in names if names.count(n) > 1) == []


@pytest.mark.parametrize("error", EXCEPTIONS, ids=lambda e: e.__qualname__)
def test_the_docstring_draws_each_error(error):
    assert errors.__doc__ is not None
    assert re.search(rf"\b{re.escape(error.__name__)}\b", errors.__doc__)


def test_a_value_error_only_where_pydantic_needs_one():
    """A ValueError raised in a pydantic validator becomes a validation error naming the
    field; anywhere else, being a ValueError only lets a broad `except ValueError` catch it."""
    assert [e.__name__ for e in RAISED if issubclass(e, ValueError)] == ["InvalidDuration"]

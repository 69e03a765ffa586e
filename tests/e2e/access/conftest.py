"""A bot with break-glass set up: moto's Identity Center, an audit channel, two ops members."""

from __future__ import annotations

import pytest

from tests.support.access_flows import break_glass_center
from tests.support.bot_process import BotProcess
from tests.support.identity_center import IdentityCenter
from tests.support.organization import Organization


@pytest.fixture
def center(org: Organization, moto_url: str) -> IdentityCenter:
    """A user for each person; omar's email differs in case from the one Slack has."""
    people = {"erin": "erin@example.com", "omar": "Omar@Example.com", "olga": "olga@example.com"}
    return break_glass_center(org, moto_url, people)


@pytest.fixture
def bot(access_bot: BotProcess) -> BotProcess:
    """Every bot in this suite has break-glass set up."""
    return access_bot

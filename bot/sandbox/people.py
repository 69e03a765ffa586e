"""Who is in the sandbox's workspace: four people to act as, their teams, and the channels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Role = Literal["engineer", "ops"]


@dataclass(frozen=True)
class Persona:
    id: str
    name: str
    real_name: str
    role: Role
    title: str

    @property
    def email(self) -> str:
        return f"{self.name}@sandbox.example"


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    topic: str


PERSONAS: Final = (
    Persona("UERIN", "erin", "Erin Engineer", "engineer", "Engineer, payments team"),
    Persona("UOMAR", "omar", "Omar Okafor", "engineer", "Engineer, search team"),
    Persona("UOLGA", "olga", "Olga Lindqvist", "ops", "Platform ops, on call this week"),
    Persona("UPRIYA", "priya", "Priya Patel", "ops", "Platform ops"),
)


@dataclass(frozen=True)
class Team:
    """A product team: an IAM Identity Center group in the sandbox's AWS."""

    group: str  # the group's display name, as TEAM_GROUP_FILTER matches it
    description: str
    members: tuple[str, ...]  # persona ids
    accounts: tuple[str, ...]  # seeded accounts the team already has access to


TEAMS: Final = (
    Team("team-payments", "Payments: checkout and billing", ("UERIN",), ("billing-prod",)),
    Team(
        "team-search", "Search: indexing and query", ("UOMAR",), ("search-prod", "search-staging")
    ),
    Team(
        "team-platform", "Platform: AWS accounts and on-call", ("UOLGA", "UPRIYA"), ("log-archive",)
    ),
)

PLATFORM: Final = Channel(
    "CPLATFORM", "platform", "Ask for AWS accounts here: /account new, /account help"
)
APPROVALS: Final = Channel(
    "CAPPROVALS", "ops-approvals", "Break-glass requests wait here for an ops approval"
)
AUDIT: Final = Channel(
    "CAUDIT", "outpost-audit", "Every break-glass request, decision, grant and revoke, logged"
)
CHANNELS: Final = (PLATFORM, APPROVALS, AUDIT)

BOT_USER_ID: Final = "UOUTPOST"


def persona(user_id: str) -> Persona | None:
    return next((p for p in PERSONAS if p.id == user_id), None)


def ops_ids() -> list[str]:
    return [p.id for p in PERSONAS if p.role == "ops"]

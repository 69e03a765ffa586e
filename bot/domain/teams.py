"""Which Identity Center groups are teams, and which of them a search in the form offers.

A directory may hold thousands of groups, most of them not teams (`admins`, `everyone`, a
group per application). TEAM_GROUP_FILTER, a shell-style pattern such as `team-*`, says which
are: it is matched against the whole group name, ignoring case. Without it, every group is a
team. What the person types narrows the teams further, best matches first.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

from bot.domain.identity_center import Group

OPTION_LIMIT = 100  # Slack shows at most 100 options in a select


def is_team(name: str, pattern: str | None) -> bool:
    """Whether a group named `name` is a team under TEAM_GROUP_FILTER `pattern`."""
    if not pattern:
        return True
    return fnmatchcase(name.casefold(), pattern.casefold())


def teams_matching(groups: Iterable[Group], pattern: str | None, typed: str) -> list[Group]:
    """The teams among `groups` that `typed` finds, best first: a name equal to it, then
    names that start with it, then names that contain it, each alphabetical; at most
    OPTION_LIMIT. Nothing typed finds every team."""
    wanted = typed.strip().casefold()
    ranked: list[tuple[int, str, Group]] = []
    for group in groups:
        if not is_team(group.name, pattern):
            continue
        rank = _rank(group.name.casefold(), wanted)
        if rank is not None:
            ranked.append((rank, group.name.casefold(), group))
    ranked.sort(key=lambda item: (item[0], item[1], item[2].id))
    return [group for _, _, group in ranked[:OPTION_LIMIT]]


def _rank(name: str, wanted: str) -> int | None:
    if not wanted or wanted in name:
        return 0 if name == wanted else 1 if name.startswith(wanted) else 2
    return None

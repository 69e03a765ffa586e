"""Teams as the new-account form knows them: Identity Center groups, found as one types.

Used only when teams are groups (TEAM_PERMISSION_SET or TEAM_GROUP_FILTER is set). The search
reads a cached list of groups; the group a submitted form names is read again from Identity
Center, since an option can be minutes old and only a group that is there now and passes the
filter may own an account.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.aws.errors import AwsCallError
from bot.aws.groups import GroupDirectory
from bot.aws.identity_center import IdentityCenterMissing
from bot.domain.errors import NotFound, RefusedByRule, Unavailable
from bot.domain.identity_center import Group
from bot.domain.operations import AwsFailure
from bot.domain.teams import is_team, teams_matching


class TeamGone(NotFound):
    """The group the form names is not in Identity Center (deleted since, or never was)."""

    def __init__(self, group_id: str) -> None:
        super().__init__(group_id)
        self.group_id = group_id


class NotATeam(RefusedByRule):
    """The group is there, but its name does not pass TEAM_GROUP_FILTER."""

    def __init__(self, group: Group, pattern: str) -> None:
        super().__init__(group.name)
        self.group = group
        self.pattern = pattern


class TeamsUnchecked(Unavailable):
    """Identity Center could not be asked about the group in time; nothing was submitted.
    `failure` is what AWS said, None when it did not answer in time; `missing` is set when
    Identity Center has no instance."""

    def __init__(self, failure: AwsFailure | None, *, missing: bool = False) -> None:
        super().__init__(failure.code if failure else "timeout")
        self.failure = failure
        self.missing = missing


TeamRefusal = TeamGone | NotATeam | TeamsUnchecked


@dataclass(frozen=True)
class Teams:
    directory: GroupDirectory
    pattern: str | None  # TEAM_GROUP_FILTER

    async def suggestions(self, typed: str, *, within: float) -> list[Group]:
        """The teams `typed` finds, best first, at most a select's worth. Raises what
        `GroupDirectory.groups` raises."""
        groups = await self.directory.groups(within=within)
        return teams_matching(groups, self.pattern, typed)

    async def chosen(self, group_id: str, *, within: float) -> Group:
        """The team with this group id, as Identity Center has it now; raises a TeamRefusal."""
        try:
            group = await self.directory.group(group_id, within=within)
        except AwsCallError as error:
            raise TeamsUnchecked(error.failure) from error
        except IdentityCenterMissing as error:
            raise TeamsUnchecked(None, missing=True) from error
        except TimeoutError as error:
            raise TeamsUnchecked(None) from error
        if group is None:
            raise TeamGone(group_id)
        if self.pattern and not is_team(group.name, self.pattern):
            raise NotATeam(group, self.pattern)
        return group

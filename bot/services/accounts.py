"""Asking for a new account: the checks a request passes, then handing it to the runner.

A request is checked against Outpost's own record first (it names the operation, and knows
accounts that AWS does not list yet), then its team's group against Identity Center (when
teams are groups), then against the organization's accounts; storing it
checks the name and root email again, atomically, so that requests sent at the same instant
make one account. Everything here answers within the time Slack gives a form: the caller says
how long that is, and a request the store cannot take in time is not stored at all.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from bot.aws.directory import AccountDirectory
from bot.aws.errors import AwsCallError
from bot.clock import Clock
from bot.domain.accounts import AccountSummary
from bot.domain.errors import Conflict, Unavailable
from bot.domain.operations import AccountRequest, AwsFailure, Operation, creation_steps
from bot.engine.account_creation import NewAccounts
from bot.services.teams import NotATeam, TeamGone, Teams, TeamsUnchecked
from bot.store.base import AccountAlreadyRequested, Store, StoreUnavailable
from bot.store.deadline import WriteDeadline

# Of the time to answer, checking the organization's accounts may take this much, and
# checking the team's group in Identity Center this much.
CHECK_BUDGET = 1.5
TEAM_CHECK_BUDGET = 0.8


class AccountTaken(Conflict):
    """Accounts in the organization already use the name, or the root email, or both."""

    def __init__(self, *, named: AccountSummary | None, emailed: AccountSummary | None) -> None:
        super().__init__(named.id if named else emailed.id if emailed else "")
        self.named = named  # the account already named so
        self.emailed = emailed  # the account already using the root email


class AccountsUnchecked(Unavailable):
    """The organization's accounts could not be read in time; nothing was submitted.
    `failure` is what AWS said, None when it did not answer in time."""

    def __init__(self, failure: AwsFailure | None) -> None:
        super().__init__(failure.code if failure else "timeout")
        self.failure = failure


# What `submit` refuses with; nothing is stored then.
REFUSALS = (
    AccountAlreadyRequested,
    AccountTaken,
    AccountsUnchecked,
    StoreUnavailable,
    TeamGone,
    NotATeam,
    TeamsUnchecked,
)
SubmitRefusal = (
    AccountAlreadyRequested
    | AccountTaken
    | AccountsUnchecked
    | StoreUnavailable
    | TeamGone
    | NotATeam
    | TeamsUnchecked
)


@dataclass(frozen=True)
class Accounts:
    store: Store
    directory: AccountDirectory
    engine: NewAccounts
    clock: Clock
    operations_channel: str | None  # OPERATIONS_CHANNEL: where cards go, else where asked
    teams: Teams | None = None  # set when teams are Identity Center groups
    team_permission_set: str | None = None  # TEAM_PERMISSION_SET: the team's access, if any

    async def submit(
        self, request: AccountRequest, requester: str, origin_channel: str, *, within: float
    ) -> Operation:
        """Store the request as an operation and have it run, answering within `within`
        seconds; raises one of REFUSALS instead, with nothing stored."""
        started = time.monotonic()
        if taken := await self.store.account_requested(request.name, request.email):
            raise taken
        request = await self._team_checked(request)
        await self._refuse_taken(request)
        deadline = WriteDeadline(max(within - (time.monotonic() - started), 0.1))
        operation = self._operation(request, requester, origin_channel)
        return await deadline.run(self.engine.submit(operation, deadline=deadline))

    async def _team_checked(self, request: AccountRequest) -> AccountRequest:
        """The request with its team's group as Identity Center names it now; a group that is
        gone or not a team refuses it (TeamGone, NotATeam, TeamsUnchecked)."""
        if request.team_group_id is None or self.teams is None:
            return request
        group = await self.teams.chosen(request.team_group_id, within=TEAM_CHECK_BUDGET)
        return request.model_copy(update={"team": group.name})

    async def _refuse_taken(self, request: AccountRequest) -> None:
        try:
            accounts = await self.directory.accounts(within=CHECK_BUDGET)
        except AwsCallError as error:
            raise AccountsUnchecked(error.failure) from error
        except TimeoutError as error:
            raise AccountsUnchecked(None) from error
        named = next((a for a in accounts if a.name.lower() == request.name), None)
        emailed = next((a for a in accounts if a.email.lower() == request.email.lower()), None)
        if named or emailed:
            raise AccountTaken(named=named, emailed=emailed)

    def _operation(self, request: AccountRequest, requester: str, origin_channel: str) -> Operation:
        now = self.clock.now()
        team_access = self.team_permission_set is not None and request.team_group_id is not None
        return Operation(
            steps=creation_steps(team_access=team_access),
            team_permission_set=self.team_permission_set if team_access else None,
            requester=requester,
            request=request,
            origin_channel=origin_channel,
            card_channel=self.operations_channel or origin_channel,
            created_at=now,
            updated_at=now,
            progress_at=now,
            next_run_at=now,
        )

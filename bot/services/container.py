"""What listeners receive by injection: one service per capability, and what they are built on.

Listeners call the capabilities (accounts, inventory, access review, operations, triage,
breakglass, audit); the store, the gateway and the clock are here to build them.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.aws.directory import AccountDirectory
from bot.aws.groups import GroupDirectory
from bot.aws.organizations import OrganizationsGateway
from bot.clock import Clock
from bot.config import Settings
from bot.engine.account_creation import NewAccounts
from bot.services.access_review import AccessReview
from bot.services.accounts import Accounts
from bot.services.audit import Audit
from bot.services.breakglass import BreakGlassDesk
from bot.services.events import SlackEvents
from bot.services.inventory import Inventory
from bot.services.operations import Operations
from bot.services.teams import Teams
from bot.services.triage import Triage
from bot.store.base import Store


@dataclass(frozen=True)
class Services:
    settings: Settings
    store: Store
    organizations: OrganizationsGateway
    directory: AccountDirectory
    engine: NewAccounts
    triage: Triage
    breakglass: BreakGlassDesk
    access_review: AccessReview  # who can get in to an account, its contacts and budget
    clock: Clock  # the time every listener goes by
    groups: GroupDirectory | None = None  # Identity Center's groups, when teams are groups

    @property
    def teams(self) -> Teams | None:
        """The teams to choose from, when teams are Identity Center groups; else None, and
        the owning team is free text."""
        if self.groups is None or not self.settings.teams_are_groups:
            return None
        return Teams(self.groups, self.settings.team_group_filter)

    @property
    def audit(self) -> Audit:
        return Audit(self.store, self.breakglass.ops, self.clock)

    @property
    def accounts(self) -> Accounts:
        return Accounts(
            self.store,
            self.directory,
            self.engine,
            self.clock,
            operations_channel=self.settings.operations_channel,
            teams=self.teams,
            team_permission_set=self.settings.team_permission_set,
        )

    @property
    def events(self) -> SlackEvents:
        return SlackEvents(self.store, self.clock, self.settings.slack_event_retention)

    @property
    def operations(self) -> Operations:
        return Operations(self.store)

    @property
    def inventory(self) -> Inventory:
        return Inventory(self.organizations, self.store, self.clock)

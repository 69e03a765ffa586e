"""Every error Outpost raises on purpose, in one tree: what raises each, who catches it, and
what the person then sees.

Each class lives beside the code that raises it; the root and its branches live here, in the
domain, so that the rules can raise them without importing Slack, boto3 or the store. Code
catches the class it means, never a branch or a built-in such as ValueError: whatever else
is raised (a KeyError, pydantic's ValidationError) is a bug, and goes on to a catch-all that
logs it. In a listener that is Bolt's error handler, which gives the person an error id to
quote; in a workflow it is the runner, which tries the step again later, a few times, then
fails the operation or grant as an internal error with that id.

OutpostError
├── RefusedByRule: a rule says no to this person, to this, now. Nothing was changed.
│   ├── GrantRefused (domain.grants): deciding, extending or revoking a break-glass grant as
│   │   it stands (not ops, one's own request, already decided, nothing to revoke): the
│   │   rule and its facts, no words. Answered privately in those of ui.breakglass_answers.
│   ├── NotOpsToGrant, GrantToSelf (services.breakglass): `/account grant` by someone not
│   │   ops, or to oneself.
│   ├── NotOpsToAudit (services.audit): `/account audit` by someone not ops.
│   ├── ManagementRefused (services.breakglass): break-glass access to the organization's
│   │   management account, not allowed. Each of these is answered privately, in the words
│   │   of ui.breakglass_answers, or next to the account field of the form.
│   ├── NotATeam (services.teams): the group chosen as a new account's owning team does
│   │   not match TEAM_GROUP_FILTER; the form says so next to the team field.
│   ├── WrongState (domain.operations): Retry, Cancel or Resolve on an operation where it
│   │   does not apply: the operation and the action, no words. Triage answers privately.
│   ├── TriageRefused (services.triage): retry, cancel or resolve by someone the rules of
│   │   domain.triage do not let; NothingToCancel (services.triage): Cancel on an operation
│   │   that is not running. Each is answered privately, in the words of ui.triage.
│   └── ActionRefused (sandbox.workspace): what Slack itself would tell someone using the
│       sandbox's page (an empty message, a closed window); the page shows it.
├── NotFound: what Outpost was asked to use is not there.
│   ├── NoSuchOperation (services.triage): no operation has the id a button carries.
│   ├── NoSuchGrant (services.breakglass): no grant has the id typed or clicked. The person
│   │   is told what grant ids look like.
│   ├── AccountNotFound (domain.inventory): no account in the organization has the id or name a
│   │   break-glass command or form names. The person is told, with the names it is near.
│   ├── TeamGone (services.teams): the group chosen as the owning team is no longer in
│   │   Identity Center; the form says so next to the team field.
│   ├── IdentityCenterMissing (aws.identity_center): ListInstances found no instance.
│   └── PermissionSetNotFound (aws.identity_center): no permission set has the name in
│       BREAKGLASS_PERMISSION_SET or TEAM_PERMISSION_SET. The break-glass worker fails the
│       grant with either as a `FindIdentityCenter` failure, shown in the grant's thread and
│       on the audit trail; account creation fails its team access step with either as a
│       `FindPermissionSet` failure, shown in the operation's thread.
├── Conflict: someone else got there first. Read again, then decide again.
│   ├── StaleOperation (store): the operation was saved since it was read. The engine reads
│   │   it again; a triage button answers "changed meanwhile" with who did what.
│   ├── ChangedMeanwhile (services.triage): that answer: who acted first, and what on.
│   ├── SameAccountTaken (services.triage): a Retry that would make the account another
│   │   operation is creating or has created; answered privately.
│   ├── StaleGrant (store): the grant was saved since it was read. BreakGlassDesk and the
│   │   break-glass worker read it again and decide again.
│   ├── OverlappingGrant (store): the person already has an open grant for the account.
│   │   BreakGlassDesk reads it and raises AlreadyCovered instead.
│   ├── AlreadyCovered (services.breakglass): that open grant, which the person is shown.
│   ├── KeptChanging (services.breakglass): a decision lost to other writes several times
│   │   over; the person is told to look at the card.
│   ├── AccountAlreadyRequested (store): another operation is creating, or has just created,
│   │   an account with the name or root email. The new-account form shows it on the field;
│   │   Retry answers it privately.
│   └── AccountTaken (services.accounts): an account in the organization already has the
│       name or root email. The new-account form shows it on the field.
├── AwsCallFailed: an AWS call did not give what was asked.
│   ├── ManagementUnchecked (services.breakglass): AWS did not say which account is the
│   │   management account, so a break-glass request was neither filed nor approved.
│   ├── AwsCallError (aws.errors): failed for good, after the retries; `.failure` is what
│   │   AWS said (call, code, message, Reason, request id, HTTP status). Shown as it is: in
│   │   the operation's or grant's thread, or in the private answer to a command.
│   └── UnreadableAnswer (aws.errors): a success status without what AWS always sends. The
│       retry point retries it, then raises it as an AwsCallError with code UnreadableAnswer.
├── ConfigurationError: Outpost cannot run as it is set up.
│   ├── ConfigError (config): a setting is missing or malformed, or Slack refuses a token or
│   │   a channel at start-up. `python -m bot` prints its one line and exits with 2.
│   ├── SandboxError (sandbox.main): the sandbox cannot start; it prints why and exits with 2.
│   └── UnsupportedStore (store.open): `open_store` was given a URL that names no store this
│       version opens; the settings refuse such a DATABASE_URL before it gets that far.
├── Unavailable: something Outpost relies on did not answer or take what it was given.
│   ├── AccountsUnchecked (services.accounts): the organization's accounts could not be read
│   │   in time to check a new account's name and email. The form says to submit again.
│   ├── TeamsUnchecked (services.teams): Identity Center could not be asked in time whether
│   │   the chosen team's group is there. The form says to submit again.
│   ├── AccountsTooSlow (domain.inventory): listing the organization's accounts took longer than
│   │   Slack lets a form wait. The person is asked to try again in a moment.
│   ├── StoreUnavailable (store): the store cannot be opened (start-up stops with a line
│   │   naming DATABASE_URL, exit 1), or did not take a write in time (the new-account form
│   │   says the request was not saved: try again).
│   ├── WriteAbandoned (store.deadline): a write whose deadline passed before it began; the
│   │   deadline turns it into StoreUnavailable.
│   └── Undeliverable (slack.outbox): a queued message has nowhere to go (no card to thread
│       under, no recipient) or what it tells is no longer in the store. The outbox sets it
│       aside and logs an error.
└── InvalidInput: what was typed, clicked or sent is not what is accepted. Nothing was done.
    ├── InvalidDuration (domain.durations): not a duration. In a setting, start-up names it;
    │   in a form or command, the person is told the forms accepted.
    ├── BadArguments (domain.breakglass_commands): a break-glass command typed wrong. The person
    │   is answered privately with how to write it.
    ├── SeveralAccounts (domain.inventory): a break-glass command or form names an account by a
    │   name several accounts match. The person is told their ids, to use one.
    ├── UnknownFilter (domain.ops_view): `/account ops` with a word it does not take. The
    │   person is answered privately with the words it takes.
    ├── FormUnreadable (ui.new_account): a submitted modal not of the shape Outpost built
    │   (forged, or Slack changed). Nobody catches it: Bolt's error handler logs it.
    ├── UnreadableValue (ui.values): a button's value Outpost did not build (another app's,
    │   an old card's, or forged). The listener answers privately that the button is out of
    │   date or not Outpost's, and does nothing else.
    ├── NotSlacksShape (slack_shape): a signed body of a shape Slack never sends. The HTTP
    │   edge refuses it (_Refused) or, for an event, ignores it (_Ignored).
    ├── _Refused (server): a request the HTTP edge refuses: unsigned, too big, too slow, not
    │   text or not Slack's shape. Answered with its status (400, 401, 408, 413) before Bolt
    │   sees it, and a line in the log.
    ├── _Ignored (server): a signed event of a shape Slack never sends. Answered 200, so
    │   that Slack does not send it again, and acted on by nobody.
    ├── BadRequest (sandbox.page): a call to the sandbox page's API it does not take; 400.
    └── FaultError (sandbox.faults): a fault the sandbox page asked for that cannot be; 400.
"""

from __future__ import annotations


class OutpostError(Exception):
    """The root: every error Outpost raises on purpose is one of the branches below."""


class RefusedByRule(OutpostError):
    """A rule says no to this person; the message says why, to them."""


class NotFound(OutpostError):
    """What Outpost was asked to use is not there; the message says what is."""


class Conflict(OutpostError):
    """Someone else wrote first; read again and decide again."""


class AwsCallFailed(OutpostError):
    """An AWS call did not give what was asked."""


class ConfigurationError(OutpostError):
    """Outpost cannot run as it is set up; the message names what to change."""


class Unavailable(OutpostError):
    """The store or Slack did not answer, or did not take what it was given."""


class InvalidInput(OutpostError):
    """What was typed, clicked or sent is not what is accepted; the message says what is."""


BRANCHES: tuple[type[OutpostError], ...] = (
    RefusedByRule,
    NotFound,
    Conflict,
    AwsCallFailed,
    ConfigurationError,
    Unavailable,
    InvalidInput,
)

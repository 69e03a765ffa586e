"""The `/account new` modal: loading, the form, the AWS error view, and parsing what came back."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from bot.domain.accounts import OrganizationalUnit
from bot.domain.errors import InvalidInput
from bot.domain.identity_center import Group
from bot.domain.operations import AccountRequest, AwsFailure
from bot.domain.validation import account_name_problem, email_problem
from bot.services.accounts import AccountsUnchecked, AccountTaken, SubmitRefusal
from bot.services.teams import NotATeam, TeamGone, TeamsUnchecked
from bot.store.base import AccountAlreadyRequested, StoreUnavailable
from bot.ui.blocks import Block, context, plain, section, text_input
from bot.ui.failure import failure_blocks
from bot.ui.ids import ActionId, BlockId, CallbackId
from bot.ui.text import cut
from bot.ui.values import OuOption, TeamOption, UnreadableValue
from bot.ui.view_state import private_metadata, selected_option, typed_text

TITLE = "New AWS account"
SELECT_LIMIT = 100  # options in one static select, and option groups in one select
OPTION_TEXT_LIMIT = 75


class NewAccountMetadata(BaseModel):
    """Carried in the view's private_metadata: where the command was typed."""

    channel: str


class NewAccountForm(BaseModel):
    name: str
    ou_id: str
    ou_name: str
    team: str  # typed, or the chosen option's text (the group's name is read again)
    email: str | None
    purpose: str
    team_group_id: str | None = None  # the chosen group, when teams are groups
    team_unreadable: bool = False  # a team option Outpost did not build


def loading_view(metadata: NewAccountMetadata) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": CallbackId.NEW_ACCOUNT,
        "title": plain(TITLE),
        "close": plain("Cancel"),
        "private_metadata": metadata.model_dump_json(),
        "blocks": [section(":hourglass_flowing_sand: Reading the organization's OUs from AWS…")],
    }


def aws_error_view(metadata: NewAccountMetadata, failure: AwsFailure) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": CallbackId.NEW_ACCOUNT,
        "title": plain(TITLE),
        "close": plain("Close"),
        "private_metadata": metadata.model_dump_json(),
        "blocks": [
            *failure_blocks(
                ":x: *Outpost could not read the organization's OUs and accounts from AWS*", failure
            ),
            context("Nothing was created. Fix the cause, then run `/account new` again."),
        ],
    }


def form_not_opened(why: str) -> str:
    """One line for the person whose form Slack did not open (`why`: what Slack said)."""
    return (
        f":warning: Outpost could not open the form: {why}. Nothing was created; "
        "run `/account new` again in a few minutes."
    )


def form_view(
    metadata: NewAccountMetadata,
    units: list[OrganizationalUnit],
    *,
    name: str = "",
    email_template: str | None = None,
    again: AccountRequest | None = None,
    teams: bool = False,
    team_filter: str | None = None,
) -> dict[str, Any]:
    """The form; `again` fills it in from an earlier request, all but its root email.

    With `teams`, the owning team is chosen among Identity Center groups (those whose names
    match `team_filter`), searched as one types; without, it is typed."""
    if again is not None:
        name = again.name
    email_hint = (
        f"Leave empty to use {email_template}."
        if email_template
        else "6–64 characters; must not be used by another account."
    )
    if again is not None:
        email_hint = f"AWS refused {again.email[:64]}: give one no AWS account uses."
    blocks: list[Block] = [
        text_input(
            BlockId.ACCOUNT_NAME,
            ActionId.ACCOUNT_NAME,
            "Account name",
            hint="3–50 lowercase letters, digits and hyphens, e.g. payments-staging.",
            initial=name[:50],
            max_length=50,
        ),
        {
            "type": "input",
            "block_id": BlockId.ORGANIZATIONAL_UNIT,
            "label": plain("Organizational unit"),
            "element": _ou_select(units, again.ou_id if again else None),
        },
        _team_select(again, team_filter)
        if teams
        else text_input(
            BlockId.TEAM,
            ActionId.TEAM,
            "Owning team",
            initial=again.team[:100] if again else "",
            max_length=100,
        ),
        text_input(
            BlockId.ROOT_EMAIL,
            ActionId.ROOT_EMAIL,
            "Root email",
            hint=email_hint,
            optional=True,
            max_length=64,
        ),
        text_input(
            BlockId.PURPOSE,
            ActionId.PURPOSE,
            "Purpose",
            initial=again.purpose[:500] if again else "",
            multiline=True,
            max_length=500,
        ),
    ]
    return {
        "type": "modal",
        "callback_id": CallbackId.NEW_ACCOUNT,
        "title": plain(TITLE),
        "submit": plain("Create"),
        "close": plain("Cancel"),
        "private_metadata": metadata.model_dump_json(),
        "blocks": blocks,
    }


def _ou_select(units: list[OrganizationalUnit], chosen: str | None = None) -> dict[str, Any]:
    options = [
        {
            "text": plain(_path_label(unit.path), OPTION_TEXT_LIMIT),
            "value": OuOption(ou_id=unit.id).encode(),
        }
        for unit in sorted(units, key=lambda u: u.path)
    ]
    select: dict[str, Any] = {
        "type": "static_select",
        "action_id": ActionId.ORGANIZATIONAL_UNIT,
        "placeholder": plain("Choose where the account goes"),
    }
    initial = next((option for option in options if option["value"] == chosen), None)
    if initial is not None:  # an OU removed since is simply not chosen
        select["initial_option"] = initial
    if len(options) <= SELECT_LIMIT:
        select["options"] = options
    else:
        chunks = [options[i : i + SELECT_LIMIT] for i in range(0, len(options), SELECT_LIMIT)]
        select["option_groups"] = [
            {
                "label": plain(f"OUs {n * SELECT_LIMIT + 1}–{n * SELECT_LIMIT + len(chunk)}"),
                "options": chunk,
            }
            for n, chunk in enumerate(chunks[:SELECT_LIMIT])
        ]
    return select


def _team_select(again: AccountRequest | None, team_filter: str | None) -> Block:
    select: dict[str, Any] = {
        "type": "external_select",
        "action_id": ActionId.TEAM_GROUP,
        "placeholder": plain("Search the teams by name"),
        "min_query_length": 0,
    }
    if again is not None and again.team_group_id is not None:
        select["initial_option"] = team_option(Group(id=again.team_group_id, name=again.team))
    which = f" whose names match {team_filter}" if team_filter else ""
    return {
        "type": "input",
        "block_id": BlockId.TEAM,
        "label": plain("Owning team"),
        "hint": plain(f"A group in IAM Identity Center{which}: it owns the account.", 150),
        "element": select,
    }


def team_option(group: Group) -> dict[str, Any]:
    """A team in the select: its group's name, the group's id as the value."""
    return {
        "text": plain(group.name, OPTION_TEXT_LIMIT),
        "value": TeamOption(group_id=group.id).encode(),
    }


def team_options(groups: list[Group]) -> list[dict[str, Any]]:
    """The options the team select shows for a search (at most 100, as found)."""
    return [team_option(group) for group in groups[:SELECT_LIMIT]]


def _path_label(path: str) -> str:
    """A path that fits an option, cut at its start: the end is what tells OUs apart."""
    if len(path) <= OPTION_TEXT_LIMIT:
        return path
    return "…" + path[-(OPTION_TEXT_LIMIT - 1) :]


class FormUnreadable(InvalidInput):
    """The submitted view does not have the shape Outpost built; Slack changed or it was forged."""


def parse_new_account_form(
    view: dict[str, Any], *, teams: bool = False
) -> tuple[NewAccountMetadata, NewAccountForm]:
    """The form as submitted; with `teams`, the owning team is the group chosen in the select
    (the text of a team input, if a forged view sends one, is not read)."""

    def text(block: BlockId, action: ActionId) -> str:
        return typed_text(view, block, action)

    ou_id, ou_name = selected_option(
        view, BlockId.ORGANIZATIONAL_UNIT, ActionId.ORGANIZATIONAL_UNIT
    )
    team, group_id, unreadable = text(BlockId.TEAM, ActionId.TEAM), None, False
    if teams:
        value, team = selected_option(view, BlockId.TEAM, ActionId.TEAM_GROUP)
        try:
            group_id = TeamOption.decode(value).group_id if value else None
        except UnreadableValue:
            unreadable = True
    try:
        metadata = NewAccountMetadata.model_validate_json(private_metadata(view))
        form = NewAccountForm(
            name=text(BlockId.ACCOUNT_NAME, ActionId.ACCOUNT_NAME),
            ou_id=ou_id,
            ou_name=ou_name,
            team=team,
            email=text(BlockId.ROOT_EMAIL, ActionId.ROOT_EMAIL) or None,
            purpose=text(BlockId.PURPOSE, ActionId.PURPOSE),
            team_group_id=group_id,
            team_unreadable=unreadable,
        )
    except ValidationError as error:
        raise FormUnreadable(str(error)) from error
    return metadata, form


# What the form says next to its fields when a request is not submitted.


def input_errors(form: NewAccountForm, email: str | None, *, teams: bool = False) -> dict[str, str]:
    """What is wrong with the form as filled in, before anything is looked up; with `teams`,
    a team must be chosen among the groups."""
    errors: dict[str, str] = {}
    if form.team_unreadable:
        errors[BlockId.TEAM] = (
            "This team is not one Outpost offered: search for the team again and choose it."
        )
    elif teams and form.team_group_id is None:
        errors[BlockId.TEAM] = "Choose the owning team: search for its group by name."
    if problem := account_name_problem(form.name):
        errors[BlockId.ACCOUNT_NAME] = problem
    if email is None:
        errors[BlockId.ROOT_EMAIL] = (
            "Enter the root email: there is no default (ACCOUNT_EMAIL_TEMPLATE is not set)."
        )
    elif problem := email_problem(email):
        if form.email is None:
            problem = f"The default email {email} does not work: {problem} Enter one."
        errors[BlockId.ROOT_EMAIL] = problem
    if not form.ou_id:
        errors[BlockId.ORGANIZATIONAL_UNIT] = "Choose the organizational unit."
    return errors


def refusal_errors(refusal: SubmitRefusal, name: str) -> dict[str, str]:
    """Why the request for an account named `name` was not submitted, by field."""
    match refusal:
        case AccountAlreadyRequested():
            return _already_requested(refusal, name)
        case AccountTaken(named=named, emailed=emailed):
            errors: dict[str, str] = {}
            if named is not None:
                errors[BlockId.ACCOUNT_NAME] = (
                    f"Account {named.id} is already named {name}; choose another name."
                )
            if emailed is not None:
                errors[BlockId.ROOT_EMAIL] = (
                    f"Account {emailed.id} ({emailed.name}) already uses this email; "
                    "every account needs its own."
                )
            return errors
        case AccountsUnchecked(failure=failure):
            detail = (
                f"{failure.code}: {failure.message}" if failure else "AWS did not answer in time"
            )
            return {
                BlockId.ACCOUNT_NAME: f"Outpost could not check the organization's accounts "
                f"({detail[:200]}). Nothing was created; submit again."
            }
        case StoreUnavailable():
            return {
                BlockId.ACCOUNT_NAME: f"Outpost could not save your request: {refusal}. "
                "Nothing was created; try again."
            }
        case TeamGone() | NotATeam() | TeamsUnchecked():
            return {BlockId.TEAM: _team_refused(refusal)}


def _team_refused(refusal: TeamGone | NotATeam | TeamsUnchecked) -> str:
    """Why the chosen team cannot own the account, next to the team field."""
    match refusal:
        case TeamGone():
            return (
                "This group is no longer in IAM Identity Center: search again and choose "
                "the team's group as it is now."
            )
        case NotATeam(group=group, pattern=pattern):
            return cut(
                f"The group {group.name} is not a team here: teams are the groups whose "
                f"names match {pattern}. Choose another.",
                300,
            )
        case TeamsUnchecked(failure=failure, missing=missing):
            if missing:
                detail = "IAM Identity Center is not enabled in this Region"
            elif failure is not None:
                detail = f"{failure.code}: {failure.message}"
            else:
                detail = "AWS did not answer in time"
            return (
                f"Outpost could not check the team in IAM Identity Center ({cut(detail, 200)}). "
                "Nothing was created; submit again."
            )


def _already_requested(taken: AccountAlreadyRequested, name: str) -> dict[str, str]:
    """Another operation is creating, or has just created, the same account."""
    doing = "is creating" if taken.running else "created"
    errors: dict[str, str] = {}
    if taken.name:
        errors[BlockId.ACCOUNT_NAME] = (
            f"Operation {taken.operation_id} {doing} an account named {name}."
        )
    if taken.email:
        errors[BlockId.ROOT_EMAIL] = (
            f"Operation {taken.operation_id} {doing} an account with this email."
        )
    return errors

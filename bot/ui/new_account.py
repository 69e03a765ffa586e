"""The `/account new` modal: loading, the form, the AWS error view, and parsing what came back."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from bot.domain.accounts import OrganizationalUnit
from bot.domain.errors import InvalidInput
from bot.domain.operations import AccountRequest, AwsFailure
from bot.domain.validation import account_name_problem, email_problem
from bot.services.accounts import AccountsUnchecked, AccountTaken, SubmitRefusal
from bot.store.base import AccountAlreadyRequested, StoreUnavailable
from bot.ui.blocks import Block, context, plain, section, text_input
from bot.ui.failure import failure_blocks
from bot.ui.ids import ActionId, BlockId, CallbackId
from bot.ui.values import OuOption
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
    team: str
    email: str | None
    purpose: str


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
) -> dict[str, Any]:
    """The form; `again` fills it in from an earlier request, all but its root email."""
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
        text_input(
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


def _path_label(path: str) -> str:
    """A path that fits an option, cut at its start: the end is what tells OUs apart."""
    if len(path) <= OPTION_TEXT_LIMIT:
        return path
    return "…" + path[-(OPTION_TEXT_LIMIT - 1) :]


class FormUnreadable(InvalidInput):
    """The submitted view does not have the shape Outpost built; Slack changed or it was forged."""


def parse_new_account_form(view: dict[str, Any]) -> tuple[NewAccountMetadata, NewAccountForm]:
    def text(block: BlockId, action: ActionId) -> str:
        return typed_text(view, block, action)

    ou_id, ou_name = selected_option(
        view, BlockId.ORGANIZATIONAL_UNIT, ActionId.ORGANIZATIONAL_UNIT
    )
    try:
        metadata = NewAccountMetadata.model_validate_json(private_metadata(view))
        form = NewAccountForm(
            name=text(BlockId.ACCOUNT_NAME, ActionId.ACCOUNT_NAME),
            ou_id=ou_id,
            ou_name=ou_name,
            team=text(BlockId.TEAM, ActionId.TEAM),
            email=text(BlockId.ROOT_EMAIL, ActionId.ROOT_EMAIL) or None,
            purpose=text(BlockId.PURPOSE, ActionId.PURPOSE),
        )
    except ValidationError as error:
        raise FormUnreadable(str(error)) from error
    return metadata, form


# What the form says next to its fields when a request is not submitted.


def input_errors(form: NewAccountForm, email: str | None) -> dict[str, str]:
    """What is wrong with the form as filled in, before anything is looked up."""
    errors: dict[str, str] = {}
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

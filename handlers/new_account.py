"""`/account new`: the modal, its validation, and handing the operation to the engine."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.aws.errors import AwsCallError
from bot.domain.accounts import AccountSummary
from bot.domain.operations import AccountRequest, Operation
from bot.domain.validation import account_name_problem, default_email, email_problem
from bot.services.container import Services
from bot.store.base import AccountAlreadyRequested, StoreUnavailable
from bot.store.deadline import WriteDeadline
from bot.ui.ids import BlockId, CallbackId
from bot.ui.new_account import (
    NewAccountForm,
    NewAccountMetadata,
    aws_error_view,
    form_not_opened,
    form_view,
    loading_view,
    parse_new_account_form,
)
from handlers.replies import Tell

log = logging.getLogger(__name__)

# views.update errors that mean the modal was closed or moved on in the meantime.
MODAL_GONE = frozenset({"not_found", "hash_conflict"})

# Slack waits 3 s for the answer to a submission: the answer is ready within ANSWER_BUDGET,
# leaving room for the rest of the round trip. Checking the organization's accounts may take
# CHECK_BUDGET of it; saving the request takes what is left.
ANSWER_BUDGET = 2.4
CHECK_BUDGET = 1.5


async def open_new_account_modal(
    trigger_id: str,
    channel: str,
    client: AsyncWebClient,
    services: Services,
    *,
    tell: Tell,
    prefill: str = "",
    again: AccountRequest | None = None,
) -> None:
    """Open the modal inside the trigger's 3 s, then fill it in once AWS has answered: with
    `prefill` as the name, or with all of `again` but its email (a request AWS refused for
    its root email). The caller has acknowledged already; a modal Slack does not open is
    explained to the person."""
    metadata = NewAccountMetadata(channel=channel)
    try:
        opened = await client.views_open(trigger_id=trigger_id, view=loading_view(metadata))
    except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
        why = slack_failure(error)
        log.warning("views.open failed for the new-account form: %s", why)
        await _tell_quietly(tell, form_not_opened(why))
        return
    view = opened["view"]
    try:
        units, _ = await asyncio.gather(
            services.organizations.destinations(), services.directory.refresh()
        )
        filled = form_view(
            metadata,
            units,
            name=prefill,
            email_template=services.settings.account_email_template,
            again=again,
        )
    except AwsCallError as error:
        filled = aws_error_view(metadata, error.failure)
    try:
        await client.views_update(view_id=view["id"], hash=view["hash"], view=filled)
    except SlackApiError as error:
        if error.response.get("error") not in MODAL_GONE:
            raise
        # The requester closed the modal while AWS was answering: nothing to show.


async def submit_new_account(
    ack: AsyncAck, view: dict[str, Any], body: dict[str, Any], services: Services
) -> None:
    """Answer once the request is stored: the modal closes only on a request that will be
    carried out, and stays open with the reason on one that will not."""
    started = time.monotonic()
    metadata, form = parse_new_account_form(view)
    email = form.email or default_email(services.settings.account_email_template, form.name)
    errors = _input_problems(form, email)
    if not errors:
        assert email is not None
        # Outpost's own record first: it names the operation, and knows accounts that AWS
        # does not list yet. Storing checks again, atomically.
        if taken := await services.store.account_requested(form.name, email):
            errors = _already_requested(taken, form.name)
        else:
            errors = await _conflicts(form.name, email, services)
    if not errors:
        assert email is not None
        deadline = WriteDeadline(max(ANSWER_BUDGET - (time.monotonic() - started), 0.1))
        operation = _operation(body["user"]["id"], metadata, form, email, services)
        try:
            await deadline.run(services.engine.submit(operation, deadline=deadline))
        except AccountAlreadyRequested as taken:
            errors = _already_requested(taken, form.name)
        except StoreUnavailable as error:
            log.warning("could not save a request for account %s: %s", form.name, error)
            errors = {
                BlockId.ACCOUNT_NAME: f"Outpost could not save your request: {error}. "
                "Nothing was created; try again."
            }
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    await ack()


def _operation(
    requester: str,
    metadata: NewAccountMetadata,
    form: NewAccountForm,
    email: str,
    services: Services,
) -> Operation:
    now = services.clock.now()
    return Operation(
        requester=requester,
        request=AccountRequest(
            name=form.name,
            email=email,
            ou_id=form.ou_id,
            ou_name=form.ou_name,
            team=form.team,
            purpose=form.purpose,
        ),
        origin_channel=metadata.channel,
        card_channel=services.settings.operations_channel or metadata.channel,
        created_at=now,
        updated_at=now,
        progress_at=now,
        next_run_at=now,
    )


def slack_failure(error: Exception) -> str:
    """What Slack answered, in a few words: its error code, else the HTTP status."""
    if isinstance(error, SlackApiError):
        status = error.response.status_code
        code = error.response.get("error") if isinstance(error.response.data, dict) else None
        return f"Slack refused it ({code})" if code else f"Slack answered HTTP {status}"
    if isinstance(error, TimeoutError):
        return "Slack did not answer in time"
    return f"Slack could not be reached ({type(error).__name__})"


async def _tell_quietly(tell: Tell, text: str) -> None:
    """Slack may be down for this too: then the log line is all there is."""
    try:
        await tell(text)
    except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
        log.info("could not tell the person either: %s", slack_failure(error))


def _input_problems(form: NewAccountForm, email: str | None) -> dict[str, str]:
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


async def _conflicts(name: str, email: str, services: Services) -> dict[str, str]:
    """Names and emails already taken in the organization."""
    try:
        accounts = await services.directory.accounts(within=CHECK_BUDGET)
    except (AwsCallError, TimeoutError) as error:
        detail = (
            f"{error.failure.code}: {error.failure.message}"
            if isinstance(error, AwsCallError)
            else "AWS did not answer in time"
        )
        return {
            BlockId.ACCOUNT_NAME: f"Outpost could not check the organization's accounts "
            f"({detail[:200]}). Nothing was created; submit again."
        }
    return _taken(name, email, accounts)


def _taken(name: str, email: str, accounts: list[AccountSummary]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for account in accounts:
        if account.name.lower() == name:
            errors[BlockId.ACCOUNT_NAME] = (
                f"Account {account.id} is already named {name}; choose another name."
            )
        if account.email.lower() == email.lower():
            errors[BlockId.ROOT_EMAIL] = (
                f"Account {account.id} ({account.name}) already uses this email; "
                "every account needs its own."
            )
    return errors


def register(app: AsyncApp) -> None:
    app.view(CallbackId.NEW_ACCOUNT.value)(submit_new_account)

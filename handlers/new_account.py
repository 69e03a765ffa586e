"""`/account new`: the modal, its team search, its validation, and handing the request to the
accounts service."""

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
from bot.aws.identity_center import IdentityCenterMissing
from bot.domain.operations import AccountRequest
from bot.domain.validation import default_email
from bot.services.accounts import REFUSALS
from bot.services.container import Services
from bot.store.base import StoreUnavailable
from bot.ui.ids import ActionId, CallbackId
from bot.ui.new_account import (
    NewAccountMetadata,
    aws_error_view,
    form_not_opened,
    form_view,
    input_errors,
    loading_view,
    parse_new_account_form,
    refusal_errors,
    team_options,
)
from handlers.replies import Tell
from handlers.subcommand import Subcommand

log = logging.getLogger(__name__)

# views.update errors that mean the modal was closed or moved on in the meantime.
MODAL_GONE = frozenset({"not_found", "hash_conflict"})

# Slack waits 3 s for the answer to a submission: the answer is ready within ANSWER_BUDGET,
# leaving room for the rest of the round trip.
ANSWER_BUDGET = 2.4
# An options request gets 3 s too; the teams must be found within this.
TEAM_LOOKUP_BUDGET = 2.0


async def new_account_command(typed: Subcommand, services: Services) -> None:
    """`/account new [name]`: the form, with the name filled in when one was typed."""
    await open_new_account_modal(
        typed.trigger_id,
        typed.channel,
        typed.client,
        services,
        prefill=typed.argument,
        tell=typed.tell,
    )


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
            teams=services.teams is not None,
            team_filter=services.settings.team_group_filter,
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
    teams = services.teams is not None
    metadata, form = parse_new_account_form(view, teams=teams)
    email = form.email or default_email(services.settings.account_email_template, form.name)
    if errors := input_errors(form, email, teams=teams):
        await ack(response_action="errors", errors=errors)
        return
    assert email is not None
    request = AccountRequest(
        name=form.name,
        email=email,
        ou_id=form.ou_id,
        ou_name=form.ou_name,
        team=form.team,
        purpose=form.purpose,
        team_group_id=form.team_group_id,
    )
    within = ANSWER_BUDGET - (time.monotonic() - started)
    try:
        await services.accounts.submit(request, body["user"]["id"], metadata.channel, within=within)
    except REFUSALS as refusal:
        if isinstance(refusal, StoreUnavailable):
            log.warning("could not save a request for account %s: %s", form.name, refusal)
        await ack(response_action="errors", errors=refusal_errors(refusal, form.name))
        return
    await ack()


async def team_suggestions(ack: AsyncAck, payload: dict[str, Any], services: Services) -> None:
    """Options for the team select, as the person types: Identity Center's groups that are
    teams and match what is typed. Nothing found (or AWS not answering) shows no options."""
    teams = services.teams
    if teams is None:
        await ack(options=[])
        return
    typed = str(payload.get("value", ""))
    try:
        found = await teams.suggestions(typed, within=TEAM_LOOKUP_BUDGET)
    except (AwsCallError, IdentityCenterMissing, TimeoutError):
        log.warning("could not list Identity Center groups for the team select", exc_info=True)
        await ack(options=[])
        return
    await ack(options=team_options(found))


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


def register(app: AsyncApp) -> None:
    app.view(CallbackId.NEW_ACCOUNT.value)(submit_new_account)
    app.options(ActionId.TEAM_GROUP.value)(team_suggestions)

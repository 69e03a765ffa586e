"""Break-glass in Slack: `/account breakglass|grant|revoke|audit`, the card's buttons, the modals.

Listeners only read what Slack sent, ask the access desk (bot/services/breakglass.py) to act,
and answer the person who acted; the rules, the audit trail and the AWS work live elsewhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.aws.directory import FRESH_FOR
from bot.aws.errors import AwsCallError
from bot.domain import breakglass_commands
from bot.domain.accounts import AccountSummary
from bot.domain.breakglass_commands import parse_audit, parse_grant, parse_revoke
from bot.domain.durations import parse_duration
from bot.domain.grants import (
    AccessLimits,
    AccessRequest,
    GrantState,
    check_justification,
)
from bot.domain.inventory import clean_query
from bot.services.audit import NotOpsToAudit
from bot.services.breakglass import REFUSALS, ManagementRefused, ManagementUnchecked
from bot.services.container import Services
from bot.services.inventory import ACCOUNT_LOOKUP_ERRORS, find_account
from bot.slack.people import email_of
from bot.ui import breakglass_answers as answers
from bot.ui.account_lookup import account_lookup_problem
from bot.ui.breakglass_forms import (
    NOT_OPS_TO_AUDIT,
    BreakglassForm,
    DenyMetadata,
    ExtendForm,
    ExtendMetadata,
    SelfApproveMetadata,
    account_options,
    audit_blocks,
    audit_csv,
    audit_csv_not_uploaded,
    audit_period,
    audit_summary,
    breakglass_errors,
    breakglass_view,
    deny_view,
    extend_errors,
    extend_view,
    parse_breakglass,
    parse_deny,
    parse_extend,
    parse_self_approve,
    self_approve_view,
)
from bot.ui.ids import ActionId, BlockId, CallbackId
from bot.ui.text import code, escape
from bot.ui.values import DecisionButton, GrantButton, RevokeButton
from handlers.clicks import Click, button
from handlers.new_account import MODAL_GONE
from handlers.subcommand import Subcommand
from handlers.submissions import Invalid, Submission, View, read_note, submission

log = logging.getLogger(__name__)

T = TypeVar("T")

# Slack gives an options request and a modal submission 3 s; leave room for the round trip.
LOOKUP_BUDGET = 2.0
# What is left of Slack's 3 s after the account lookup, to check for the management account.
MANAGEMENT_CHECK_BUDGET = 0.5
# A slash command is acknowledged before the lookup, so it can wait longer for AWS.
COMMAND_BUDGET = 15.0
# Recent operations looked at for accounts newer than the cached list of accounts.
RECENT_CREATIONS = 20


def limits(services: Services) -> AccessLimits:
    settings = services.settings
    return AccessLimits(
        longest=settings.breakglass_max_duration, shortest=settings.breakglass_min_duration
    )


def not_set_up(services: Services) -> str | None:
    if services.settings.breakglass_permission_set:
        return None
    return answers.NOT_SET_UP


async def _outcome(doing: Awaitable[T], say: Callable[[T], str]) -> str:
    """What the person who acted is told: `say` of what the desk did, or why it would not."""
    try:
        return say(await doing)
    except REFUSALS as refusal:
        return answers.refused(refusal)


async def _account(typed: Subcommand, services: Services, query: str) -> AccountSummary | None:
    """The account typed; None once the person was told why it cannot be had."""
    try:
        return await find_account(services.directory, query, within=COMMAND_BUDGET)
    except ACCOUNT_LOOKUP_ERRORS as error:
        await typed.tell(account_lookup_problem(error))
        return None


async def _terms_refused(
    typed: Subcommand, services: Services, duration: timedelta, reason: str
) -> bool:
    """Whether the duration or the justification typed is refused, once the person was told."""
    problem = limits(services).check_duration(duration) or check_justification(reason)
    if problem:
        await typed.tell(escape(problem))
    return bool(problem)


# /account breakglass


async def breakglass_command(typed: Subcommand, services: Services) -> None:
    """With everything given, file at once; otherwise open the modal with what was given."""
    if problem := not_set_up(services):
        await typed.tell(problem)
        return
    if (args := await typed.parsed(breakglass_commands.parse_breakglass)) is None:
        return
    if args.account is None or args.duration is None or not args.complete:
        await _open_breakglass_modal(typed, services, args)
        return
    if (account := await _account(typed, services, args.account)) is None:
        return
    if await _terms_refused(typed, services, args.duration, args.reason):
        return
    request = _request(services, account, args.duration, args.reason)
    await typed.tell(await _file(services, typed.client, typed.user, typed.channel, request))


async def _open_breakglass_modal(
    typed: Subcommand, services: Services, args: breakglass_commands.BreakglassArgs
) -> None:
    """Open the modal inside the trigger's 3 s, then select the typed account once found."""

    def view(account: AccountSummary | None = None, notice: str | None = None) -> dict[str, Any]:
        return breakglass_view(
            limits(services),
            account=(account.id, account.name) if account else None,
            duration=args.duration_text or "1h",
            justification=args.reason,
            channel=typed.channel,
            notice=notice,
        )

    query, client = args.account, typed.client
    looking = f"Looking up the account {code(clean_query(query))}…" if query else None
    opened = await client.views_open(trigger_id=typed.trigger_id, view=view(notice=looking))
    if query is None:
        return
    try:
        found = await find_account(services.directory, query, within=COMMAND_BUDGET)
    except ACCOUNT_LOOKUP_ERRORS as error:
        filled = view(notice=account_lookup_problem(error))
    else:
        filled = view(account=found)
    shown = opened["view"]
    try:
        await client.views_update(view_id=shown["id"], hash=shown["hash"], view=filled)
    except SlackApiError as error:
        if error.response.get("error") not in MODAL_GONE:
            raise
        # The person closed the modal, or it moved on, while AWS was answering.


async def account_suggestions(ack: AsyncAck, payload: dict[str, Any], services: Services) -> None:
    """Options for the account select, as the person types: works for any number of accounts."""
    typed = str(payload.get("value", ""))

    def offered(account: AccountSummary) -> bool:
        return not typed or bool(account_options([(account.id, account.name)], typed))

    started = time.monotonic()
    try:
        accounts = await services.directory.accounts_with(offered, within=LOOKUP_BUDGET)
    except (AwsCallError, TimeoutError):
        log.warning("could not list accounts for the account select", exc_info=True)
        await ack(options=[])
        return
    if await _created_lately(services) - {a.id for a in accounts}:
        # Outpost has just created an account the cached list predates: read the list again.
        left = LOOKUP_BUDGET - (time.monotonic() - started)
        with contextlib.suppress(AwsCallError, TimeoutError):
            async with asyncio.timeout(max(left, 0.0)):
                accounts = await services.directory.refresh()
    pairs = [(a.id, a.name) for a in accounts if a.status == "ACTIVE"]
    management: str | None = None
    with contextlib.suppress(TimeoutError):  # then it is offered unmarked, and refused later
        async with asyncio.timeout(max(LOOKUP_BUDGET - (time.monotonic() - started), 0.1)):
            management = await services.breakglass.management_account_id()
    await ack(options=account_options(pairs, typed, management=management))


async def _created_lately(services: Services) -> set[str]:
    """Accounts Outpost created within the time a cached list of accounts is kept."""
    since = services.clock.now() - timedelta(seconds=FRESH_FOR)
    return await services.operations.accounts_created_since(since, among=RECENT_CREATIONS)


async def _read_breakglass(
    view: View, services: Services
) -> tuple[BreakglassForm, AccountSummary] | Invalid:
    """The form, and the account it names once found in the organization."""
    form = parse_breakglass(view)
    if errors := breakglass_errors(form, limits(services)):
        return Invalid(errors)
    try:
        account = await find_account(services.directory, form.account_id, within=LOOKUP_BUDGET)
    except ACCOUNT_LOOKUP_ERRORS as error:
        return Invalid({BlockId.ACCESS_ACCOUNT: account_lookup_problem(error, plain=True)})
    # Told next to the account when AWS answers in time; filing checks it again anyway.
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(MANAGEMENT_CHECK_BUDGET):
            try:
                await services.breakglass.check_account(account.id)
            except (ManagementRefused, ManagementUnchecked) as refusal:
                return Invalid({BlockId.ACCESS_ACCOUNT: answers.refused(refusal)})
    return form, account


@submission(_read_breakglass)
async def breakglass_submitted(
    filing: Submission[tuple[BreakglassForm, AccountSummary]], services: Services
) -> None:
    form, account = filing.form
    request = _request(
        services, account, parse_duration(form.duration_text), form.justification, form.ticket
    )
    answer = await _file(services, filing.client, filing.user, form.channel, request)
    await filing.answer(answer, channel=form.channel)


def _request(
    services: Services,
    account: AccountSummary,
    duration: timedelta,
    justification: str,
    ticket: str | None = None,
) -> AccessRequest:
    """What is asked for, by command or form, with the permission set it would give."""
    return AccessRequest(
        account_id=account.id,
        account_name=account.name,
        duration=duration,
        justification=justification.strip(),
        ticket=ticket.strip() if ticket else None,
        permission_set=services.settings.breakglass_permission_set,
    )


async def _file(
    services: Services, client: AsyncWebClient, user: str, channel: str, request: AccessRequest
) -> str:
    """What the person is told once the request is filed, or why it was not."""
    email = await email_of(client, user)
    if email is None:
        return answers.no_email(user)
    return await _outcome(services.breakglass.file(user, email, request, channel), answers.filed)


# /account grant


async def grant_command(typed: Subcommand, services: Services) -> None:
    if problem := not_set_up(services):
        await typed.tell(problem)
        return
    by = typed.user
    if not await services.breakglass.ops.is_ops(by):
        await typed.tell(answers.NOT_OPS_TO_GRANT)
        return
    if (args := await typed.parsed(parse_grant)) is None:
        return
    if await _terms_refused(typed, services, args.duration, args.reason):
        return
    if (found := await _account(typed, services, args.account)) is None:
        return
    email = await email_of(typed.client, args.user)
    if email is None:
        await typed.tell(answers.no_email(args.user))
        return
    request = _request(services, found, args.duration, args.reason)
    granting = services.breakglass.grant_directly(by, args.user, email, request, typed.channel)
    await typed.tell(await _outcome(granting, answers.granted_directly))


# /account revoke


async def revoke_command(typed: Subcommand, services: Services) -> None:
    if (grant_id := await typed.parsed(parse_revoke)) is None:
        return
    await typed.tell(
        await _outcome(services.breakglass.revoke(grant_id, typed.user), answers.revoked)
    )


# /account audit


async def audit_command(typed: Subcommand, services: Services) -> None:
    user, client, tell = typed.user, typed.client, typed.tell
    try:
        await services.audit.check_reader(user)
    except NotOpsToAudit:
        await tell(NOT_OPS_TO_AUDIT)
        return
    if (args := await typed.parsed(parse_audit)) is None:
        return
    account_id: str | None = None
    shown_account: str | None = None
    if args.account is not None:
        if (found := await _account(typed, services, args.account)) is None:
            return
        account_id, shown_account = found.id, f"{found.name} ({found.id})"
    trail = await services.audit.export(user, args.days, account_id)
    events, total = trail.events, len(trail.events)
    blocks = audit_blocks(
        events, account=shown_account, days=args.days, total=total, capped=trail.capped
    )
    await tell(audit_summary(total, args.days, trail.limit if trail.capped else None), blocks)
    if not events:
        return
    try:
        opened = await client.conversations_open(users=user)
        await client.files_upload_v2(
            channel=opened["channel"]["id"],
            content=audit_csv(events),
            filename=f"outpost-audit-{trail.since:%Y%m%d}-{trail.until:%Y%m%d}.csv",
            title=f"Outpost audit trail, last {audit_period(args.days)}"
            + (f", {shown_account}" if shown_account else ""),
            initial_comment="The audit trail you asked for, as a CSV file.",
        )
    except SlackApiError as error:
        log.warning("could not upload the audit CSV: %s", error.response.get("error"))
        await tell(audit_csv_not_uploaded(str(error.response.get("error"))))


# The card's buttons


@button(DecisionButton.decode)
async def approve_clicked(click: Click[DecisionButton], services: Services) -> None:
    user, private, clicked = click.user, click.private, click.value
    try:
        grant = await services.breakglass.grant(clicked.grant_id)
        if user in grant.asked_by and services.breakglass.may_self_approve(user):
            # An emergency self-approval needs its justification, asked for in a modal.
            await click.open_modal(self_approve_view(clicked.grant_id, clicked.deciding))
            return
        approved = await services.breakglass.approve(clicked.grant_id, clicked.deciding, user)
    except REFUSALS as refusal:
        await private.tell(answers.refused(refusal))
        return
    await private.tell(answers.approved(approved))


@submission(read_note(parse_self_approve, BlockId.SELF_APPROVE_NOTE, check_justification))
async def self_approve_submitted(
    approval: Submission[tuple[SelfApproveMetadata, str]], services: Services
) -> None:
    metadata, note = approval.form
    approving = services.breakglass.approve(metadata.grant_id, metadata.what, approval.user, note)
    await approval.answer(await _outcome(approving, answers.approved))


@button(DecisionButton.decode)
async def deny_clicked(click: Click[DecisionButton], services: Services) -> None:
    """Ops get a modal for the reason; anyone else is told why not before typing anything."""
    if not await services.breakglass.ops.is_ops(click.user):
        await click.private.tell(answers.NOT_OPS_TO_DENY)
        return
    await click.open_modal(
        deny_view(click.value.grant_id, click.value.deciding, _channel(click.body))
    )


def _no_reason(reason: str) -> str | None:
    return None if reason.strip() else answers.DENY_REASON_MISSING


@submission(read_note(parse_deny, BlockId.DENY_REASON, _no_reason))
async def deny_submitted(denial: Submission[tuple[DenyMetadata, str]], services: Services) -> None:
    metadata, reason = denial.form
    user = denial.user
    denying = services.breakglass.deny(metadata.grant_id, metadata.what, user, reason)
    await denial.answer(await _outcome(denying, answers.denied), channel=metadata.channel or user)


@button(RevokeButton.decode)
async def revoke_clicked(click: Click[RevokeButton], services: Services) -> None:
    """Withdraw (pending) and Revoke now (active) share this action; a Withdraw is marked."""
    user, private, clicked = click.user, click.private, click.value
    try:
        if clicked.withdraw:
            grant = await services.breakglass.grant(clicked.grant_id)
            if grant.state is not GrantState.PENDING:
                # Revoking live access takes "Revoke now" and its confirmation, not a stale card.
                await private.tell(answers.not_withdrawn(grant))
                return
        revoked = await services.breakglass.revoke(
            clicked.grant_id, user, only_pending=clicked.withdraw
        )
    except REFUSALS as refusal:
        await private.tell(answers.refused(refusal))
        return
    await private.tell(answers.revoked(revoked))


@button(GrantButton.decode)
async def extend_clicked(click: Click[GrantButton], services: Services) -> None:
    user, private = click.user, click.private
    try:
        grant = await services.breakglass.grant(click.value.grant_id)
    except REFUSALS as refusal:
        await private.tell(answers.refused(refusal))
        return
    if user != grant.requester and not await services.breakglass.ops.is_ops(user):
        await private.tell(answers.NOT_YOURS_TO_EXTEND)
        return
    await click.open_modal(extend_view(grant, limits(services)))


async def _read_extend(
    view: View, services: Services
) -> tuple[ExtendMetadata, ExtendForm] | Invalid:
    metadata, form = parse_extend(view)
    if errors := extend_errors(form, limits(services)):
        return Invalid(errors)
    return metadata, form


@submission(_read_extend)
async def extend_submitted(
    extension: Submission[tuple[ExtendMetadata, ExtendForm]], services: Services
) -> None:
    metadata, form = extension.form
    duration = parse_duration(form.duration_text)
    extending = services.breakglass.extend(metadata.grant_id, extension.user, duration, form.reason)
    answer = await _outcome(extending, lambda extended: answers.extension_asked(extended, duration))
    await extension.answer(answer, channel=metadata.channel)


# Shared


def _channel(body: dict[str, Any]) -> str:
    return str((body.get("channel") or {}).get("id") or body["user"]["id"])


def register(app: AsyncApp) -> None:
    app.options(ActionId.ACCESS_ACCOUNT.value)(account_suggestions)
    app.view(CallbackId.BREAKGLASS.value)(breakglass_submitted)
    app.action(ActionId.APPROVE_ACCESS.value)(approve_clicked)
    app.action(ActionId.DENY_ACCESS.value)(deny_clicked)
    app.action(ActionId.REVOKE_ACCESS.value)(revoke_clicked)
    app.action(ActionId.EXTEND_ACCESS.value)(extend_clicked)
    app.view(CallbackId.DENY.value)(deny_submitted)
    app.view(CallbackId.EXTEND.value)(extend_submitted)
    app.view(CallbackId.SELF_APPROVE.value)(self_approve_submitted)

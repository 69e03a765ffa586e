"""Starting and stopping Outpost's parts in the right order.

Tokens are checked and the store opened first; the engine resumes unfinished operations before
Slack requests are served; `/healthz` says ready only once all of that is up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Any

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.app import build_app, web_client
from bot.aws.account_access import AccountAccessGateway
from bot.aws.baseline_reader import BaselineReader
from bot.aws.caller import AwsCaller
from bot.aws.clients import (
    account_client,
    budgets_client,
    identitystore_client,
    organizations_client,
    scheduler_client,
    sso_admin_client,
)
from bot.aws.directory import AccountDirectory
from bot.aws.errors import AwsCallError
from bot.aws.groups import GroupDirectory
from bot.aws.identity_center import (
    IdentityCenterGateway,
    IdentityCenterMissing,
    PermissionSetNotFound,
)
from bot.aws.organizations import OrganizationsGateway
from bot.aws.retry import RetryPolicy
from bot.aws.scheduler import SchedulerGateway
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.connections import BoundedRunner, BoundedSite
from bot.engine.account_creation import AccountCreation, NewAccounts, PollSchedule
from bot.engine.breakglass import BreakGlass, BreakGlassSettings
from bot.engine.runner import Runner
from bot.engine.stuck import StuckDetector
from bot.listeners import InFlight
from bot.missing_pieces import aws_credentials_problem, missing_pieces
from bot.server import EdgeLimits, web_app
from bot.services.access_review import AccessReview
from bot.services.breakglass import BreakGlassDesk
from bot.services.container import Services
from bot.services.inventory import ManagementAccount
from bot.services.triage import Triage
from bot.slack.breakglass_narrator import BreakGlassOutboxNarrator
from bot.slack.narrator import OutboxNarrator
from bot.slack.outbox import OutboxWorker
from bot.slack.people import OpsDirectory
from bot.slack.tokens import verify_channels, verify_tokens
from bot.store import open_store
from bot.store.base import Store
from bot.ui.text import ops_mention

log = logging.getLogger("outpost")

# How long a stop waits for answers under way (a modal to open, a message to post).
ANSWERS_GRACE = timedelta(seconds=5)
# How long start-up waits for Identity Center to say whether TEAM_PERMISSION_SET is there.
PERMISSION_SET_CHECK = 10.0


async def run(settings: Settings, stop: asyncio.Event, *, host: str = "0.0.0.0") -> None:
    """Run Outpost until `stop` is set, serving HTTP on `host` and `settings.port`."""
    client = web_client(settings)
    identity = await verify_tokens(client, settings)
    await verify_channels(client, settings)
    await _warn_about_missing_pieces(settings)
    clock = SystemClock()
    store = await open_store(settings.database_url, clock=clock)
    try:
        await _serve(settings, stop, store, clock, client, host, identity)
    finally:
        await store.close()


async def _serve(
    settings: Settings,
    stop: asyncio.Event,
    store: Store,
    clock: Clock,
    client: AsyncWebClient,
    host: str,
    identity: AsyncSlackResponse | None,
) -> None:
    ops = OpsDirectory(client, usergroup=settings.ops_usergroup, users=settings.ops_users)

    def mention() -> str:
        who = ops.who()
        return ops_mention(who.usergroup, who.users)

    outbox = OutboxWorker(
        store,
        client,
        poll_interval=settings.engine_poll_interval,
        retry_max=settings.outbox_retry_max,
        clock=clock,
        audit_channel=settings.audit_channel,
        start_url=settings.sso_start_url,
        ops_mention=mention,
        ops_members=ops.members,
        claim_for=settings.engine_lease,
        bot_id=identity.get("bot_id") if identity is not None else None,
    )
    store.on_messages_committed(outbox.wake)  # delivery wakes on every commit that queues
    narrator = OutboxNarrator(store)
    caller = AwsCaller(
        RetryPolicy(
            attempts=settings.aws_retry_attempts,
            base=settings.aws_retry_base,
            maximum=settings.aws_retry_max,
        ),
        clock,
    )
    organizations = OrganizationsGateway(organizations_client(), caller)
    center = IdentityCenterGateway(sso_admin_client(), identitystore_client(), caller)
    await _check_team_permission_set(settings, center)
    workflow = AccountCreation(
        organizations,
        store,
        narrator,
        PollSchedule(settings.create_poll_interval, settings.create_poll_max_interval),
        clock,
        identity_center=center,
    )
    engine = Runner(
        workflow,
        poll_interval=settings.engine_poll_interval,
        lease=settings.engine_lease,
        clock=clock,
    )
    access = _access_worker(
        settings, store, clock, caller, center, BreakGlassOutboxNarrator(store, mention)
    )
    management = ManagementAccount(organizations)
    desk = BreakGlassDesk(
        store=store,
        ops=ops,
        worker=access,
        approvals_channel=settings.approvals_in,
        request_ttl=settings.breakglass_request_ttl,
        self_approvers=frozenset(settings.breakglass_self_approve_users),
        clock=clock,
        management=management,
        allow_management=settings.breakglass_allow_management_account,
    )
    services = Services(
        settings=settings,
        store=store,
        organizations=organizations,
        directory=AccountDirectory(organizations),
        engine=NewAccounts(store, narrator, engine),
        triage=Triage(store, narrator, engine, ops, clock),
        breakglass=desk,
        access_review=_access_review(settings, caller, desk, management),
        clock=clock,
        groups=GroupDirectory(center) if settings.teams_are_groups else None,
    )
    stuck = StuckDetector(
        store,
        narrator,
        mention,
        stuck_after=settings.stuck_after,
        check_every=settings.stuck_check_interval,
        clock=clock,
    )
    bolt = build_app(services, client, identity)
    in_flight = InFlight()
    in_flight.watch(bolt)
    socket_mode = settings.slack_app_token is not None
    ready = False

    def health() -> dict[str, Any]:
        return {
            "status": "ready" if ready else "starting",
            "mode": "socket" if socket_mode else "http",
        }

    limits = EdgeLimits.of(settings)
    app = web_app(
        None if socket_mode else bolt,
        health,
        ready=lambda: ready,
        signing_secret=settings.slack_signing_secret,
        limits=limits,
        clock=clock,
    )
    runner = BoundedRunner(app, limits)
    await runner.setup()
    site = BoundedSite(runner, host=host, port=settings.port)
    await site.start()
    socket_handler: AsyncSocketModeHandler | None = None
    try:
        await outbox.start()
        await engine.start()
        # Its first sweep revokes whatever expired while Outpost was down.
        await access.start()
        await stuck.start()
        if settings.slack_app_token is not None:
            socket_handler = AsyncSocketModeHandler(
                bolt, settings.slack_app_token.get_secret_value()
            )
            if not await _connected_unless_stopped(socket_handler, stop):
                return
        ready = True
        log.info(
            "Outpost is ready: %s mode, port %s",
            "Socket" if socket_mode else "HTTP",
            settings.port,
        )
        await stop.wait()
        log.info("Outpost is stopping")
    finally:
        # No new work: not ready, no new connection, no new Socket Mode request. Then the
        # answers under way are given before the workers stop.
        ready = False
        with contextlib.suppress(Exception):
            await site.stop()
        if socket_handler is not None:
            with contextlib.suppress(Exception):
                await socket_handler.close_async()  # type: ignore[no-untyped-call]
        await in_flight.finish(ANSWERS_GRACE)
        await stuck.stop()
        await access.stop()
        await engine.stop()
        await outbox.stop()
        await runner.cleanup()


async def _warn_about_missing_pieces(settings: Settings) -> None:
    """Say at start-up what the settings leave off, once each: Outpost still starts."""
    aws = await asyncio.to_thread(aws_credentials_problem)
    for line in ([aws] if aws else []) + missing_pieces(settings):
        log.warning("%s", line)


async def _check_team_permission_set(settings: Settings, center: IdentityCenterGateway) -> None:
    """Say at start-up, as a warning, when TEAM_PERMISSION_SET names no permission set: every
    new account's team access step would fail. Outpost starts anyway (AWS may be the one
    unreachable, and creations without a team still work)."""
    wanted = settings.team_permission_set
    if wanted is None:
        return
    try:
        async with asyncio.timeout(PERMISSION_SET_CHECK):
            await center.permission_set(wanted, await center.instance())
    except (IdentityCenterMissing, PermissionSetNotFound) as error:
        why = str(error)
    except AwsCallError as error:
        why = f"{error.failure.operation} failed: {error.failure.code}: {error.failure.message}"
    except TimeoutError:
        why = f"IAM Identity Center did not answer within {PERMISSION_SET_CHECK:.0f}s"
    else:
        return
    log.warning(
        "TEAM_PERMISSION_SET (%s) could not be found: %s; new accounts' team access step "
        "fails until it can",
        wanted,
        why,
    )


def _access_worker(
    settings: Settings,
    store: Store,
    clock: Clock,
    caller: AwsCaller,
    center: IdentityCenterGateway,
    narrator: BreakGlassOutboxNarrator,
) -> Runner:
    scheduler = None
    if settings.scheduler_role_arn:
        scheduler = SchedulerGateway(scheduler_client(), caller, settings.scheduler_role_arn)
    return BreakGlass(
        store,
        center,
        scheduler,
        narrator,
        BreakGlassSettings(
            permission_set=settings.breakglass_permission_set,
            poll_interval=settings.assignment_poll_interval,
            revoke_retry=settings.revoke_retry_interval,
            sweep_interval=settings.sweep_interval,
            lease=settings.engine_lease,
        ),
        clock=clock,
    ).runner()


def _access_review(
    settings: Settings, caller: AwsCaller, desk: BreakGlassDesk, management: ManagementAccount
) -> AccessReview:
    """`/account show`'s readers of who can get in, the contacts and the budget."""
    sso_admin, identity_store = sso_admin_client(), identitystore_client()
    return AccessReview(
        assignments=AccountAccessGateway(
            IdentityCenterGateway(sso_admin, identity_store, caller),
            sso_admin,
            identity_store,
            caller,
        ),
        baseline=BaselineReader(account_client(), budgets_client(), caller),
        grants=desk,
        management=management,
        team_permission_set=settings.team_permission_set,
    )


async def _connected_unless_stopped(handler: AsyncSocketModeHandler, stop: asyncio.Event) -> bool:
    """Connect to Slack, unless asked to stop first: the SDK retries a connection forever."""
    connecting = asyncio.create_task(handler.connect_async())  # type: ignore[no-untyped-call]
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if connecting.done():
        connecting.result()
        return True
    connecting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await connecting
    return False

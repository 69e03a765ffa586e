"""Break-glass flows as the tests drive them: the grant card, its buttons, where people look."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.emulator.aws_faults import ThreadedAwsFaultProxy
from bot.emulator.slack import FakeSlack, SlackMessage
from tests.support.bot_fixtures import bot_env
from tests.support.bot_process import BotProcess
from tests.support.flows import block_text
from tests.support.identity_center import IdentityCenter
from tests.support.organization import Organization
from tests.support.slack_requests import SlackRequests
from tests.support.waiting import eventually

AUDIT = "CAUDIT"
PERMISSION_SET = "BreakGlass"


def access_env(aws: ThreadedAwsFaultProxy, slack: FakeSlack, data: Path) -> dict[str, str]:
    return bot_env(aws.url, slack.base_url, data) | {
        "BREAKGLASS_PERMISSION_SET": PERMISSION_SET,
        "BREAKGLASS_MIN_DURATION": "1s",
        "AUDIT_CHANNEL": AUDIT,
        "OPS_USERS": "UOPS,UOPS2",
        "SSO_START_URL": "https://example.awsapps.com/start",
        "ASSIGNMENT_POLL_INTERVAL": "0.1",
        "SWEEP_INTERVAL": "0.2",
        "REVOKE_RETRY_INTERVAL": "0.5",
    }


def break_glass_bot(
    aws: ThreadedAwsFaultProxy,
    slack: FakeSlack,
    data: Path,
    extra_env: Mapping[str, str] | None = None,
) -> BotProcess:
    """The bot with break-glass set up, not started yet.

    Slack gets the audit channel and a second ops member (UOPS2, otto), so that a request
    UOPS files has someone other than its requester to approve it.
    """
    slack.add_channel(AUDIT, name="access-audit")
    slack.add_user("UOPS2", name="otto", email="otto@example.com")
    env = access_env(aws, slack, data) | dict(extra_env or {})
    return BotProcess(env, data / "bot.log")


def break_glass_center(
    org: Organization, moto_url: str, people: Mapping[str, str]
) -> IdentityCenter:
    """moto's Identity Center, for billing-prod, with the break-glass permission set and a
    user for each of `people` (user name -> email)."""
    center = IdentityCenter.in_moto(moto_url, account=org.account_id("billing-prod"))
    center.permission_set(PERMISSION_SET)
    for name, email in people.items():
        center.user(name, email)
    return center


def permission_set_arn(center: IdentityCenter) -> str:
    arns = center.admin.list_permission_sets(InstanceArn=center.arn)["PermissionSets"]
    return str(arns[0])


def holders(center: IdentityCenter) -> list[str]:
    return [principal for _, principal in center.assigned(permission_set_arn(center))]


def user_id(center: IdentityCenter, user_name: str) -> str:
    found = center.store.get_user_id(
        IdentityStoreId=center.store_id,
        AlternateIdentifier={
            "UniqueAttribute": {"AttributePath": "userName", "AttributeValue": user_name}
        },
    )
    return str(found["UserId"])


def grant_cards(slack: FakeSlack) -> list[SlackMessage]:
    return [
        m
        for m in slack.messages(AUDIT)
        if m.thread_ts is None and m.ephemeral_to is None and "Break-glass" in block_text(m)
    ]


def button(card: SlackMessage, action_id: str) -> str:
    for block in card.blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return str(element["value"])
    raise LookupError(f"no {action_id} button on the card")


async def card_reading(slack: FakeSlack, text: str, timeout: float = 20.0) -> SlackMessage:
    def probe() -> SlackMessage | None:
        found = grant_cards(slack)
        card = slack.message(AUDIT, found[0].ts) if found else None
        return card if card is not None and text in block_text(card) else None

    return await eventually(probe, timeout=timeout, what=f"the grant card to read {text!r}")


def ephemerals(slack: FakeSlack, user: str, channel: str = AUDIT) -> list[str]:
    return [m.text for m in slack.messages(channel) if m.ephemeral_to == user]


def audit_lines(slack: FakeSlack) -> list[str]:
    return [
        block_text(m)
        for m in slack.messages(AUDIT)
        if m.thread_ts is None and m.ephemeral_to is None and "Break-glass" not in block_text(m)
    ]


def direct_messages(slack: FakeSlack, user: str) -> list[str]:
    return [block_text(m) for m in slack.messages(slack.dm_channel(user))]


async def request(requests: SlackRequests, text: str, user: str = "UENGINEER") -> None:
    status, _ = await requests.command(f"breakglass {text}", user=user)
    assert status == 200


async def requested(
    slack: FakeSlack, requests: SlackRequests, text: str, user: str = "UENGINEER"
) -> SlackMessage:
    """`user` asks for access with `/account breakglass {text}`: the grant card, once it waits
    for approval."""
    await request(requests, text, user=user)
    return await card_reading(slack, "Waiting for approval")


async def click(
    requests: SlackRequests, card: SlackMessage, action_id: str, user: str, value: Any = None
) -> None:
    status, _ = await requests.click(
        action_id,
        value if value is not None else button(card, action_id),
        channel=AUDIT,
        message_ts=card.ts,
        user=user,
    )
    assert status == 200

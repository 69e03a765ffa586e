"""The sandbox as its page drives it: the flows, the fault controls, bad requests, Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import re
import socket
from pathlib import Path
from typing import Any

from bot.sandbox.aws import client
from tests.sandbox.conftest import Sandbox, start_sandbox

ERIN, OMAR, OLGA = "UERIN", "UOMAR", "UOLGA"


def cards(state: dict[str, Any], channel: str = "CPLATFORM") -> list[dict[str, Any]]:
    return [
        m
        for m in state["messages"]
        if m["channel"] == channel and m["thread_ts"] is None and not m["ephemeral"]
    ]


def replies(state: dict[str, Any], parent: dict[str, Any]) -> list[str]:
    return [m["text"] for m in state["messages"] if m["thread_ts"] == parent["ts"]]


def shown(message: dict[str, Any]) -> str:
    return json.dumps(message["blocks"]) + message["text"]


def people_with_access(aws: dict[str, Any]) -> list[tuple[str, str]]:
    """(account, person) of each assignment to a user: teams' group assignments left out."""
    return [
        (a["account_name"], a["user"])
        for a in aws["identity_center"]["assignments"]
        if a["principal_type"] == "USER"
    ]


async def click(
    sandbox: Sandbox, persona: str, channel: str, message: dict[str, Any], action_id: str
) -> None:
    """Click the button `action_id` of `message`, as `persona`."""
    block_id, button = next(
        (block.get("block_id"), element)
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"] == action_id
    )
    status, body = await sandbox.post(
        "/api/action",
        {
            "as": persona,
            "container": {"type": "message", "channel": channel, "message_ts": message["ts"]},
            "action": {
                "type": "button",
                "action_id": action_id,
                "block_id": block_id,
                "value": button["value"],
            },
        },
    )
    assert status == 200, body


async def create_account(
    sandbox: Sandbox, name: str, *, fault: dict[str, Any] | None = None
) -> None:
    """Type /account new as Erin and submit the form for `name` in the Sandbox OU.

    `fault` is set once the form is filled in, so that it meets the creation, not the form.
    """
    await sandbox.type(ERIN, "/account new")
    modal = await sandbox.until(
        ERIN,
        lambda s: s["modal"] if s["modal"] and s["modal"]["view"].get("submit") else None,
        "the new-account form",
    )
    values: dict[str, Any] = {}
    for block in modal["view"]["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        if element["type"] == "static_select":
            option = next(o for o in element["options"] if o["text"]["text"].endswith("Sandbox"))
            value = {"type": "static_select", "selected_option": option}
        else:
            typed = {"account_name": name, "team": "payments", "purpose": "trying Outpost"}
            value = {"type": "plain_text_input", "value": typed.get(block["block_id"])}
        values[block["block_id"]] = {element["action_id"]: value}
    if fault is not None:
        status, _ = await sandbox.post("/api/faults", fault)
        assert status == 200
    status, answer = await sandbox.post(
        "/api/submit", {"as": ERIN, "view_id": modal["id"], "values": values}
    )
    assert status == 200 and answer.get("closed"), answer


async def test_an_account_is_created_and_a_throttled_call_is_retried_in_the_thread(
    sandbox: Sandbox,
) -> None:
    status, faults = await sandbox.post("/api/faults", {"kind": "throttle", "count": 2})
    assert status == 200 and faults["throttle_remaining"] == 2

    # Opening the form reads the organization: those reads are not the ones throttled.
    await create_account(sandbox, "demo-web")

    card = await sandbox.until(
        ERIN,
        lambda s: next((c for c in cards(s) if "succeeded" in shown(c)), None),
        "the card to read succeeded",
    )
    thread = replies(await sandbox.state(ERIN), card)
    assert any("TooManyRequestsException" in line for line in thread), thread
    names = [a["name"] for a in (await sandbox.aws())["organization"]["accounts"]]
    assert "demo-web" in names


async def test_a_failed_creation_shows_aws_reason_and_creates_nothing(sandbox: Sandbox) -> None:
    # A reason fixed outside Outpost: the same request then succeeds (an email AWS refused
    # would need a new request instead).
    status, faults = await sandbox.post(
        "/api/faults", {"kind": "fail_create", "reason": "INVALID_ADDRESS"}
    )
    assert status == 200 and faults["fail_next_create"] == "INVALID_ADDRESS"

    await create_account(sandbox, "doomed-web")

    card = await sandbox.until(
        ERIN,
        lambda s: next((c for c in cards(s) if "failed" in shown(c).lower()), None),
        "the card to read failed",
    )
    thread = " ".join(replies(await sandbox.state(ERIN), card))
    assert "INVALID_ADDRESS" in thread
    names = [a["name"] for a in (await sandbox.aws())["organization"]["accounts"]]
    assert "doomed-web" not in names

    # The fault was for one CreateAccount: Retry on the card now creates the account.
    await click(sandbox, ERIN, "CPLATFORM", card, "retry_operation")
    await sandbox.until(
        ERIN,
        lambda s: next((c for c in cards(s) if "succeeded" in shown(c)), None),
        "the retried card to read succeeded",
    )
    names = [a["name"] for a in (await sandbox.aws())["organization"]["accounts"]]
    assert "doomed-web" in names


async def test_a_stalled_creation_finishes_once_released(sandbox: Sandbox) -> None:
    await sandbox.post("/api/faults", {"kind": "stall_create", "on": True})
    await create_account(sandbox, "slow-web")
    await sandbox.until(ERIN, lambda s: cards(s), "the card")
    await asyncio.sleep(3)  # three status polls, each answered IN_PROGRESS
    state = await sandbox.state(ERIN)
    assert "succeeded" not in shown(cards(state)[0])
    assert state["faults"]["stall_create"] is True

    await sandbox.post("/api/faults", {"kind": "stall_create", "on": False})

    await sandbox.until(
        ERIN,
        lambda s: next((c for c in cards(s) if "succeeded" in shown(c)), None),
        "the card to read succeeded once released",
    )


def give_contact_and_budget_then_close(endpoint: str, account_id: str, management: str) -> None:
    """What the creation's baseline steps and a closure do to an account, made straight in the
    sandbox's AWS (blocking: boto3)."""
    client("account", endpoint).put_alternate_contact(
        AccountId=account_id,
        AlternateContactType="SECURITY",
        Name="Search on-call",
        Title="Security contact",
        EmailAddress="search-security@sandbox.example",
        PhoneNumber="+1 555 0100",
    )
    client("budgets", endpoint).create_budget(
        AccountId=management,
        Budget={
            "BudgetName": f"outpost-{account_id}",
            "BudgetLimit": {"Amount": "500", "Unit": "USD"},
            "CostFilters": {"LinkedAccount": [account_id]},
            "TimeUnit": "MONTHLY",
            "BudgetType": "COST",
        },
        NotificationsWithSubscribers=[
            {
                "Notification": {
                    "NotificationType": "ACTUAL",
                    "ComparisonOperator": "GREATER_THAN",
                    "Threshold": threshold,
                    "ThresholdType": "PERCENTAGE",
                },
                "Subscribers": [{"SubscriptionType": "EMAIL", "Address": "search@sandbox.example"}],
            }
            for threshold in (80.0, 100.0)
        ],
    )
    client("organizations", endpoint).close_account(AccountId=account_id)


async def test_the_aws_panel_shows_teams_their_access_contacts_budgets_and_closed_accounts(
    sandbox: Sandbox,
) -> None:
    aws = await sandbox.aws()
    groups = {g["name"]: g["members"] for g in aws["identity_center"]["groups"]}
    assert groups == {
        "team-payments": ["Erin Engineer"],
        "team-search": ["Omar Okafor"],
        "team-platform": ["Olga Lindqvist", "Priya Patel"],
    }
    teams = {
        (a["account_name"], a["group"], a["permission_set"])
        for a in aws["identity_center"]["assignments"]
        if a["principal_type"] == "GROUP"
    }
    assert ("search-staging", "team-search", "AdministratorAccess") in teams
    assert people_with_access(aws) == []
    assert "Closed" in {ou["name"] for ou in aws["organization"]["ous"]}
    assert aws["contacts"] == [] and aws["budgets"] == []

    found = re.search(r"AWS: moto at (http://\S+)", sandbox.log)
    assert found, sandbox.log
    staging = next(a for a in aws["organization"]["accounts"] if a["name"] == "search-staging")
    management = aws["organization"]["management_account_id"]
    await asyncio.to_thread(
        give_contact_and_budget_then_close, found.group(1), staging["id"], management
    )

    aws = await sandbox.aws()
    assert aws["contacts"] == [
        {
            "account_id": staging["id"],
            "account_name": "search-staging",
            "type": "SECURITY",
            "name": "Search on-call",
            "title": "Security contact",
            "email": "search-security@sandbox.example",
            "phone": "+1 555 0100",
        }
    ]
    (budget,) = aws["budgets"]
    assert budget["accounts"] == [{"id": staging["id"], "name": "search-staging"}]
    assert (budget["amount"], budget["unit"], budget["time_unit"]) == ("500", "USD", "MONTHLY")
    assert [alert["threshold"] for alert in budget["alerts"]] == [80.0, 100.0]
    closed = next(a for a in aws["organization"]["accounts"] if a["id"] == staging["id"])
    assert closed["status"] == "SUSPENDED"


async def test_messages_held_while_slack_is_down_arrive_once_it_is_back(
    sandbox: Sandbox,
) -> None:
    await sandbox.type(OMAR, "/account breakglass search-prod 30m looking into search latency")
    await sandbox.until(OLGA, lambda s: cards(s, "CAPPROVALS"), "the request card")
    status, faults = await sandbox.post("/api/faults", {"kind": "slack_down", "seconds": 60})
    assert status == 200 and faults["slack_down_until"] is not None
    state = await sandbox.state(OLGA)
    assert state["faults"]["slack_down_until"] is not None
    await click(sandbox, OLGA, "CAPPROVALS", cards(state, "CAPPROVALS")[0], "approve_access")
    # AWS gives the access while Slack is down; the card cannot say so yet.
    for _ in range(100):
        if people_with_access(await sandbox.aws()):
            break
        await asyncio.sleep(0.2)
    await asyncio.sleep(1.5)  # three outbox attempts, each refused
    assert "Active until" not in shown(cards(await sandbox.state(OLGA), "CAPPROVALS")[0])

    await sandbox.post("/api/faults", {"kind": "slack_down", "seconds": 0})

    await sandbox.until(
        OLGA,
        lambda s: "Active until" in shown(cards(s, "CAPPROVALS")[0]),
        "the card to show the access once Slack is back",
    )
    assert people_with_access(await sandbox.aws()) == [("search-prod", "Omar Okafor")]


async def test_what_slack_would_refuse_is_refused_and_changes_nothing(sandbox: Sandbox) -> None:
    before = await sandbox.state(ERIN)

    status, body = await sandbox.post(
        "/api/message", {"as": "UNOBODY", "channel": "CPLATFORM", "text": "hi"}
    )
    assert status == 400 and "as must be one of UERIN" in body["error"]
    status, body = await sandbox.post("/api/message", "{not json")
    assert status == 400 and "JSON object" in body["error"]
    status, body = await sandbox.post(
        "/api/message", {"as": ERIN, "channel": "CPLATFORM", "thread_ts": "1.2", "text": "/account"}
    )
    assert status == 400 and body["error"] == "/account is not supported in threads. Sorry!"
    status, body = await sandbox.post(
        "/api/message", {"as": ERIN, "channel": "CPLATFORM", "text": "/deploy now"}
    )
    assert status == 400 and "/deploy is not a valid command" in body["error"]
    status, body = await sandbox.post("/api/faults", {"kind": "throttle", "count": 0})
    assert status == 400 and "from 1 to 50" in body["error"]
    status, body = await sandbox.post("/api/faults", {"kind": "fail_create", "reason": "NOPE"})
    assert status == 400 and "EMAIL_ALREADY_EXISTS" in body["error"]

    after = await sandbox.state(ERIN)
    assert after["messages"] == before["messages"]
    assert after["faults"] == before["faults"]


async def test_what_people_type_is_stored_escaped_and_a_mention_reaches_outpost(
    sandbox: Sandbox,
) -> None:
    await sandbox.type(ERIN, "<b>bold?</b> @Outpost help")

    state = await sandbox.until(
        ERIN, lambda s: s if len(s["messages"]) >= 2 else None, "Outpost's answer"
    )
    mine = state["messages"][0]
    assert mine["text"] == "&lt;b&gt;bold?&lt;/b&gt; <@UOUTPOST> help"
    assert state["messages"][1]["user"] == "UOUTPOST"


async def test_ctrl_c_stops_it_and_removes_its_temporary_store() -> None:
    sandbox = await start_sandbox("--port", "0")
    try:
        folder = Path(_logged_store(sandbox.log)).parent
        assert folder.exists()
        version = (await sandbox.state(ERIN))["version"]
        # A page waiting for changes, as an open browser tab always is.
        waiting = asyncio.create_task(sandbox.get(f"/api/state?as={ERIN}&since={version}"))
        await asyncio.sleep(0.5)
    finally:
        code = await sandbox.stop()

    assert code == 0
    assert (await waiting)[0] == 200

    assert "stopping" in sandbox.log
    assert "Traceback" not in sandbox.log
    assert not folder.exists()


async def test_a_taken_port_moves_the_page_to_the_next_free_one() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        sandbox = await start_sandbox("--port", str(port))
        try:
            assert sandbox.url != f"http://127.0.0.1:{port}"
            assert int(sandbox.url.rsplit(":", 1)[1]) > port
            assert f"port {port} is taken" in sandbox.log
        finally:
            await sandbox.stop()


def _logged_store(log: str) -> str:
    line = next(line for line in log.splitlines() if "store: " in line)
    return line.split("store: ", 1)[1].split(" ", 1)[0]


async def test_ops_grant_by_mentioning_someone_as_slack_escapes_it(sandbox: Sandbox) -> None:
    await sandbox.type(OLGA, "/account grant @omar search-prod 30m pairing on the search outage")

    await sandbox.until(
        OLGA,
        lambda s: any(
            "Active until" in shown(c) and "UOMAR" in shown(c) for c in cards(s, "CAPPROVALS")
        ),
        "the granted access's card",
    )
    assert people_with_access(await sandbox.aws()) == [("search-prod", "Omar Okafor")]


async def test_a_persona_acts_only_on_what_they_see(sandbox: Sandbox) -> None:
    await sandbox.type(ERIN, "/account help")
    help_answer = await sandbox.until(
        ERIN, lambda s: next((m for m in s["messages"] if m["ephemeral"]), None), "the help"
    )
    await sandbox.post("/api/home", {"as": ERIN})
    home = await sandbox.until(ERIN, lambda s: s["home"], "Erin's App Home")
    before = await sandbox.state(ERIN)

    attempts = [
        # Olga clicks on the answer only Erin sees.
        (
            "/api/action",
            {
                "as": OLGA,
                "container": {
                    "type": "message",
                    "channel": "CPLATFORM",
                    "message_ts": help_answer["ts"],
                },
                "action": {"type": "button", "action_id": "anything"},
            },
            "That message is gone.",
        ),
        # A button that is not on the message.
        (
            "/api/action",
            {
                "as": ERIN,
                "container": {
                    "type": "message",
                    "channel": "CPLATFORM",
                    "message_ts": help_answer["ts"],
                },
                "action": {"type": "button", "action_id": "approve_access"},
            },
            "no such button",
        ),
        # The App Home is not a modal to close or submit.
        ("/api/close", {"as": ERIN, "view_id": home["id"]}, "That window is closed."),
        ("/api/submit", {"as": ERIN, "view_id": home["id"], "values": {}}, "closed"),
        # A reply to a thread that is not there, a channel that is not one.
        (
            "/api/message",
            {"as": ERIN, "channel": "CPLATFORM", "thread_ts": "1.000001", "text": "hi"},
            "That message is gone.",
        ),
        (
            "/api/message",
            {"as": ERIN, "channel": ["CPLATFORM"], "thread_ts": None, "text": "hi"},
            "channel must be one of",
        ),
        # Outpost's Messages tab is read-only.
        (
            "/api/message",
            {"as": ERIN, "channel": "DUERIN", "thread_ts": None, "text": "hello"},
            "Sending messages to this app has been turned off.",
        ),
    ]
    for path, body, expected in attempts:
        status, answer = await sandbox.post(path, body)
        assert status == 400 and expected in answer["error"], (path, body, answer)

    after = await sandbox.state(ERIN)
    assert after["messages"] == before["messages"]
    assert after["home"] == before["home"]


async def test_other_web_sites_cannot_use_the_api(sandbox: Sandbox) -> None:
    before = await sandbox.state(ERIN)
    down = json.dumps({"kind": "slack_down", "seconds": 600})

    as_a_form = await sandbox.raw_post("/api/faults", down, {"Content-Type": "text/plain"})
    from_elsewhere = await sandbox.raw_post(
        "/api/faults",
        down,
        {"Content-Type": "application/json", "Origin": "https://elsewhere.example"},
    )
    rebound = await sandbox.raw_post(
        "/api/faults", down, {"Content-Type": "application/json", "Host": "evil.example"}
    )

    assert [as_a_form, from_elsewhere, rebound] == [400, 403, 403]
    assert (await sandbox.state(ERIN))["faults"] == before["faults"]


async def test_the_environment_cannot_send_the_sandbox_to_real_aws() -> None:
    nowhere = "http://127.0.0.1:9"
    sandbox = await start_sandbox(
        "--port",
        "0",
        env={
            "AWS_PROFILE": "production",
            "AWS_ENDPOINT_URL_ORGANIZATIONS": nowhere,
            "AWS_ENDPOINT_URL": nowhere,
            "HTTP_PROXY": nowhere,
            "HTTPS_PROXY": nowhere,
        },
    )
    try:
        await create_account(sandbox, "isolated-web")
        await sandbox.until(
            ERIN,
            lambda s: next((c for c in cards(s) if "succeeded" in shown(c)), None),
            "the account to be created in the sandbox's own AWS",
        )
    finally:
        await sandbox.stop()


async def test_a_reloaded_page_has_no_modal_left_open(sandbox: Sandbox) -> None:
    # As in Slack, a modal lives in the page that opened it: a reload closes it, so it cannot
    # come back under the drawers or over a page that no longer knows it.
    await sandbox.type(ERIN, "/account new")
    await sandbox.until(ERIN, lambda s: s["modal"], "the new-account form")
    status, body = await sandbox.post("/api/opened", {"as": ERIN})
    assert status == 200, body
    assert (await sandbox.state(ERIN))["modal"] is None
    # Only the persona whose page was reloaded: nobody else's modal is touched.
    await sandbox.type(OMAR, "/account new")
    await sandbox.until(OMAR, lambda s: s["modal"], "Omar's form")
    await sandbox.post("/api/opened", {"as": ERIN})
    assert (await sandbox.state(OMAR))["modal"] is not None

"""The sandbox's web page and the JSON API behind it.

The page (static/) shows the emulated workspace as one person sees it and follows it live by long
polling `GET /api/state`; what the person does comes back as `POST /api/…` and goes through
`Workspace`, which acts as Slack towards the bot. Every request names who acts (`as`), one of the
sandbox's personas. Answers are JSON; a request that cannot be done gets 400 with a readable
`error` and changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Final

from aiohttp import web

from bot.domain.errors import InvalidInput
from bot.emulator.slack import FakeSlack, SlackMessage
from bot.sandbox.aws import SeededAws
from bot.sandbox.faults import FaultControls, FaultError, create_failure_reasons
from bot.sandbox.people import CHANNELS, PERSONAS, persona
from bot.sandbox.workspace import ActionRefused, Workspace

log = logging.getLogger("outpost.sandbox")

STATIC: Final = Path(__file__).parent / "static"
LONG_POLL: Final = 20.0
_LOOPBACK_NAMES: Final = frozenset({"127.0.0.1", "localhost"})
WORKSPACE_NAME: Final = "Outpost sandbox"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class BadRequest(InvalidInput):
    """A request the page should not have sent; the message says what is accepted."""


def page_app(
    slack: FakeSlack, workspace: Workspace, faults: FaultControls, aws: SeededAws
) -> web.Application:
    """The page, its static files, and the JSON API it uses."""
    page = _Page(slack, workspace, faults, aws)
    app = web.Application(middlewares=[_refusals, _same_origin])
    app.router.add_get("/", page.index)
    app.router.add_static("/static/", STATIC, show_index=False)
    app.router.add_get("/api/state", page.state)
    app.router.add_get("/api/aws", page.aws)
    app.router.add_get("/api/files/{file_id}", page.file)
    app.router.add_post("/api/message", page.message)
    app.router.add_post("/api/action", page.action)
    app.router.add_post("/api/options", page.options)
    app.router.add_post("/api/submit", page.submit)
    app.router.add_post("/api/close", page.close)
    app.router.add_post("/api/opened", page.opened)
    app.router.add_post("/api/home", page.home)
    app.router.add_post("/api/faults", page.set_fault)
    return app


@web.middleware
async def _refusals(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except (BadRequest, ActionRefused, FaultError) as problem:
        return web.json_response({"ok": False, "error": str(problem)}, status=400)


@web.middleware
async def _same_origin(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Only the page itself uses the API: not another web site the visitor has open.

    A page elsewhere could otherwise post to 127.0.0.1 (a form or a "simple" request needs no
    permission) or, through DNS rebinding, read the workspace. So the Host must be this
    server's loopback address, a POST must be JSON (which a cross-site form cannot send
    without asking), and an Origin, when there is one, must be this server's.
    """
    host = request.host.rpartition(":")[0] or request.host
    if host not in _LOOPBACK_NAMES:
        return web.json_response({"ok": False, "error": "unknown host"}, status=403)
    origin = request.headers.get("Origin")
    if origin is not None and origin != f"{request.scheme}://{request.host}":
        return web.json_response({"ok": False, "error": "cross-site request"}, status=403)
    if request.method == "POST" and request.content_type != "application/json":
        raise BadRequest("the body must be JSON, sent as application/json")
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


class _Page:
    def __init__(
        self, slack: FakeSlack, workspace: Workspace, faults: FaultControls, aws: SeededAws
    ) -> None:
        self._slack = slack
        self._workspace = workspace
        self._faults = faults
        self._aws = aws

    async def index(self, _: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    async def state(self, request: web.Request) -> web.StreamResponse:
        # A first visit names nobody yet: it sees the workspace as the first persona.
        user = _persona_id(request.query.get("as", PERSONAS[0].id))
        since = request.query.get("since")
        if since is not None and since.isdigit():
            await self._slack.wait_changed(int(since), LONG_POLL)
        return web.json_response(self._state(user))

    async def aws(self, _: web.Request) -> web.StreamResponse:
        return web.json_response(await asyncio.to_thread(self._aws.describe))

    async def file(self, request: web.Request) -> web.StreamResponse:
        user = _persona_id(request.query.get("as"))
        found = self._slack.file(request.match_info["file_id"])
        shared_in = {c.id for c in CHANNELS} | {self._slack.dm_channel(user)}
        if found is None or found.channel not in shared_in:
            raise web.HTTPNotFound(text="no such file")
        return web.Response(
            body=found.content,
            content_type="text/csv" if found.filename.endswith(".csv") else "text/plain",
            headers={"Content-Disposition": f'attachment; filename="{found.filename}"'},
        )

    async def message(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        user = _persona_id(body.get("as"))
        channel = self._channel_for(user, body.get("channel"))
        thread_ts = _optional_str(body, "thread_ts")
        await self._workspace.type(user, channel, thread_ts, _str(body, "text"))
        return _ok()

    async def action(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        user = _persona_id(body.get("as"))
        action = _action(body.get("action"))
        container = body.get("container")
        if not isinstance(container, dict):
            raise BadRequest("container must be an object")
        kind = container.get("type")
        if kind == "message":
            channel = self._channel_for(user, container.get("channel"))
            await self._workspace.act_on_message(
                user, channel, _str(container, "message_ts"), action
            )
        elif kind in ("view", "home"):
            view_id = _optional_str(container, "view_id") if kind == "view" else None
            await self._workspace.act_on_view(user, view_id, action, _values(body))
        else:
            raise BadRequest("container.type must be message, view or home")
        return _ok()

    async def options(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        typed = body.get("value")
        answer = await self._workspace.options(
            _persona_id(body.get("as")),
            _str(body, "view_id"),
            _str(body, "action_id"),
            _str(body, "block_id"),
            typed if isinstance(typed, str) else "",
        )
        return web.json_response(answer)

    async def submit(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        result = await self._workspace.submit(
            _persona_id(body.get("as")), _str(body, "view_id"), _values(body)
        )
        answer: dict[str, Any] = {"ok": True}
        if result.errors is not None:
            answer["errors"] = result.errors
        answer.update(closed=result.closed, updated=result.updated)
        return web.json_response(answer)

    async def close(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        await self._workspace.close(_persona_id(body.get("as")), _str(body, "view_id"))
        return _ok()

    async def opened(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        await self._workspace.page_opened(_persona_id(body.get("as")))
        return _ok()

    async def home(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        await self._workspace.open_home(_persona_id(body.get("as")))
        return _ok()

    async def set_fault(self, request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        kind = body.get("kind")
        if kind == "throttle":
            self._faults.throttle(body.get("count"))
        elif kind == "fail_create":
            self._faults.fail_next_create(body.get("reason"))
        elif kind == "stall_create":
            self._faults.stall_creation(body.get("on"))
        elif kind == "slack_down":
            self._faults.slack_down(body.get("seconds", 60))
        elif kind == "clear":
            self._faults.clear()
        else:
            raise BadRequest(
                "kind must be one of throttle, fail_create, stall_create, slack_down, clear"
            )
        return web.json_response(self._faults.status())

    # --- the state a page shows -------------------------------------------------------

    def _state(self, user: str) -> dict[str, Any]:
        messages = self._slack.visible_to(user)
        replies: dict[tuple[str, str], int] = {}
        for message in messages:
            if message.thread_ts is not None:
                key = (message.channel, message.thread_ts)
                replies[key] = replies.get(key, 0) + 1
        modal = self._slack.modal_of(user)
        faults = self._faults.status()
        return {
            "version": self._slack.version,
            "me": user,
            "workspace": WORKSPACE_NAME,
            "personas": [
                {
                    "id": p.id,
                    "name": p.name,
                    "real_name": p.real_name,
                    "role": p.role,
                    "title": p.title,
                }
                for p in PERSONAS
            ],
            "bot": {"id": self._slack.bot_user_id, "name": "Outpost"},
            "users": self._users(),
            "channels": [
                *(
                    {"id": c.id, "name": c.name, "kind": "channel", "topic": c.topic}
                    for c in CHANNELS
                ),
                {"id": self._slack.dm_channel(user), "name": "Outpost", "kind": "dm"},
            ],
            "messages": [self._shown(m, replies) for m in messages],
            "modal": None
            if modal is None
            else {
                "id": modal["id"],
                "view": modal,
                "errors": self._workspace.modal_errors(modal["id"]),
            },
            "home": self._slack.published_home(user),
            "faults": faults,
            "fault_choices": {"create_failure_reasons": create_failure_reasons()},
            "file_url": "/api/files/",
        }

    def _users(self) -> dict[str, dict[str, str]]:
        users: dict[str, dict[str, str]] = {}
        for user_id, name, _ in self._slack.users():
            known = persona(user_id)
            users[user_id] = {
                "name": name,
                "real_name": known.real_name if known else name.capitalize(),
            }
        users[self._slack.bot_user_id]["real_name"] = "Outpost"
        return users

    def _channel_for(self, user: str, channel: Any) -> str:
        allowed = {c.id for c in CHANNELS} | {self._slack.dm_channel(user)}
        if not isinstance(channel, str) or channel not in allowed:
            raise BadRequest(f"channel must be one of {', '.join(sorted(allowed))}")
        return str(channel)

    def _shown(self, message: SlackMessage, replies: dict[tuple[str, str], int]) -> dict[str, Any]:
        files = []
        for file_id in message.files:
            shared = self._slack.file(file_id)
            name = shared.filename if shared else file_id
            files.append({"id": file_id, "name": name, "title": shared.title if shared else name})
        return _message_json(message, replies, files)


def _message_json(
    message: SlackMessage, replies: dict[tuple[str, str], int], files: list[dict[str, str]]
) -> dict[str, Any]:
    return {
        "channel": message.channel,
        "ts": message.ts,
        "user": message.user,
        "text": message.text,
        "blocks": message.blocks,
        "thread_ts": message.thread_ts,
        "reply_count": replies.get((message.channel, message.ts), 0),
        "ephemeral": message.ephemeral_to is not None,
        "edited": message.updates > 0,
        "files": files,
    }


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise BadRequest("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _persona_id(value: Any) -> str:
    if not isinstance(value, str) or persona(value) is None:
        ids = ", ".join(p.id for p in PERSONAS)
        raise BadRequest(f"as must be one of {ids}")
    return value


def _str(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise BadRequest(f"{name} must be a non-empty string")
    return value


def _optional_str(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise BadRequest(f"{name} must be a non-empty string or null")
    return value


def _action(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadRequest("action must be an object")
    for name in ("type", "action_id"):
        if not isinstance(value.get(name), str) or not value[name]:
            raise BadRequest(f"action.{name} must be a non-empty string")
    return value


def _values(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    values = body.get("values", {})
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        raise BadRequest("values must be an object of objects, as a view's state.values")
    return values


def _ok() -> web.Response:
    return web.json_response({"ok": True})

"""The fake Slack's HTTP server: ``/api/<method>`` to the area that serves it, and outages.

Every Web API call goes the same way, as at Slack's edge: an injected fault (5xx, 429, an
outage) answers first, then an unknown method is ``unknown_method``, then the token is checked
(``auth``), and only then does the method's area act. A refusal is Slack's ``{"ok": false}``
with HTTP 200, and a refused call never changes the workspace. Every call is recorded, without
its token. The other URLs the fake hands out (uploads, response URLs, Socket Mode) are served
here too, and go down with the rest.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web

from bot.emulator.slack.auth import Auth
from bot.emulator.slack.model import RecordedCall
from bot.emulator.slack.refusals import Args, Handler, Refusal
from bot.emulator.slack.socket_mode import SocketModeServer
from bot.emulator.slack.wire import bearer_token, headers_but_auth, read_args
from bot.emulator.slack.workspace import Workspace

Endpoint = Callable[[web.Request], Awaitable[web.Response]]


class ApiArea(Protocol):
    """One API area: the methods it serves, by name (``chat.postMessage``)."""

    def methods(self) -> Mapping[str, Handler]: ...


@dataclass(frozen=True)
class _Fault:
    status: int
    retry_after: int = 1


class SlackServer:
    """Serves the Web API's methods, the fake's other URLs, and the faults tests inject."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        auth: Auth,
        areas: Iterable[ApiArea],
        endpoints: Mapping[str, Endpoint],
        socket_mode: SocketModeServer,
    ) -> None:
        """`endpoints` are the other URLs, by path, that take a POST."""
        self._ws = workspace
        self._auth = auth
        self._methods: dict[str, Handler] = {}
        for area in (*areas, socket_mode):
            self._methods.update(area.methods())
        self._endpoints = dict(endpoints)
        self._socket_mode = socket_mode
        self._faults: deque[_Fault] = deque()
        self._down: _Fault | None = None
        self._held: dict[str, deque[float]] = {}
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

    # --- lifecycle --------------------------------------------------------------------

    async def start(self, host: str, port: int) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._serve)
        for path, endpoint in self._endpoints.items():
            app.router.add_post(path, self._unless_down(endpoint))
        self._socket_mode.install(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound_port = self._runner.addresses[0][1]
        self._ws.root_url = f"http://{host}:{bound_port}"
        self._base_url = f"{self._ws.root_url}/api/"
        self._socket_mode.bind(host, bound_port)
        return self._base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("FakeSlack is not started")
        return self._base_url

    # --- faults -----------------------------------------------------------------------

    def fail_next(self, count: int, *, status: int) -> None:
        self._faults.extend(_Fault(status) for _ in range(count))

    def rate_limit_next(self, count: int, *, retry_after: int) -> None:
        self._faults.extend(_Fault(429, retry_after) for _ in range(count))

    def hold_next_answer(self, method: str, seconds: float) -> None:
        self._held.setdefault(method, deque()).append(seconds)

    def set_down(self, down: bool, *, status: int) -> None:
        self._down = _Fault(status) if down else None
        self._ws.mark_changed()

    @property
    def is_down(self) -> bool:
        return self._down is not None

    # --- serving ----------------------------------------------------------------------

    async def _serve(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        headers = headers_but_auth(request)
        try:
            args = await read_args(request)
        except Refusal as refusal:
            return self._reply(method, {}, refusal.body(), headers)
        token = bearer_token(request) or args.pop("token", None)
        args.pop("token", None)
        fault = self._down or (self._faults.popleft() if self._faults else None)
        if fault is not None:
            return self._fault_reply(method, args, fault, headers)
        try:
            handler = self._methods.get(method)
            if handler is None:
                raise Refusal("unknown_method")
            self._auth.authenticate(method, token)
            body = {"ok": True, **await handler(args)}
        except Refusal as refusal:
            body = refusal.body()
        held = self._held.get(method)
        if held and body["ok"]:
            await asyncio.sleep(held.popleft())
        return self._reply(method, args, body, headers)

    def _reply(
        self, method: str, args: Args, body: dict[str, Any], headers: dict[str, str]
    ) -> web.Response:
        self._ws.calls.append(
            RecordedCall(method, args, body["ok"], body.get("error"), 200, headers)
        )
        return web.json_response(body)

    def _fault_reply(
        self, method: str, args: Args, fault: _Fault, headers: dict[str, str]
    ) -> web.Response:
        if fault.status == 429:
            self._ws.calls.append(RecordedCall(method, args, False, "ratelimited", 429, headers))
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(fault.retry_after)},
            )
        # Slack's edge answers outages with an HTML page, not the API's JSON envelope.
        self._ws.calls.append(
            RecordedCall(method, args, False, f"http_{fault.status}", fault.status, headers)
        )
        return web.Response(
            status=fault.status,
            text=f"<html><body><h1>{fault.status}</h1></body></html>",
            content_type="text/html",
        )

    def _unless_down(self, endpoint: Endpoint) -> Endpoint:
        """`endpoint`, answered with the outage's bare status while Slack is down."""

        async def serve(request: web.Request) -> web.Response:
            if self._down is not None:
                return web.Response(status=self._down.status, text=f"{self._down.status}")
            return await endpoint(request)

        return serve

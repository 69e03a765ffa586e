"""How many HTTP connections Outpost holds at once, and for how long, so that slow clients
cannot exhaust its open files.

aiohttp keeps each connection it accepts, with no cap, for as long as its keep-alive timer
allows. At the open-file limit accept() fails and nothing is served any more, `/healthz`
included, while asyncio logs each failed accept with a traceback. Here:

- connections are accepted one at a time (asyncio's server accepts up to its backlog in one
  go, faster than the surplus can be closed), each one counted before the next is taken;

- a new connection has `header_timeout` to deliver its first request's headers, however it
  trickles them; between two requests it may stay idle for `keepalive_timeout` (longer, so
  that a load balancer's idle connections are not cut under it);
- past `max_connections` (lowered to what the open-file limit leaves room for), a new
  connection closes the oldest one that waits on its client: still sending its headers, idle
  between requests, or still sending a body whose signature cannot be checked yet. If every
  one is busy with a request that is past that point, the new one is closed. So a flood of
  half-open connections or half-sent bodies cannot keep a real request, or `/healthz`, out;
- the unread rest of a refused request's body is never read (no lingering);
- a request that is not HTTP costs one line of the log (within a budget), not the traceback
  quoting its bytes that aiohttp would write.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import socket
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

from bot.log_budget import LogBudget
from bot.server import AWAITING_UNVERIFIED_BODY, EdgeLimits

log = logging.getLogger("outpost.http")
# What aiohttp's connection handlers log, through _OneLinePerMalformedRequest.
protocol_log = logging.getLogger("outpost.http.protocol")

LISTEN_BACKLOG = 128
# Files kept free for what is not an incoming connection: the store, the log, and connections
# to Slack and AWS.
FILES_KEPT_FREE = 96
# How long accepting pauses when it fails, as when the process is out of files anyway.
ACCEPT_PAUSE = 0.5


def connection_cap(wanted: int, open_files: int) -> int:
    """`wanted`, or less if the open-file limit leaves no room for that many connections."""
    return max(1, min(wanted, open_files - FILES_KEPT_FREE))


class BoundedRunner(web.AppRunner):
    """An AppRunner whose server keeps to `limits`."""

    def __init__(self, app: web.Application, limits: EdgeLimits) -> None:
        self._handler_settings: dict[str, Any] = {
            "access_log": None,
            "keepalive_timeout": limits.keepalive_timeout,
            "lingering_time": 0,
            "logger": protocol_log,
        }
        if not any(isinstance(f, _OneLinePerMalformedRequest) for f in protocol_log.filters):
            protocol_log.addFilter(_OneLinePerMalformedRequest())
        super().__init__(app, **self._handler_settings)
        self._header_timeout = limits.header_timeout
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        self.max_connections = connection_cap(limits.max_connections, soft)
        if self.max_connections < limits.max_connections:
            log.warning(
                "HTTP_MAX_CONNECTIONS lowered from %d to %d: the open-file limit is %d",
                limits.max_connections,
                self.max_connections,
                soft,
            )

    async def _make_server(self) -> web.Server:
        plain = await super()._make_server()
        return _BoundedServer(
            plain.request_handler,
            request_factory=plain.request_factory,
            handler_cancellation=plain.handler_cancellation,
            limit=self.max_connections,
            header_timeout=self._header_timeout,
            **self._handler_settings,
        )


class _BoundedServer(web.Server):
    def __init__(self, *args: Any, limit: int, header_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._limit = limit
        self._header_timeout = header_timeout
        self._open: dict[RequestHandler, asyncio.Transport] = {}  # oldest first
        self._first_headers_due: dict[RequestHandler, asyncio.TimerHandle] = {}
        self._busy: dict[RequestHandler, BaseRequest] = {}
        self._closings = LogBudget(log, "closed connections", lines=1)
        handle = self.request_handler

        async def tracked(request: BaseRequest) -> StreamResponse:
            protocol = request.protocol
            due = self._first_headers_due.pop(protocol, None)
            if due is not None:
                due.cancel()
            self._busy[protocol] = request
            try:
                return await handle(request)
            finally:
                self._busy.pop(protocol, None)

        self.request_handler = tracked

    def connection_made(self, handler: RequestHandler, transport: asyncio.Transport) -> None:
        super().connection_made(handler, transport)
        self._open[handler] = transport
        self._first_headers_due[handler] = asyncio.get_running_loop().call_later(
            self._header_timeout, handler.force_close
        )
        live = [h for h, t in self._open.items() if not t.is_closing()]
        if len(live) <= self._limit:
            return
        waiting = next((h for h in live if h is not handler and self._waits_on_client(h)), None)
        (waiting or handler).force_close()
        self._closings.warning(
            "%d HTTP connections open, the most allowed: closed %s",
            self._limit,
            "the oldest one waiting on its client" if waiting else "the new one, as all are busy",
        )

    def _waits_on_client(self, handler: RequestHandler) -> bool:
        request = self._busy.get(handler)
        return request is None or request.get(AWAITING_UNVERIFIED_BODY, False)

    def connection_lost(self, handler: RequestHandler, exc: BaseException | None = None) -> None:
        self._open.pop(handler, None)
        due = self._first_headers_due.pop(handler, None)
        if due is not None:
            due.cancel()
        super().connection_lost(handler, exc)


class _OneLinePerMalformedRequest(logging.Filter):
    """Turns aiohttp's record of a request it could not parse into one budgeted line that says
    who sent it and what was wrong, without the bytes; other records pass as they are."""

    def __init__(self) -> None:
        super().__init__()
        self._budget = LogBudget(log, "malformed requests")

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if not isinstance(error, HttpProcessingError):
            return True
        source = record.args[0] if isinstance(record.args, tuple) and record.args else None
        self._budget.warning(
            "refused a request from %s: malformed HTTP (%s)", source, type(error).__name__
        )
        return False


class BoundedSite(web.BaseSite):
    """A TCP site that accepts one connection at a time, so that the server's cap holds."""

    def __init__(self, runner: BoundedRunner, host: str, port: int) -> None:
        super().__init__(runner, backlog=LISTEN_BACKLOG)
        self._host = host
        self._port = port

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        listening = socket.create_server(
            (self._host, self._port), family=family, backlog=LISTEN_BACKLOG
        )
        listening.setblocking(False)
        server = self._runner.server
        assert server is not None
        self._server = _OneAtATime(listening, server)


class _OneAtATime(asyncio.AbstractServer):
    def __init__(self, listening: socket.socket, factory: web.Server) -> None:
        self._listening = listening
        self._factory = factory
        self._problems = LogBudget(log, "failed accepts")
        self._accepting = asyncio.create_task(self._accept(), name="http-accept")

    async def _accept(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                connection, _ = await loop.sock_accept(self._listening)
            except ConnectionError:
                continue  # the client gave up before it was accepted
            except OSError as error:  # out of files, most likely: let some close first
                self._problems.warning("cannot accept a connection: %s", error.strerror)
                await asyncio.sleep(ACCEPT_PAUSE)
                continue
            try:
                await loop.connect_accepted_socket(self._factory, connection)
            except OSError:
                connection.close()  # gone before its transport was made

    def close(self) -> None:
        self._accepting.cancel()
        self._listening.close()

    async def wait_closed(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await self._accepting

    def is_serving(self) -> bool:
        return not self._accepting.done()

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._accepting.get_loop()

    async def start_serving(self) -> None:
        pass  # it serves from the start

    async def serve_forever(self) -> None:
        await self._accepting

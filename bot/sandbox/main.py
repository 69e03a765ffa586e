"""Starting and stopping the sandbox's parts, in order, in one process.

moto first (seeded), the fault proxy in front of it, the emulated Slack, then the real bot in
HTTP mode against those two, and last the page. Ctrl-C stops them in the reverse order.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import secrets
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Final

import aiohttp
from aiohttp import web

from bot.config import ConfigError
from bot.domain.errors import ConfigurationError
from bot.emulator.aws_faults import AwsFaultProxy
from bot.emulator.slack import FakeSlack
from bot.emulator.slack_requests import SlackRequests
from bot.runtime import run
from bot.sandbox.aws import SeededAws, isolate_from_real_aws, point_aws_at
from bot.sandbox.faults import FaultControls
from bot.sandbox.page import page_app
from bot.sandbox.people import BOT_USER_ID, CHANNELS, PERSONAS
from bot.sandbox.settings import sandbox_settings
from bot.sandbox.workspace import Workspace

log = logging.getLogger("outpost.sandbox")

HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 3000
PORTS_TRIED: Final = 50
SLACK_ANSWER_TIMEOUT: Final = 3.0  # what Slack waits for an app's answer
READY_TIMEOUT: Final = 30.0
PAGE_SHUTDOWN_TIMEOUT: Final = 1.0  # seconds a stop waits for the page's requests under way


class SandboxError(ConfigurationError):
    """The sandbox cannot start; the message says why and what to do."""


def main(argv: list[str]) -> int:
    """`python -m bot sandbox ARGV`: run until Ctrl-C; 2 when it cannot start."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("werkzeug", "aiohttp.access", "botocore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    def stopping() -> None:
        # A second Ctrl-C stops at once, without cleaning up.
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping)
    try:
        loop.run_until_complete(serve(args.data, args.port, stop))
    except (SandboxError, ConfigError) as error:
        print(f"outpost sandbox: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("outpost sandbox: stopped without cleaning up", file=sys.stderr)
        return 130
    finally:
        loop.close()
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot sandbox",
        description=(
            "Try Outpost in the browser: an emulated AWS organization and Slack workspace, "
            "with the real bot between them. Needs no Slack app and no AWS account."
        ),
    )
    parser.add_argument(
        "--data",
        type=Path,
        metavar="DIR",
        help="keep Outpost's store in DIR across runs (default: a temporary folder, "
        "removed on exit); the emulated AWS and Slack start afresh each time",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"port of the page (default {DEFAULT_PORT}; the next free one if taken; "
        "0 for any free port)",
    )
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING"])
    return parser


def _port(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError("must be from 0 to 65535")
    return port


async def serve(data: Path | None, port: int, stop: asyncio.Event) -> None:
    """Start every part, serve the page until `stop` is set, then stop them in reverse."""
    isolate_from_real_aws()
    async with contextlib.AsyncExitStack() as stack:
        folder = stack.enter_context(_data_folder(data))
        aws = await stack.enter_async_context(_aws())
        proxy = AwsFaultProxy(aws.endpoint)
        await proxy.start(HOST)
        stack.push_async_callback(proxy.stop)
        point_aws_at(proxy.url)
        slack = _workspace_slack()
        await slack.start(HOST)
        stack.push_async_callback(slack.stop)
        log.info("Slack: emulated Web API at %s", slack.base_url)
        signing_secret = secrets.token_hex(16)
        events_url = await stack.enter_async_context(_bot(slack, signing_secret, folder))
        faults = FaultControls(proxy, slack)
        stack.callback(faults.clear)
        app = SlackRequests(
            events_url, signing_secret, team_id=slack.team_id, timeout=SLACK_ANSWER_TIMEOUT
        )
        page = web.AppRunner(
            page_app(slack, Workspace(slack, app), faults, aws),
            access_log=None,
            shutdown_timeout=PAGE_SHUTDOWN_TIMEOUT,
        )
        await page.setup()
        stack.push_async_callback(page.cleanup)
        url = await _listen(page, port)
        print(f"\n  Outpost sandbox is running: open {url}\n  Ctrl-C stops it.\n", flush=True)
        log.info("page at %s", url)
        await stop.wait()
        log.info("stopping")
        slack.mark_changed()  # answers the pages' long polls, so they do not hold the stop


@contextlib.contextmanager
def _data_folder(data: Path | None) -> Iterator[Path]:
    if data is not None:
        try:
            data.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise SandboxError(f"--data {data}: {error.strerror}") from None
        log.info("store: %s (kept)", data / "outpost.db")
        yield data
        return
    folder = Path(tempfile.mkdtemp(prefix="outpost-sandbox-"))
    log.info("store: %s (removed on exit; --data DIR keeps it)", folder / "outpost.db")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.asynccontextmanager
async def _aws() -> AsyncIterator[SeededAws]:
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        raise SandboxError("the sandbox needs moto: pip install -e '.[sandbox]'") from None
    server = ThreadedMotoServer(ip_address=HOST, port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        aws = SeededAws(f"http://{host}:{port}")
        log.info("AWS: moto at %s", aws.endpoint)
        await asyncio.to_thread(aws.seed)
        yield aws
    finally:
        server.stop()


def _workspace_slack() -> FakeSlack:
    slack = FakeSlack(
        bot_token=f"xoxb-sandbox-{secrets.token_hex(12)}",
        app_token=f"xapp-sandbox-{secrets.token_hex(12)}",
        bot_user_id=BOT_USER_ID,
        real_time=True,
    )
    for channel in CHANNELS:
        slack.add_channel(channel.id, name=channel.name)
    for person in PERSONAS:
        slack.add_user(person.id, name=person.name, email=person.email)
    return slack


@contextlib.asynccontextmanager
async def _bot(slack: FakeSlack, signing_secret: str, folder: Path) -> AsyncIterator[str]:
    """Run the real bot against the emulated Slack; yield its events URL once it is ready."""
    port = _free_port()
    settings = sandbox_settings(
        bot_token=slack.bot_token,
        signing_secret=signing_secret,
        slack_api_url=slack.base_url,
        data=folder,
        port=port,
    )
    stop = asyncio.Event()
    running = asyncio.create_task(run(settings, stop, host=HOST), name="outpost")
    base = f"http://{HOST}:{port}"
    try:
        try:
            await _ready(f"{base}/healthz", running)
        except (SandboxError, ConfigError):
            raise
        except Exception as error:
            raise SandboxError(f"Outpost did not start: {error!r}") from error
        log.info("Outpost: ready at %s/slack/events", base)
        yield f"{base}/slack/events"
    finally:
        stop.set()
        with contextlib.suppress(Exception):  # already reported by _ready if it failed
            await running


async def _ready(health_url: str, running: asyncio.Task[None]) -> None:
    deadline = asyncio.get_running_loop().time() + READY_TIMEOUT
    async with aiohttp.ClientSession() as session:
        while asyncio.get_running_loop().time() < deadline:
            if running.done():
                running.result()  # raises what stopped it
                raise SandboxError("Outpost stopped while starting")
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(health_url) as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise SandboxError(f"Outpost was not ready within {READY_TIMEOUT:.0f} s")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


async def _listen(runner: web.AppRunner, port: int) -> str:
    """Serve on `port`, else on the next free one; return the page's URL."""
    candidates = [0] if port == 0 else range(port, min(port + PORTS_TRIED, 65536))
    for candidate in candidates:
        site = web.TCPSite(runner, HOST, candidate)
        try:
            await site.start()
        except OSError:
            continue
        bound = runner.addresses[-1][1]
        if candidate not in (port, 0):
            log.info("port %s is taken; using %s", port, bound)
        return f"http://{HOST}:{bound}"
    raise SandboxError(f"no free port from {port} to {port + PORTS_TRIED - 1}; try --port 0")

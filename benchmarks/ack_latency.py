"""How fast Outpost answers Slack: prints ack latency figures for signed requests.

Slack gives a slash command or a modal submission 3 seconds; Outpost means to answer within
milliseconds, leaving AWS work to the background engine. This starts the real process against
a local moto server and the local Slack API, sends each kind of request many times, one after
another and then concurrently, and prints percentiles. Run it from the checkout:

    python -m benchmarks.ack_latency [--requests 200] [--concurrency 20]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from moto.server import ThreadedMotoServer

from bot.emulator.slack import FakeSlack
from tests.support.bot_fixtures import bot_env
from tests.support.bot_process import BotProcess
from tests.support.flows import form_values, open_new_account_form, option_label
from tests.support.organization import make_organization
from tests.support.slack_requests import SlackRequests

Request = Callable[[int], Awaitable[tuple[int, str]]]


async def measure(send: Request, count: int, concurrency: int) -> list[float]:
    gate = asyncio.Semaphore(concurrency)
    timings: list[float] = []

    async def one(index: int) -> None:
        async with gate:
            started = time.perf_counter()
            status, body = await send(index)
            timings.append((time.perf_counter() - started) * 1000)
            assert status == 200, body

    await asyncio.gather(*(one(i) for i in range(count)))
    return timings


def report(label: str, timings: list[float]) -> None:
    ordered = sorted(timings)
    p = lambda q: ordered[min(int(q * len(ordered)), len(ordered) - 1)]  # noqa: E731
    print(
        f"{label:<56} n={len(ordered):<5} p50={p(0.5):7.1f} ms  p95={p(0.95):7.1f} ms  "
        f"p99={p(0.99):7.1f} ms  max={ordered[-1]:7.1f} ms  mean={statistics.mean(ordered):6.1f} ms"
    )


async def main(count: int, concurrency: int) -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request lines
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    moto_url = f"http://{host}:{port}"
    org = make_organization(moto_url)
    with tempfile.TemporaryDirectory() as data:
        async with FakeSlack() as slack:
            slack.add_channel("CPLATFORM", name="platform")
            slack.add_user("UENGINEER", name="erin", email="erin@example.com")
            bot = BotProcess(bot_env(moto_url, slack.base_url, Path(data)), Path(data) / "bot.log")
            await bot.start()
            try:
                requests = SlackRequests(f"{bot.url}/slack/events")
                view = await open_new_account_form(slack, requests, "new")
                ou = org.ous["Sandbox"]
                label = option_label(view, ou)

                async def help_command(_: int) -> tuple[int, str]:
                    return await requests.command("help")

                async def new_command(_: int) -> tuple[int, str]:
                    return await requests.command("new")

                async def bad_submission(_: int) -> tuple[int, str]:
                    values = form_values(name="Not Valid", ou_id=ou, ou_label=label)
                    return await requests.submit_view(view, values)

                async def good_submission(index: int) -> tuple[int, str]:
                    values = form_values(name=f"bench-{index:05d}", ou_id=ou, ou_label=label)
                    return await requests.submit_view(view, values)

                print(f"Outpost ack latency, {count} requests each (localhost, this machine)")
                for label_text, send in [
                    ("/account help", help_command),
                    ("/account new (ack; modal opens after)", new_command),
                    ("form submission refused inline", bad_submission),
                    ("form submission accepted (operation stored)", good_submission),
                ]:
                    report(f"{label_text}, sequential", await measure(send, count, 1))
                    report(
                        f"{label_text}, {concurrency} at once",
                        await measure(send, count, concurrency),
                    )
            finally:
                await bot.stop()
    moto.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.requests, arguments.concurrency))

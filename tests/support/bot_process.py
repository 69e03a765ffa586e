"""`python -m bot` as a subprocess, as it runs in production, with its log kept for failures.

Whatever the process printed is scanned for the secrets it was given once it has ended: a
token, signing secret or AWS secret key in the output fails the test that ran it. The secrets
of the test environment are fake but distinctive, so that finding one in what the bot prints
or sends (see `sent_to_slack`) is never a coincidence.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

import aiohttp

from bot.emulator.slack import FakeSlack
from tests.support.slack_requests import SIGNING_SECRET

# The tokens the fake Slack of tests/conftest.py accepts, and the bot's AWS secret key.
BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"
AWS_SECRET_KEY = "fake-aws-secret-3f9c81d2e7b04a65"
SECRETS = {
    "SLACK_BOT_TOKEN": BOT_TOKEN,
    "SLACK_APP_TOKEN": APP_TOKEN,
    "SLACK_SIGNING_SECRET": SIGNING_SECRET,
    "AWS_SECRET_ACCESS_KEY": AWS_SECRET_KEY,
}

# The settings that hold secrets, and the shortest value worth looking for: a shorter one
# (tests use "s" as a signing secret) would be found in ordinary words.
SECRET_SETTINGS = (
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
)
SHORTEST_SECRET = 8


def secrets_in(env: Mapping[str, str]) -> dict[str, str]:
    """The secret settings of `env` long enough to look for, by name."""
    return {
        name: env[name] for name in SECRET_SETTINGS if len(env.get(name, "")) >= SHORTEST_SECRET
    }


def leaks(pieces: Iterable[tuple[str, str]], secrets: Mapping[str, str]) -> list[str]:
    """Each (where, text) piece that holds one of `secrets`, as "NAME in where: text"."""
    return [
        f"{name} in {where}: {text[:300]!r}"
        for where, text in pieces
        for name, value in secrets.items()
        if value in text
    ]


def assert_no_leaks(pieces: Iterable[tuple[str, str]], secrets: Mapping[str, str]) -> None:
    found = leaks(pieces, secrets)
    assert not found, "a secret went out:\n" + "\n".join(found)


def output_lines(name: str, text: str) -> list[tuple[str, str]]:
    return [(f"line {n} of {name}", line) for n, line in enumerate(text.splitlines(), 1)]


def sent_to_slack(slack: FakeSlack) -> Iterator[tuple[str, str]]:
    """Everything the fake Slack received as content, as (where, text) pieces: each call's
    arguments and headers, uploaded bytes and Socket Mode acks. Not the Authorization header,
    which is where the token belongs."""
    for n, call in enumerate(slack.calls, 1):
        yield f"call {n} ({call.method}) arguments", json.dumps(call.params, default=str)
        yield f"call {n} ({call.method}) headers", json.dumps(call.headers)
    for upload in slack.uploads:
        yield f"upload {upload.file_id}", upload.content.decode(errors="replace")
        yield f"upload {upload.file_id} headers", json.dumps(upload.headers)
    for ack in slack.socket_acks:
        yield "a Socket Mode ack", json.dumps(ack)
    for message in slack.socket_mode.unexpected_messages:
        yield "a Socket Mode message", message


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_until_exit(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot` with only `env` (and PATH, and PYTHONPATH when set: which code runs
    is not a setting) until it exits, as a refused start does.

    Fails if what it printed holds one of the secrets it was given."""
    paths = {name: os.environ[name] for name in ("PYTHONPATH",) if name in os.environ}
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **paths, **env},
        cwd=cwd,  # away from any developer's .env in the checkout
        capture_output=True,
        text=True,
        timeout=60,
    )
    printed = output_lines("stdout", result.stdout) + output_lines("stderr", result.stderr)
    assert_no_leaks(printed, secrets_in(env))
    return result


class BotProcess:
    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        *,
        preexec_fn: Callable[[], None] | None = None,
    ) -> None:
        self.port = free_port()
        self.env = {**os.environ, **env, "PORT": str(self.port), "PYTHONUNBUFFERED": "1"}
        self.log_path = log_path
        self.preexec_fn = preexec_fn  # run in the child before `python -m bot`: setrlimit, say
        self.process: subprocess.Popen[bytes] | None = None
        self.leak_reported = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def restarted(self, log_path: Path) -> BotProcess:
        """Another process with this one's settings and database, on a new port: a restart."""
        return BotProcess(self.env, log_path)

    async def __aenter__(self) -> BotProcess:
        """Started and healthy; stopped (and its log checked) when the block ends."""
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self, *, timeout: float = 30.0) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            env=self.env,
            cwd=self.log_path.parent,  # away from any developer's .env in the checkout
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=self.preexec_fn,
        )
        await self.wait_healthy(timeout)

    async def wait_healthy(self, timeout: float) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        async with aiohttp.ClientSession() as session:
            while asyncio.get_running_loop().time() < deadline:
                assert self.process is not None
                if self.process.poll() is not None:
                    self.check_log()
                    raise RuntimeError(
                        f"the bot exited with {self.process.returncode}:\n{self.log()}"
                    )
                try:
                    async with session.get(f"{self.url}/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        raise TimeoutError(f"the bot did not become healthy:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL: no clean-up, as when a machine dies."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.check_log()

    async def stop(self) -> None:
        """SIGTERM and wait, off the event loop: the fakes on it must answer the bot meanwhile."""
        await asyncio.to_thread(self._stop)

    def _stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.check_log()

    def check_log(self) -> None:
        """Fail (once) if the log holds one of the secrets the process was given."""
        if self.leak_reported:
            return
        found = leaks(output_lines(self.log_path.name, self.log()), secrets_in(self.env))
        self.leak_reported = bool(found)
        assert not found, "a secret went out:\n" + "\n".join(found)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

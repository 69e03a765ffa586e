"""`python -m bot sandbox` as a subprocess, as a newcomer starts it, and its page's JSON API."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support.waiting import eventually

_URL = re.compile(r"open (http://127\.0\.0\.1:\d+)")


@dataclass
class Sandbox:
    process: asyncio.subprocess.Process
    url: str = ""
    output: list[str] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    async def state(self, persona: str) -> dict[str, Any]:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{self.url}/api/state", params={"as": persona}) as response,
        ):
            assert response.status == 200, await response.text()
            answer: dict[str, Any] = await response.json()
            return answer

    async def post(self, path: str, body: Any) -> tuple[int, dict[str, Any]]:
        async with aiohttp.ClientSession() as session:
            data = body if isinstance(body, str) else json.dumps(body)
            headers = {"Content-Type": "application/json"}
            async with session.post(f"{self.url}{path}", data=data, headers=headers) as response:
                return response.status, await response.json()

    async def get(self, path: str) -> tuple[int, str]:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{self.url}{path}") as response,
        ):
            return response.status, await response.text()

    async def raw_post(self, path: str, body: str, headers: dict[str, str]) -> int:
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{self.url}{path}", data=body, headers=headers) as response,
        ):
            return response.status

    async def aws(self) -> dict[str, Any]:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{self.url}/api/aws") as response,
        ):
            answer: dict[str, Any] = await response.json()
            return answer

    async def type(self, persona: str, text: str, *, channel: str = "CPLATFORM") -> None:
        status, body = await self.post(
            "/api/message", {"as": persona, "channel": channel, "thread_ts": None, "text": text}
        )
        assert status == 200, body

    async def until(
        self, persona: str, probe: Callable[[dict[str, Any]], Any], what: str, timeout: float = 20
    ) -> Any:
        async def look() -> Any:
            found = probe(await self.state(persona))
            assert found, what
            return found

        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            try:
                return await look()
            except AssertionError:
                if asyncio.get_running_loop().time() > deadline:
                    raise AssertionError(f"timed out waiting for {what}") from None
                await asyncio.sleep(0.2)

    async def stop(self) -> int:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(self.process.wait(), 20)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        assert self.process.returncode is not None
        return self.process.returncode

    @property
    def log(self) -> str:
        return "\n".join(self.output)


async def sandbox_process(
    *args: str, env: dict[str, str] | None = None
) -> asyncio.subprocess.Process:
    """`python -m bot sandbox ARGS`, its output piped, in a clean environment plus `env`.

    Clean: none of the developer's AWS_ or SLACK_ settings reach it.
    """
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SLACK_"))}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "sandbox",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=clean | (env or {}),
    )


async def start_sandbox(*args: str, env: dict[str, str] | None = None) -> Sandbox:
    """Start `python -m bot sandbox ARGS` and wait for the URL of its page."""
    process = await sandbox_process(*args, env=env)
    sandbox = Sandbox(process)
    sandbox.reader = asyncio.get_running_loop().create_task(_read(sandbox))

    def started() -> str:
        if process.returncode is not None:
            raise RuntimeError(f"the sandbox ended with {process.returncode}:\n{sandbox.log}")
        found = _URL.search(sandbox.log)
        assert found, "no URL yet"
        return found.group(1)

    try:
        sandbox.url = await eventually(started, timeout=60, what="the sandbox's URL")
    except BaseException:
        await sandbox.stop()
        raise
    return sandbox


async def _read(sandbox: Sandbox) -> None:
    assert sandbox.process.stdout is not None
    while line := await sandbox.process.stdout.readline():
        sandbox.output.append(line.decode(errors="replace").rstrip())


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    running = await start_sandbox("--port", "0", "--data", str(tmp_path / "data"))
    try:
        yield running
    finally:
        with contextlib.suppress(Exception):
            await running.stop()
        print(running.log)

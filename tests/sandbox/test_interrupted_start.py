"""Ctrl-C while the sandbox is still starting stops it with a line, not a traceback."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import pytest


@pytest.mark.parametrize("after", [0.2, 0.5, 1.0])
async def test_ctrl_c_during_start_up_prints_no_traceback(after: float) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SLACK_"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "sandbox",
        "--port",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=env,
    )
    await asyncio.sleep(after)  # importing, or starting moto, Slack or the bot
    process.send_signal(signal.SIGINT)
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    printed = output.decode(errors="replace")
    assert "Traceback" not in printed, printed
    assert process.returncode in (0, 130), printed

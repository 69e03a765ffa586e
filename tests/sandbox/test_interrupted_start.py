"""Ctrl-C while the sandbox is still starting stops it with a line, not a traceback."""

from __future__ import annotations

import asyncio
import signal

import pytest

from tests.sandbox.conftest import sandbox_process


# Dense enough to land inside an import that runs `exec`, as dataclasses do.
@pytest.mark.parametrize("after", [0.2, 0.4, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 1.0])
async def test_ctrl_c_during_start_up_prints_no_traceback(after: float) -> None:
    process = await sandbox_process("--port", "0")
    await asyncio.sleep(after)  # importing, or starting moto, Slack or the bot
    process.send_signal(signal.SIGINT)
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    printed = output.decode(errors="replace")
    assert "Traceback" not in printed, printed
    assert process.returncode in (0, 130), f"ended by {process.returncode}: {printed}"

"""`python -m bot`: start Outpost as the runtime contract describes.

`python -m bot sandbox` starts the local sandbox instead (see `bot.sandbox`).

Nothing but `signal` and `sys` is imported before Ctrl-C is handled: importing the rest
takes a while (longer on a busy machine: even `asyncio` has been seen to take a fifth of a
second), and a Ctrl-C then must stop Outpost with a line, not a traceback.
"""

from __future__ import annotations

import signal
import sys


def main() -> int:
    import asyncio
    import logging

    if sys.argv[1:2] == ["sandbox"]:
        from bot.sandbox.main import main as sandbox

        return sandbox(sys.argv[2:])
    from bot.config import ConfigError, load_settings
    from bot.runtime import run
    from bot.store.base import StoreUnavailable

    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"outpost: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        loop.run_until_complete(run(settings, stop))
    except ConfigError as error:
        print(f"outpost: {error}", file=sys.stderr)
        return 2
    except StoreUnavailable as error:
        print(
            f"outpost: DATABASE_URL ({settings.database_url}) cannot be opened: {error}",
            file=sys.stderr,
        )
        return 1
    finally:
        loop.close()
    return 0


class _InterruptedWhileStarting(BaseException):
    """Ctrl-C before the event loop handles it. Not a KeyboardInterrupt: CPython makes a process
    whose KeyboardInterrupt went through `exec` (as dataclasses do while importing) die of
    SIGINT at exit, whatever exit status it then chose."""


def _interrupt(signum: int, frame: object) -> None:
    raise _InterruptedWhileStarting


def interruptible() -> int:
    """`main`, with a Ctrl-C that comes before its own handling (while importing) said plainly."""
    signal.signal(signal.SIGINT, _interrupt)
    try:
        return main()
    except (_InterruptedWhileStarting, KeyboardInterrupt):
        print("outpost: interrupted while starting; stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(interruptible())

"""`python -m bot`: start Outpost as the runtime contract describes.

`python -m bot sandbox` starts the local sandbox instead (see `bot.sandbox`).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from bot.config import ConfigError, load_settings
from bot.runtime import run
from bot.store.base import StoreUnavailable


def main() -> int:
    if sys.argv[1:2] == ["sandbox"]:
        from bot.sandbox.main import main as sandbox

        return sandbox(sys.argv[2:])
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


if __name__ == "__main__":
    sys.exit(main())

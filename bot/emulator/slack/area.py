"""What every API area of the fake Slack has in common: it serves the Web API methods it names.

An area keeps no state of its own (the workspace holds it all). Each handler names the Slack
method it serves where it is written, with ``@web_api("chat.postMessage")``, and ``methods()``
collects them for the server: the name and the code that answers it are never apart.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeVar

from bot.emulator.slack.refusals import Handler
from bot.emulator.slack.workspace import Workspace

_SLACK_METHOD: Final = "_slack_method"

H = TypeVar("H", bound=Callable[..., Awaitable[dict[str, Any]]])


def web_api(method: str) -> Callable[[H], H]:
    """Mark a handler as the one that serves `method` (``chat.postMessage``)."""

    def mark(handler: H) -> H:
        setattr(handler, _SLACK_METHOD, method)
        return handler

    return mark


def served_methods(area: object) -> dict[str, Handler]:
    """The handlers of `area` marked with ``web_api``, by the Slack method each serves."""
    served: dict[str, Handler] = {}
    for name in dir(type(area)):
        method = getattr(getattr(type(area), name), _SLACK_METHOD, None)
        if method is not None:
            served[method] = getattr(area, name)
    return served


class Area:
    """One API area over the workspace, serving the methods its handlers name."""

    def __init__(self, workspace: Workspace) -> None:
        self._ws = workspace

    def methods(self) -> dict[str, Handler]:
        return served_methods(self)

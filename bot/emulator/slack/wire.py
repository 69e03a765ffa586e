"""How a Web API call reaches the fake Slack: its arguments, its token, its headers.

Slack takes arguments in the query string, a form or a JSON body, and some of them
(``blocks``, ``view``, ``attachments``, ``metadata``) as JSON-encoded strings inside a form;
the token comes as a bearer token or as the ``token`` argument. Reading all of that is
the same for every method, so the server does it once here before any area sees the call.
"""

from __future__ import annotations

import contextlib
import json
from typing import Final

from aiohttp import web

from bot.emulator.slack.refusals import Args, Refusal

# Arguments Slack takes as JSON-encoded strings in form bodies.
_JSON_ARGS: Final = frozenset({"blocks", "view", "attachments", "metadata"})
_FORM_TYPES: Final = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


async def read_args(request: web.Request) -> Args:
    """Merge query-string and body arguments the way Slack accepts them."""
    args: Args = {key: request.query[key] for key in request.query}
    if request.method == "POST" and request.can_read_body:
        args.update(await _read_body(request))
    for name in _JSON_ARGS & args.keys():
        # Undecodable values stay strings; the handler then refuses them as Slack would.
        if isinstance(args[name], str):
            with contextlib.suppress(ValueError):
                args[name] = json.loads(args[name])
    return args


async def _read_body(request: web.Request) -> Args:
    if request.content_type == "application/json":
        try:
            body = json.loads(await request.text())
        except ValueError:
            raise Refusal("invalid_json") from None
        if not isinstance(body, dict):
            raise Refusal("invalid_json")
        return body
    if request.content_type in _FORM_TYPES:
        form = await request.post()
        return {key: value for key, value in form.items() if isinstance(value, str)}
    raise Refusal("invalid_post_type")


def headers_but_auth(request: web.Request) -> dict[str, str]:
    """The request's headers to record: all but Authorization, where the token is."""
    return {k: v for k, v in request.headers.items() if k.lower() != "authorization"}


def bearer_token(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None

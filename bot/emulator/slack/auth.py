"""Who may call the fake Slack: the tokens each method takes, and auth.test.

Every method takes the bot token (``xoxb-``) but ``apps.connections.open``, which takes the
app-level token (``xapp-``), as Slack's do. No token is ``not_authed``, the other kind of token
``not_allowed_token_type``, and any other ``invalid_auth``.
"""

from __future__ import annotations

from typing import Any, Final

from bot.emulator.slack.area import Area, web_api
from bot.emulator.slack.refusals import Args, Refusal
from bot.emulator.slack.workspace import WORKSPACE_URL

# Methods that take the app-level token (xapp-) instead of the bot token.
_APP_TOKEN_METHODS: Final = frozenset({"apps.connections.open"})


class Auth(Area):
    """The app's tokens and its identity in the workspace."""

    def authenticate(self, method: str, token: Any) -> None:
        """Refuse `token` for `method` as Slack would."""
        app_level = method in _APP_TOKEN_METHODS
        bot_token, app_token = self._ws.bot_token, self._ws.app_token
        if not token:
            raise Refusal("not_authed")
        if token == (bot_token if app_level else app_token):
            raise Refusal("not_allowed_token_type")
        if token != (app_token if app_level else bot_token):
            raise Refusal("invalid_auth")

    @web_api("auth.test")
    async def test(self, args: Args) -> dict[str, Any]:
        ws = self._ws
        return {
            "url": WORKSPACE_URL,
            "team": "Fake Workspace",
            "user": ws.users[ws.bot_user_id].name,
            "team_id": ws.team_id,
            "user_id": ws.bot_user_id,
            "bot_id": ws.bot_id,
            "is_enterprise_install": False,
        }

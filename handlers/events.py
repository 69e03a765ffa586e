"""Events Outpost subscribes to: the App Home tab and mentions.

For now the home tab shows what Outpost can do, and a mention answers with the same help in
its thread, so that neither leaves a person facing silence.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.ui.help import help_blocks, help_text


async def publish_home(event: dict[str, Any], client: AsyncWebClient) -> None:
    if event.get("tab", "home") != "home":
        return
    await client.views_publish(
        user_id=event["user"], view={"type": "home", "blocks": help_blocks()}
    )


async def answer_mention(event: dict[str, Any], client: AsyncWebClient) -> None:
    await client.chat_postMessage(
        channel=event["channel"],
        thread_ts=event.get("thread_ts") or event["ts"],
        text=help_text(),
        blocks=help_blocks(),
    )


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(publish_home)
    app.event("app_mention")(answer_mention)

"""What a person does in the sandbox's Slack, turned into what Slack would do.

Typing a slash command, mentioning the bot, clicking a button, picking from a select, submitting
or closing a modal, opening the App Home: each becomes the signed request Slack sends to the app
(see `bot.emulator.slack_requests`), with a trigger and a response URL from the emulated Web API,
and the app's answer is applied as Slack applies it: an ack's text becomes an ephemeral message,
`response_action` errors are shown in the modal, an empty ack of a submission closes it, and an
app that does not answer within 3 s gets Slack's own error.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Final

import aiohttp

from bot.domain.errors import RefusedByRule
from bot.emulator import slack_requests as payloads
from bot.emulator.block_kit import block_kit_errors
from bot.emulator.slack import FakeSlack, SlackMessage
from bot.emulator.slack_requests import SlackRequests

log = logging.getLogger("outpost.sandbox")

COMMAND: Final = "/account"
TRIGGER_TIMEOUT_TEXT: Final = "We had some trouble connecting. Try again?"
_NAMED: Final = re.compile(r"(?<![\w<|])([@#])([a-z0-9][a-z0-9._-]*)", re.IGNORECASE)
_LINKABLE: Final = re.compile(r"(?<![\w<|])(https?://[^\s<>|]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)")
_MAX_TEXT: Final = 4000


class ActionRefused(RefusedByRule):
    """What Slack itself would say to the person; nothing was sent to the app."""


@dataclass(frozen=True)
class SubmitResult:
    """What became of a submitted modal: closed, replaced, or shown again with errors."""

    closed: bool = False
    updated: bool = False
    errors: dict[str, str] | None = None


class Workspace:
    """The sandbox's people acting in its Slack (`slack`), relayed to the app as Slack does."""

    def __init__(self, slack: FakeSlack, app: SlackRequests) -> None:
        self._slack = slack
        self._app = app
        self._modal_errors: dict[str, dict[str, str]] = {}

    def modal_errors(self, view_id: str) -> dict[str, str]:
        return dict(self._modal_errors.get(view_id, {}))

    # --- the composer -----------------------------------------------------------------

    async def type(self, user: str, channel: str, thread_ts: str | None, text: str) -> None:
        text = text.strip()
        if not text:
            raise ActionRefused("There is nothing to send.")
        if len(text) > _MAX_TEXT:
            raise ActionRefused(f"That message is {len(text)} characters; the most is {_MAX_TEXT}.")
        if text.startswith("/"):
            await self._command(user, channel, thread_ts, text)
            return
        if thread_ts is not None:
            parent = self._visible_message(user, channel, thread_ts)
            if parent.thread_ts is not None or parent.ephemeral_to is not None:
                raise ActionRefused("Replies go in the thread of a message in the channel.")
        if channel == self._slack.dm_channel(user):
            # Outpost's manifest makes its Messages tab read-only, as Slack then says.
            raise ActionRefused("Sending messages to this app has been turned off.")
        await self._message(user, channel, thread_ts, text)

    async def _command(self, user: str, channel: str, thread_ts: str | None, text: str) -> None:
        command, _, argument = text.partition(" ")
        if command != COMMAND:
            raise ActionRefused(f"{command} is not a valid command. In this workspace: {COMMAND}.")
        if thread_ts is not None:
            raise ActionRefused(f"{COMMAND} is not supported in threads. Sorry!")
        log.info("%s: %s", user, text)
        trigger = self._slack.issue_trigger(user)
        status, body = await self._send(
            self._app.command(
                self._encoded(argument.strip(), command=True),
                user=user,
                channel=channel,
                trigger_id=trigger,
                response_url=self._slack.response_url(user, channel),
            )
        )
        if status != 200:
            self._slack_says(user, channel, f'{COMMAND} failed with the error "{body}"')
            return
        self._ack_message(user, channel, body)

    async def _message(self, user: str, channel: str, thread_ts: str | None, text: str) -> None:
        stored = self._encoded(text, command=False)
        mentions = f"<@{self._slack.bot_user_id}>" in stored
        message = self._slack.add_message(channel, user=user, text=stored, thread_ts=thread_ts)
        if not mentions:
            return
        log.info("%s mentioned Outpost: %s", user, text)
        event = payloads.app_mention_event(
            stored, user=user, channel=channel, ts=message.ts, thread_ts=thread_ts
        )
        await self._send(self._app.event(event))

    def _encoded(self, text: str, *, command: bool) -> str:
        """What Slack makes of typed text: &, < and > escaped, and @name and #channel turned
        into mentions of that person and channel. A command's text is escaped as for a
        command with `should_escape` (Outpost's manifest asks for it): mentions keep the
        name (<@U…|name>), and links and email addresses are marked up too."""
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        people = {name.casefold(): user_id for user_id, name, _ in self._slack.users()}
        channels = {name.casefold(): channel_id for channel_id, name, _ in self._slack.channels()}

        def mention(match: re.Match[str]) -> str:
            sigil, name = match.group(1), match.group(2)
            if sigil == "@" and name.casefold() in people:
                user_id = people[name.casefold()]
                return f"<@{user_id}|{name.lower()}>" if command else f"<@{user_id}>"
            if sigil == "#" and name.casefold() in channels:
                return f"<#{channels[name.casefold()]}|{name.lower()}>"
            return match.group(0)

        def link(match: re.Match[str]) -> str:
            found = match.group(1)
            return f"<{found}>" if found.startswith("http") else f"<mailto:{found}|{found}>"

        encoded = _NAMED.sub(mention, escaped)
        return _LINKABLE.sub(link, encoded) if command else encoded

    # --- clicks and picks -------------------------------------------------------------

    async def act_on_message(
        self, user: str, channel: str, message_ts: str, action: dict[str, Any]
    ) -> None:
        shown = self._visible_message(user, channel, message_ts)
        message = self._slack.message_payload(channel, message_ts)
        payload = payloads.message_actions_payload(
            clicked(shown.blocks, action, self._slack),
            user=user,
            channel=channel,
            message=message,
            team_id=self._slack.team_id,
            trigger_id=self._slack.issue_trigger(user),
            response_url=self._slack.response_url(user, channel, message_ts=message_ts),
        )
        await self._send(self._app.interaction(payload))

    async def act_on_view(
        self,
        user: str,
        view_id: str | None,
        action: dict[str, Any],
        values: dict[str, dict[str, Any]],
    ) -> None:
        view = self._surface(user, view_id)
        payload = payloads.view_actions_payload(
            clicked(view.get("blocks", []), action, self._slack),
            user=user,
            view=view,
            values=values,
            team_id=self._slack.team_id,
            trigger_id=self._slack.issue_trigger(user),
        )
        await self._send(self._app.interaction(payload))

    async def options(
        self, user: str, view_id: str, action_id: str, block_id: str, value: str
    ) -> dict[str, Any]:
        view = self._surface(user, view_id)
        if find_element(view.get("blocks", []), action_id, block_id) is None:
            raise ActionRefused("There is no such select in that window.")
        payload = payloads.suggestion_payload(
            view,
            user=user,
            action_id=action_id,
            block_id=block_id,
            value=value,
            team_id=self._slack.team_id,
        )
        status, body = await self._send(self._app.interaction(payload))
        answer = _json_object(body) if status == 200 else None
        if answer is None:
            return {"options": []}
        return {k: v for k, v in answer.items() if k in ("options", "option_groups")}

    # --- modals -----------------------------------------------------------------------

    async def submit(
        self, user: str, view_id: str, values: dict[str, dict[str, Any]]
    ) -> SubmitResult:
        view = self._modal(user, view_id)
        payload = payloads.view_submission_payload(
            view,
            values,
            user=user,
            team_id=self._slack.team_id,
            trigger_id=self._slack.issue_trigger(user),
        )
        status, body = await self._send(self._app.interaction(payload))
        if status != 200:
            raise ActionRefused(TRIGGER_TIMEOUT_TEXT)
        self._modal_errors.pop(view_id, None)
        answer = _json_object(body) or {}
        action = answer.get("response_action")
        if action == "errors" and isinstance(answer.get("errors"), dict):
            errors = {str(k): str(v) for k, v in answer["errors"].items()}
            self._modal_errors[view_id] = errors
            self._slack.mark_changed()
            return SubmitResult(errors=errors)
        if action in ("update", "push"):
            new_view = answer.get("view")
            problems = (
                self._slack.replace_view(view_id, new_view)
                if action == "update" and isinstance(new_view, dict)
                else self._slack.push_view(user, new_view)
                if isinstance(new_view, dict)
                else ["[ERROR] no view"]
            )
            if problems:
                log.warning("the app answered a submission with a view Slack refuses: %s", problems)
                raise ActionRefused(TRIGGER_TIMEOUT_TEXT)
            return SubmitResult(updated=True)
        if action == "clear":
            self._slack.close_modals(user)
        elif view_id in self._slack.views():
            self._slack.close_view(view_id)
        return SubmitResult(closed=True)

    async def close(self, user: str, view_id: str) -> None:
        view = self._modal(user, view_id)
        self._slack.close_view(view_id)
        self._modal_errors.pop(view_id, None)
        if view.get("notify_on_close"):
            payload = payloads.view_closed_payload(view, user=user, team_id=self._slack.team_id)
            await self._send(self._app.interaction(payload))

    async def page_opened(self, user: str) -> None:
        """A page (re)loaded as `user`: their modals lived in the page before, and close with
        it, as when someone closes them."""
        while (modal := self._slack.modal_of(user)) is not None:
            await self.close(user, modal["id"])

    async def open_home(self, user: str) -> None:
        event = payloads.app_home_opened_event(user, channel=self._slack.dm_channel(user))
        await self._send(self._app.event(event))

    # --- plumbing ---------------------------------------------------------------------

    def _visible_message(self, user: str, channel: str, ts: str) -> SlackMessage:
        try:
            message = self._slack.message(channel, ts)
        except KeyError:
            raise ActionRefused("That message is gone.") from None
        if message.ephemeral_to not in (None, user):
            raise ActionRefused("That message is gone.")
        return message

    def _modal(self, user: str, view_id: str) -> dict[str, Any]:
        """The modal in front of `user`, if it is `view_id`: only that one can be used."""
        modal = self._slack.modal_of(user)
        if modal is None or modal["id"] != view_id:
            raise ActionRefused("That window is closed.")
        return modal

    def _surface(self, user: str, view_id: str | None) -> dict[str, Any]:
        """The view a click came from: the modal in front of `user`, or their App Home."""
        home = self._slack.published_home(user)
        if view_id is None or (home is not None and home["id"] == view_id):
            if home is None:
                raise ActionRefused("The App Home is not there yet.")
            return home
        return self._modal(user, view_id)

    async def _send(self, request: Awaitable[tuple[int, str]]) -> tuple[int, str]:
        """Send to the app as Slack does: an answer later than 3 s is a failure."""
        try:
            status, body = await request
        except TimeoutError:
            log.warning("Outpost did not answer within 3 s")
            return 504, "operation_timeout"
        except aiohttp.ClientError as error:
            log.warning("Outpost could not be reached: %s", error)
            return 502, "dispatch_failed"
        if status != 200:
            log.warning("Outpost answered %s: %s", status, body[:200])
            return status, "dispatch_failed"
        return status, body

    def _ack_message(self, user: str, channel: str, body: str) -> None:
        """A command's ack with text or blocks is the app's answer, shown to its person (or to
        the channel), as Slack does; blocks Slack would refuse fail the command instead."""
        if not body.strip():
            return
        answer = _json_object(body)
        if answer is None:
            self._slack.post_as_app(channel, text=body.strip(), ephemeral_to=user)
            return
        blocks = answer.get("blocks")
        if blocks is not None and (
            not isinstance(blocks, list) or block_kit_errors(blocks, surface="message")
        ):
            log.warning("Outpost acked a command with blocks Slack refuses")
            self._slack_says(user, channel, f'{COMMAND} failed with the error "invalid_blocks"')
            return
        if answer.get("text") or blocks:
            self._slack.post_as_app(
                channel,
                text=str(answer.get("text") or ""),
                blocks=blocks,
                ephemeral_to=None if answer.get("response_type") == "in_channel" else user,
            )

    def _slack_says(self, user: str, channel: str, text: str) -> None:
        self._slack.post_as_app(channel, text=text, ephemeral_to=user, from_slackbot=True)


def find_element(
    blocks: list[dict[str, Any]], action_id: Any, block_id: Any
) -> tuple[str, dict[str, Any]] | None:
    """(block_id, element) of the interactive element `action_id` in `blocks`, if there is one.

    `block_id` narrows the search when the page gives one; a block without an id is matched
    by the element alone, as the page cannot name it.
    """
    for block in blocks:
        if block_id and block.get("block_id") not in (None, block_id):
            continue
        elements = [*block.get("elements", []), block.get("accessory"), block.get("element")]
        for element in elements:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return str(block.get("block_id") or ""), element
    return None


def clicked(
    blocks: list[dict[str, Any]], action: dict[str, Any], slack: FakeSlack
) -> dict[str, Any]:
    """The `actions` entry Slack sends for `action`, built from the element it names.

    Slack sends actions only for elements that are there, with their own value: the page
    gives which element, and what was picked in a select.
    """
    found = find_element(blocks, action.get("action_id"), action.get("block_id"))
    if found is None:
        raise ActionRefused("There is no such button or menu there any more.")
    block_id, element = found
    entry: dict[str, Any] = {
        "type": element.get("type"),
        "action_id": element["action_id"],
        "block_id": block_id,
    }
    kind = element.get("type")
    if kind == "button":
        entry["text"] = element.get("text")
        if "value" in element:
            entry["value"] = element["value"]
    elif kind in ("static_select", "external_select", "overflow"):
        entry["selected_option"] = _picked_option(element, action.get("selected_option"))
    elif kind == "users_select":
        picked = action.get("selected_user")
        if picked not in {user_id for user_id, _, _ in slack.users()}:
            raise ActionRefused("Pick someone in this workspace.")
        entry["selected_user"] = picked
    else:
        raise ActionRefused(f"A {kind} does not send anything when used.")
    return entry


def _picked_option(element: dict[str, Any], picked: Any) -> dict[str, Any]:
    if not isinstance(picked, dict) or not isinstance(picked.get("value"), str):
        raise ActionRefused("Pick one of the options.")
    if element.get("type") == "external_select":
        return {"text": picked.get("text"), "value": picked["value"]}  # options came from the app
    offered = [*element.get("options", [])]
    for group in element.get("option_groups", []):
        offered.extend(group.get("options", []))
    for option in offered:
        if option.get("value") == picked["value"]:
            return dict(option)
    raise ActionRefused("Pick one of the options.")


def _json_object(body: str) -> dict[str, Any] | None:
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None

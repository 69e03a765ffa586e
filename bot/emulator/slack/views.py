"""views.* of the fake Slack: modals, their stacks, and each person's App Home.

Any unused ``trigger_id`` is accepted (the fake cannot know which ones Slack issued); a missing
one is ``invalid_trigger_id`` and a reused one ``exchanged_trigger_id``. A stale ``hash`` is
``hash_conflict``, an ``external_id`` another view holds is ``duplicate_external_id``, and a
view over Block Kit's limits is ``invalid_arguments`` with Slack's messages.

For the sandbox's page (and tests that act as a person), a trigger can be issued to a person
(``issue_trigger``): the modal it opens is that person's, on top of their stack of modals
(three at most, as in Slack), which ``modal_of`` reads. ``replace_view`` and ``push_view`` do
what a ``view_submission``'s ``response_action`` asks.
"""

from __future__ import annotations

import copy
import secrets
from typing import Any, Final

from bot.emulator.block_kit import view_errors
from bot.emulator.slack.area import Area, web_api
from bot.emulator.slack.refusals import Args, Refusal, str_arg, valid_view

_MAX_MODAL_STACK: Final = 3  # Slack keeps at most three modals on a stack


class Views(Area):
    """Modals and App Home tabs, and the person each modal is in front of."""

    # --- the Web API ------------------------------------------------------------------

    @web_api("views.open")
    async def open(self, args: Args) -> dict[str, Any]:
        return self._open_modal(args, push=False)

    @web_api("views.push")
    async def push(self, args: Args) -> dict[str, Any]:
        return self._open_modal(args, push=True)

    def _open_modal(self, args: Args, *, push: bool) -> dict[str, Any]:
        """views.open and views.push: both exchange a fresh trigger for a modal.

        Opened, the modal is its person's only one; pushed, it goes on top of their stack.
        """
        ws = self._ws
        trigger_id = args.get("trigger_id")
        if not isinstance(trigger_id, str) or not trigger_id:
            raise Refusal("invalid_trigger_id")
        if trigger_id in ws.used_triggers:
            raise Refusal("exchanged_trigger_id")
        view = valid_view(args, kind="modal")
        self._check_external_id(view, view_id=None)
        owner = ws.trigger_owners.get(trigger_id)
        stack = ws.modal_stacks.get(owner, []) if owner is not None else []
        if push and len(stack) >= _MAX_MODAL_STACK:
            raise Refusal("push_limit_reached")
        ws.used_triggers.add(trigger_id)
        ws.trigger_owners.pop(trigger_id, None)
        saved = self._save(view, view_id=None)
        if owner is not None:
            if not push:
                for view_id in stack:
                    ws.views.pop(view_id, None)
                stack = []
            ws.modal_stacks[owner] = [*stack, saved["id"]]
        return {"view": saved}

    @web_api("views.update")
    async def update(self, args: Args) -> dict[str, Any]:
        current = self._view_to_update(args)
        _check_hash(args, current)
        view = valid_view(args, kind=current["type"])
        self._check_external_id(view, view_id=current["id"])
        return {"view": self._save(view, view_id=current["id"])}

    @web_api("views.publish")
    async def publish(self, args: Args) -> dict[str, Any]:
        ws = self._ws
        user = ws.known_user(args.get("user_id"), error="invalid_arguments")
        view = valid_view(args, kind="home")
        current_id = ws.homes.get(user.id)
        if current_id is not None:
            _check_hash(args, ws.views[current_id])
        self._check_external_id(view, view_id=current_id)
        saved = self._save(view, view_id=current_id)
        ws.homes[user.id] = saved["id"]
        return {"view": saved}

    def _view_to_update(self, args: Args) -> dict[str, Any]:
        view_id, external_id = str_arg(args, "view_id"), str_arg(args, "external_id")
        if view_id is None and external_id is None:
            raise Refusal(
                "invalid_arguments",
                ["[ERROR] either view_id or external_id is required [json-pointer:/view_id]"],
            )
        if view_id is None:
            view_id = self._ws.external_ids.get(external_id or "")
        current = self._ws.views.get(view_id or "")
        if current is None:
            raise Refusal("not_found")
        return current

    def _check_external_id(self, view: dict[str, Any], *, view_id: str | None) -> None:
        external_id = view.get("external_id")
        owner = self._ws.external_ids.get(external_id) if external_id else None
        if owner is not None and owner != view_id:
            raise Refusal("duplicate_external_id")

    def _save(self, view: dict[str, Any], *, view_id: str | None) -> dict[str, Any]:
        ws = self._ws
        if view_id is None:
            view_id = ws.next_view_id()
        previous = ws.views.get(view_id, {})
        stored = copy.deepcopy(view)
        stored.setdefault("external_id", "")
        stored.setdefault("callback_id", "")
        stored.setdefault("private_metadata", "")
        stored.update(
            id=view_id,
            team_id=ws.team_id,
            hash=ws.next_view_hash(),
            state={"values": {}},
            root_view_id=previous.get("root_view_id", view_id),
            previous_view_id=previous.get("previous_view_id"),
            app_id=ws.app_id,
            bot_id=ws.bot_id,
        )
        if previous.get("external_id"):
            ws.external_ids.pop(previous["external_id"], None)
        if stored["external_id"]:
            ws.external_ids[stored["external_id"]] = view_id
        ws.views[view_id] = stored
        ws.mark_changed()
        return copy.deepcopy(stored)

    # --- a person's side --------------------------------------------------------------

    def all_views(self) -> dict[str, dict[str, Any]]:
        return copy.deepcopy(self._ws.views)

    def published_home(self, user_id: str) -> dict[str, Any] | None:
        view_id = self._ws.homes.get(user_id)
        return None if view_id is None else copy.deepcopy(self._ws.views[view_id])

    def issue_trigger(self, user_id: str) -> str:
        """A trigger_id for something `user_id` just did: the modal it opens is theirs."""
        if user_id not in self._ws.users:
            raise ValueError(f"unknown user {user_id}; add_user() them first")
        trigger = f"{self._ws.next_ts()}.{secrets.token_hex(6)}"
        self._ws.trigger_owners[trigger] = user_id
        return trigger

    def modal_of(self, user_id: str) -> dict[str, Any] | None:
        """The modal `user_id` has in front of them (the top of their stack), if any."""
        stack = self._ws.modal_stacks.get(user_id)
        return copy.deepcopy(self._ws.views[stack[-1]]) if stack else None

    def close_view(self, view_id: str) -> None:
        """The user closes a modal: Slack forgets it, and updating it is `not_found`."""
        del self._ws.views[view_id]
        for stack in self._ws.modal_stacks.values():
            if view_id in stack:
                stack.remove(view_id)
        self._ws.mark_changed()

    def close_modals(self, user_id: str) -> None:
        """Every modal of `user_id` closes, as after ``"response_action": "clear"``."""
        for view_id in list(self._ws.modal_stacks.get(user_id, [])):
            self.close_view(view_id)

    def replace_view(self, view_id: str, view: dict[str, Any]) -> list[str]:
        """``"response_action": "update"``: the errors Slack would show, else [] once replaced."""
        if view_id not in self._ws.views:
            return ["[ERROR] the view is closed"]
        errors = view_errors(view) if isinstance(view, dict) else ["[ERROR] must be a view"]
        if not errors:
            self._save(view, view_id=view_id)
        return errors

    def push_view(self, user_id: str, view: dict[str, Any]) -> list[str]:
        """``"response_action": "push"``: the errors Slack would show, else [] once pushed."""
        errors = view_errors(view) if isinstance(view, dict) else ["[ERROR] must be a view"]
        stack = self._ws.modal_stacks.get(user_id, [])
        if not errors and len(stack) >= _MAX_MODAL_STACK:
            errors = ["[ERROR] push_limit_reached"]
        if not errors:
            saved = self._save(view, view_id=None)
            self._ws.modal_stacks.setdefault(user_id, []).append(saved["id"])
        return errors


def _check_hash(args: Args, current: dict[str, Any]) -> None:
    expected = args.get("hash")
    if expected is not None and expected != current["hash"]:
        raise Refusal("hash_conflict")

"""The Slack app manifests give Slack what Outpost needs, at the contract's paths.

The bot scopes are those the fake Slack grants by default: the suite, run against it, is what
shows Outpost needs no more than these.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.emulator.slack import DEFAULT_SCOPES

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["manifest.yml", "manifest.socket-mode.yml"])
def test_manifest_has_command_scopes_events_and_interactivity(name: str) -> None:
    manifest = yaml.safe_load((ROOT / name).read_text())
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/account"
    assert command["description"] and command["usage_hint"]
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == DEFAULT_SCOPES
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert {"app_home_opened", "app_mention"} <= set(
        manifest["settings"]["event_subscriptions"]["bot_events"]
    )


def test_http_manifest_sends_everything_to_slack_events() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    settings = manifest["settings"]
    urls = [
        manifest["features"]["slash_commands"][0]["url"],
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
        settings["interactivity"]["message_menu_options_url"],
    ]
    assert all(url.startswith("https://") and url.endswith("/slack/events") for url in urls)
    assert settings["socket_mode_enabled"] is False


def test_socket_mode_manifest_has_no_request_urls() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.socket-mode.yml").read_text())
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "url" not in manifest["features"]["slash_commands"][0]
    assert "request_url" not in manifest["settings"]["interactivity"]


def test_procfile_starts_the_bot() -> None:
    assert (ROOT / "Procfile").read_text().strip() == "web: python -m bot"


@pytest.mark.parametrize("name", ["manifest.yml", "manifest.socket-mode.yml"])
def test_messages_tab_shows_outposts_direct_messages(name: str) -> None:
    # Grant notices, the audit CSV, fallback cards and ops' Approve/Deny arrive as DMs: with
    # the Messages tab off, people cannot see them. Read-only: Outpost takes no DM commands.
    app_home = yaml.safe_load((ROOT / name).read_text())["features"]["app_home"]
    assert app_home["messages_tab_enabled"] is True
    assert app_home["messages_tab_read_only_enabled"] is True

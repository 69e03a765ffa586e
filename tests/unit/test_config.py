"""Settings that cannot work are refused by `load_settings`, in the one line start-up prints."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings

SLACK_ONLY = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """Only what a test sets: no variable of the caller's, no `.env` file."""
    monkeypatch.chdir(tmp_path)
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch


def refusal(environment: pytest.MonkeyPatch, **settings: str) -> str:
    for name, value in {**SLACK_ONLY, **settings}.items():
        environment.setenv(name, value)
    with pytest.raises(ConfigError) as refused:
        load_settings()
    line = str(refused.value)
    assert "\n" not in line
    return line


@pytest.mark.parametrize("value", ["", " ", "\t"])
def test_an_empty_signing_secret_is_refused(environment: pytest.MonkeyPatch, value: str) -> None:
    assert refusal(environment, SLACK_SIGNING_SECRET=value) == (
        "configuration error: SLACK_SIGNING_SECRET is empty; paste the app's Signing Secret "
        "(or, in Socket Mode, remove the line)"
    )


def test_an_empty_signing_secret_is_refused_in_socket_mode_too(
    environment: pytest.MonkeyPatch,
) -> None:
    line = refusal(environment, SLACK_APP_TOKEN="xapp-1", SLACK_SIGNING_SECRET="")
    assert line.startswith("configuration error: SLACK_SIGNING_SECRET is empty")


@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_bot_token_is_refused(environment: pytest.MonkeyPatch, value: str) -> None:
    assert refusal(environment, SLACK_BOT_TOKEN=value) == (
        "configuration error: SLACK_BOT_TOKEN is empty; paste the app's Bot User OAuth Token "
        "(xoxb-…)"
    )

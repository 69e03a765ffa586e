"""Settings that cannot work are refused by `load_settings`, in the one line start-up prints."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings

SLACK_ONLY = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
DURATIONS = sorted(
    name.upper() for name, field in Settings.model_fields.items() if field.annotation is timedelta
)


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


def test_every_duration_setting_is_checked_here() -> None:
    # Found by their type, so a duration setting added later is covered by the tests below.
    assert {
        "AWS_RETRY_BASE",
        "BREAKGLASS_REQUEST_TTL",
        "ENGINE_LEASE",
        "HTTP_KEEPALIVE_TIMEOUT",
        "SLACK_EVENT_RETENTION",
        "STUCK_AFTER",
    } <= set(DURATIONS)


@pytest.mark.parametrize("variable", DURATIONS)
@pytest.mark.parametrize("value", ["0s", "0", "0m0s", "0.0000001s"])
def test_a_duration_of_nothing_is_refused(
    environment: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    assert refusal(environment, **{variable: value}) == (
        f"configuration error: {variable} must be longer than 0s; "
        "use 45s, 15m, 1h30m, 2d or plain seconds such as 90"
    )


@pytest.mark.parametrize("variable", DURATIONS)
def test_a_negative_duration_is_refused(environment: pytest.MonkeyPatch, variable: str) -> None:
    assert refusal(environment, **{variable: "-5"}).startswith(
        f"configuration error: {variable} '-5' is not a duration"
    )


def test_the_shortest_durations_are_taken(environment: pytest.MonkeyPatch) -> None:
    for name, value in {**SLACK_ONLY, "ENGINE_POLL_INTERVAL": "0.05", "ENGINE_LEASE": "1s"}.items():
        environment.setenv(name, value)
    settings = load_settings()
    assert settings.engine_poll_interval == timedelta(milliseconds=50)
    assert settings.engine_lease == timedelta(seconds=1)


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

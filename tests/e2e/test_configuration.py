"""A first start-up: settings that cannot work are refused in one line, and missing pieces that
turn a feature off are named in the log, through the real `python -m bot`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.emulator.slack import FakeSlack
from tests.support.bot_fixtures import bot_env
from tests.support.bot_process import BOT_TOKEN, SIGNING_SECRET, BotProcess, run_until_exit

SLACK_ONLY = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}


def _refusal(env: dict[str, str], tmp_path: Path) -> str:
    result = run_until_exit({**SLACK_ONLY, **env}, tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("env", "line"),
    [
        (
            {"LOG_LEVEL": "LOUD"},
            "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL (got 'LOUD')",
        ),
        ({"PORT": "abc"}, "PORT must be a whole number from 0 to 65535"),
        ({"PORT": "99999"}, "PORT must be a whole number from 0 to 65535"),
        ({"AWS_RETRY_ATTEMPTS": "0"}, "AWS_RETRY_ATTEMPTS must be a whole number from 1 to 20"),
        (
            {"OPS_USERS": "nobody"},
            "OPS_USERS must be Slack user ids (U… or W…), comma-separated; 'nobody' is not one",
        ),
        (
            {"BREAKGLASS_SELF_APPROVE_USERS": "UOPS,@olga"},
            "BREAKGLASS_SELF_APPROVE_USERS must be Slack user ids (U… or W…), "
            "comma-separated; '@olga' is not one",
        ),
        (
            {"OPS_USERGROUP": "ops"},
            "OPS_USERGROUP must be a Slack user group id (S…), not its handle",
        ),
        (
            {"SLACK_SIGNING_SECRET": ""},
            "SLACK_SIGNING_SECRET is empty; paste the app's Signing Secret "
            "(or, in Socket Mode, remove the line)",
        ),
        (
            {"SLACK_BOT_TOKEN": " "},
            "SLACK_BOT_TOKEN is empty; paste the app's Bot User OAuth Token (xoxb-…)",
        ),
        (
            {"ENGINE_LEASE": "0s"},
            "ENGINE_LEASE must be longer than 0s; use 45s, 15m, 1h30m, 2d or plain seconds "
            "such as 90",
        ),
        (
            {"HTTP_BODY_TIMEOUT": "0"},
            "HTTP_BODY_TIMEOUT must be longer than 0s; use 45s, 15m, 1h30m, 2d or plain "
            "seconds such as 90",
        ),
    ],
)
def test_a_setting_that_cannot_work_is_refused_in_one_line(
    tmp_path: Path, env: dict[str, str], line: str
) -> None:
    assert _refusal(env, tmp_path) == f"outpost: configuration error: {line}"


def test_a_log_level_is_read_in_any_case(tmp_path: Path) -> None:
    # Accepted, so start-up goes on to the next problem: the signing secret.
    result = run_until_exit({"SLACK_BOT_TOKEN": "xoxb-1", "LOG_LEVEL": "debug"}, tmp_path)
    assert "LOG_LEVEL" not in result.stderr
    assert "SLACK_SIGNING_SECRET is not set" in result.stderr


def test_a_sqlite_file_in_a_missing_folder_is_refused_and_nothing_is_created(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "nonexistent" / "dir"
    line = _refusal({"DATABASE_URL": f"sqlite:///{folder}/x.db"}, tmp_path)
    assert line == (
        f"outpost: configuration error: DATABASE_URL names a folder that does not exist "
        f"({folder}); create it on a persistent disk, or point DATABASE_URL at one"
    )
    assert not (tmp_path / "nonexistent").exists()


def _without_aws_credentials(process: BotProcess, home: Path) -> None:
    """Nothing of boto3's credential chain: no variables, no files, no instance metadata."""
    env = {name: value for name, value in process.env.items() if not name.startswith("AWS_")}
    process.env = {
        **env,
        "HOME": str(home),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-credentials"),
        "AWS_CONFIG_FILE": str(home / "no-config"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }


async def test_only_slack_settings_start_with_a_warning_for_each_missing_piece(
    tmp_path: Path, slack: FakeSlack
) -> None:
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.base_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'outpost.db'}",
    }
    process = BotProcess(env, tmp_path / "bot.log")
    _without_aws_credentials(process, tmp_path)
    await process.start()
    await process.stop()
    warnings = [line for line in process.log().splitlines() if " WARNING " in line]
    expected = [
        "no AWS credentials found (environment, AWS_PROFILE, shared files, instance or container "
        "role): every AWS call will fail until there are",
        "neither OPS_USERGROUP nor OPS_USERS is set: nobody can approve or grant break-glass "
        "access or mark an operation resolved, and stuck alerts call nobody",
        "AUDIT_CHANNEL is not set: break-glass requests, decisions, grants and revokes are "
        "posted to no audit channel (`/account audit` still lists them)",
        "BREAKGLASS_PERMISSION_SET is not set: break-glass access is off",
    ]
    for text in expected:
        assert any(line.endswith(text) for line in warnings), (text, warnings)


async def test_a_complete_configuration_starts_without_warnings(
    tmp_path: Path, aws, slack: FakeSlack
) -> None:
    env = {
        **bot_env(aws.url, slack.base_url, tmp_path),
        "AUDIT_CHANNEL": "CPLATFORM",
        "BREAKGLASS_PERMISSION_SET": "BreakGlass",
    }
    process = BotProcess(env, tmp_path / "bot.log")
    await process.start()
    await process.stop()
    assert [line for line in process.log().splitlines() if " WARNING " in line] == []

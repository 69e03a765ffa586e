"""Outpost's settings in the sandbox: fixed, short intervals, never read from the environment.

A `.env` or exported variable meant for a real deployment (a channel id, a usergroup, a role
ARN) must not leak into the sandbox, so these settings come from here alone.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from bot.config import Settings
from bot.sandbox.people import APPROVALS, AUDIT, ops_ids

PERMISSION_SET = "BreakGlass"
# What the sandbox's AWS holds for team ownership: the permission set teams get on their own
# accounts, the name pattern of the groups that are teams, and the OU closed accounts go to.
TEAM_PERMISSION_SET = "AdministratorAccess"
TEAM_GROUP_FILTER = "team-*"
CLOSED_OU = "Closed"


class _FromHereOnly(Settings):
    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def sandbox_settings(
    *, bot_token: str, signing_secret: str, slack_api_url: str, data: Path, port: int
) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": SecretStr(bot_token),
        "slack_signing_secret": SecretStr(signing_secret),
        "slack_api_url": slack_api_url,
        "port": port,
        "database_url": f"sqlite:///{data / 'outpost.db'}",
        "ops_users": ops_ids(),
        "audit_channel": AUDIT.id,
        "approvals_channel": APPROVALS.id,
        "account_email_template": "aws+{name}@sandbox.example",
        "breakglass_permission_set": PERMISSION_SET,
        "breakglass_min_duration": timedelta(minutes=2),
        "breakglass_request_ttl": timedelta(hours=1),
        # Short enough that a visitor sees each step, retries, a stuck alert and an expiry.
        "create_poll_interval": timedelta(seconds=1),
        "create_poll_max_interval": timedelta(seconds=3),
        "aws_retry_base": timedelta(seconds=1),
        "aws_retry_max": timedelta(seconds=4),
        "engine_poll_interval": timedelta(milliseconds=500),
        "engine_lease": timedelta(seconds=15),
        "outbox_retry_max": timedelta(seconds=5),
        "stuck_after": timedelta(minutes=1),
        "stuck_check_interval": timedelta(seconds=5),
        "sweep_interval": timedelta(seconds=2),
        "assignment_poll_interval": timedelta(seconds=1),
        "revoke_retry_interval": timedelta(seconds=10),
    }
    return _FromHereOnly(**values)

"""Outpost's settings, read once from the environment (the runtime contract in the README).

One class, so that every variable is documented, typed and checked in one place, and a wrong
one stops start-up with a line that names it.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.domain.durations import DURATION_FORMS, format_duration, parse_duration
from bot.domain.errors import ConfigurationError
from bot.domain.grants import SHORTEST_GRANT
from bot.store import url_problem


def _longer_than_zero(value: timedelta) -> timedelta:
    # 0s would make a loop spin, a lease lapse at once or a timeout cut every request short.
    if value <= timedelta(0):
        raise ValueError(f"must be longer than 0s; use {DURATION_FORMS}")
    return value


# Every duration Outpost reads is a wait, a timeout or a lifetime: none can be zero.
PositiveDuration = Annotated[
    timedelta, BeforeValidator(parse_duration), AfterValidator(_longer_than_zero)
]


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Slack user ids: U… for a workspace's people, W… for those of an Enterprise Grid org.
_USER_ID = re.compile(r"[UW][A-Z0-9]+")
_USERGROUP_ID = re.compile(r"S[A-Z0-9]+")
# AWS Organizations' pattern for an OU id.
_OU_ID = re.compile(r"ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}")


def _split_ids(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _user_ids(value: list[str]) -> list[str]:
    for part in value:
        if not _USER_ID.fullmatch(part):
            raise ValueError(
                f"must be Slack user ids (U… or W…), comma-separated; {part!r} is not one"
            )
    return value


UserIds = Annotated[list[str], NoDecode, BeforeValidator(_split_ids), AfterValidator(_user_ids)]


class Settings(BaseSettings):
    # Variables from the environment win over a local `.env` file.
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    slack_bot_token: SecretStr
    slack_signing_secret: SecretStr | None = None  # required in HTTP mode; see below
    slack_app_token: SecretStr | None = None
    slack_api_url: str | None = None

    port: int = Field(default=3000, ge=0, le=65535)
    database_url: str = "sqlite:///outpost.db"

    ops_usergroup: str | None = None
    ops_users: UserIds = []
    audit_channel: str | None = None
    operations_channel: str | None = None
    account_email_template: str | None = None
    # Teams are the Identity Center groups whose names match (fnmatch, any case), e.g. team-*.
    team_group_filter: str | None = None
    # What a team gets on its new accounts (a permission set's name or ARN); unset, nothing.
    team_permission_set: str | None = None
    closed_ou: str | None = None  # where closed accounts go (an OU id)

    breakglass_permission_set: str | None = None
    breakglass_max_duration: PositiveDuration = timedelta(hours=4)
    breakglass_min_duration: PositiveDuration = SHORTEST_GRANT
    # Unanswered requests lapse after it.
    breakglass_request_ttl: PositiveDuration = timedelta(hours=8)
    breakglass_self_approve_users: UserIds = []
    # From the management account, access can be made permanent and the organization changed.
    breakglass_allow_management_account: bool = False
    approvals_channel: str | None = None  # where requests wait; default AUDIT_CHANNEL
    sso_start_url: str | None = None  # the AWS access portal, shown with granted access
    scheduler_role_arn: str | None = None
    assignment_poll_interval: PositiveDuration = timedelta(seconds=2)
    revoke_retry_interval: PositiveDuration = timedelta(minutes=1)
    sweep_interval: PositiveDuration = timedelta(seconds=5)

    stuck_after: PositiveDuration = timedelta(minutes=15)
    stuck_check_interval: PositiveDuration = timedelta(seconds=30)
    create_poll_interval: PositiveDuration = timedelta(seconds=5)
    create_poll_max_interval: PositiveDuration = timedelta(minutes=1)
    aws_retry_attempts: int = Field(default=5, ge=1, le=20)
    aws_retry_base: PositiveDuration = timedelta(seconds=1)
    aws_retry_max: PositiveDuration = timedelta(seconds=20)
    engine_poll_interval: PositiveDuration = timedelta(seconds=1)
    engine_lease: PositiveDuration = timedelta(seconds=30)
    outbox_retry_max: PositiveDuration = timedelta(minutes=1)
    # How long an event id is remembered: longer than Slack goes on retrying an event (an hour).
    slack_event_retention: PositiveDuration = timedelta(hours=2)
    log_level: str = "INFO"

    # What one client of the HTTP server may send or hold (see bot/server.py, bot/connections.py)
    http_max_body_bytes: int = Field(default=512 * 1024, ge=16 * 1024)
    http_header_timeout: PositiveDuration = timedelta(seconds=10)
    http_body_timeout: PositiveDuration = timedelta(seconds=5)
    http_keepalive_timeout: PositiveDuration = timedelta(seconds=75)
    http_max_connections: int = Field(default=256, ge=1)

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_form(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("is empty; paste the app's Bot User OAuth Token (xoxb-…)")
        if not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return _not_the_example(value)

    @field_validator("slack_signing_secret")
    @classmethod
    def _signing_secret_filled_in(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        # Empty, it is no secret: either requests go unverified or anyone can sign them.
        if not value.get_secret_value().strip():
            raise ValueError(
                "is empty; paste the app's Signing Secret (or, in Socket Mode, remove the line)"
            )
        return _not_the_example(value)

    @model_validator(mode="after")
    def _http_mode_verifies_requests(self) -> Settings:
        if self.slack_app_token is None and self.slack_signing_secret is None:
            raise ValueError(
                "SLACK_SIGNING_SECRET is not set: HTTP mode needs it to verify Slack's "
                "requests (or set SLACK_APP_TOKEN for Socket Mode)"
            )
        return self

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_form(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp- (or unset)")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url_form(cls, value: str) -> str:
        problem = url_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _grant_bounds_in_order(self) -> Settings:
        if self.breakglass_max_duration < self.breakglass_min_duration:
            raise ValueError(
                f"BREAKGLASS_MAX_DURATION ({format_duration(self.breakglass_max_duration)}) is "
                "shorter than BREAKGLASS_MIN_DURATION "
                f"({format_duration(self.breakglass_min_duration)})"
            )
        return self

    @field_validator("ops_usergroup")
    @classmethod
    def _usergroup_id_form(cls, value: str | None) -> str | None:
        if value is not None and not _USERGROUP_ID.fullmatch(value):
            raise ValueError("must be a Slack user group id (S…), not its handle")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _known_log_level(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().upper() in LOG_LEVELS:
            return value.strip().upper()
        raise ValueError(f"must be one of {', '.join(LOG_LEVELS)} (got {value!r})")

    @field_validator("scheduler_role_arn")
    @classmethod
    def _role_arn_form(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("arn:"):
            raise ValueError("must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)")
        return value

    @field_validator("team_group_filter", "team_permission_set")
    @classmethod
    def _filled_in(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("is empty; give a value or remove the line")
        return value.strip() if value is not None else None

    @field_validator("closed_ou")
    @classmethod
    def _ou_id_form(cls, value: str | None) -> str | None:
        if value is not None and not _OU_ID.fullmatch(value.strip()):
            raise ValueError("must be an organizational unit id (ou-…), not its name")
        return value.strip() if value is not None else None

    @property
    def teams_are_groups(self) -> bool:
        """The owning team is an Identity Center group (chosen from a select), not free text."""
        return self.team_permission_set is not None or self.team_group_filter is not None

    @property
    def approvals_in(self) -> str | None:
        """Where break-glass requests wait for a decision."""
        return self.approvals_channel or self.audit_channel

    @field_validator("account_email_template")
    @classmethod
    def _template_has_name(cls, value: str | None) -> str | None:
        if value is not None and "{name}" not in value:
            raise ValueError("must contain {name}, e.g. aws+{name}@example.com")
        return value


def _not_the_example(value: SecretStr) -> SecretStr:
    if "..." in value.get_secret_value():
        raise ValueError("still holds the placeholder from .env.example; paste the real value")
    return value


class ConfigError(ConfigurationError):
    """A setting is missing or malformed; the message is one line that names the variable."""


def load_settings() -> Settings:
    try:
        return Settings()  # type: ignore[call-arg]  # values come from the environment
    except ValidationError as error:
        raise ConfigError(describe_validation_error(error)) from None


def describe_validation_error(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        if not item["loc"]:  # a rule about several variables: its message names them
            problems.append(str(item["msg"]).removeprefix("Value error, "))
            continue
        variable = str(item["loc"][0]).upper()
        if item["type"] == "missing":
            problems.append(f"{variable} is not set")
        elif item["type"] in _WHOLE_NUMBER_ERRORS and _is_int(str(item["loc"][0])):
            problems.append(f"{variable} must be {_whole_number_range(str(item['loc'][0]))}")
        else:
            message = str(item["msg"]).removeprefix("Value error, ")
            problems.append(f"{variable} {message}")
    return "configuration error: " + "; ".join(problems)


# pydantic's own words for a number that is not one, or out of bounds.
_WHOLE_NUMBER_ERRORS = {
    "int_parsing",
    "int_type",
    "int_from_float",
    "greater_than_equal",
    "less_than_equal",
}


def _is_int(field: str) -> bool:
    known = Settings.model_fields.get(field)
    return known is not None and known.annotation is int


def _whole_number_range(field: str) -> str:
    """'a whole number from 0 to 65535', from the bounds the field declares."""
    low = high = None
    for rule in Settings.model_fields[field].metadata:
        low = getattr(rule, "ge", low)
        high = getattr(rule, "le", high)
    if low is not None and high is not None:
        return f"a whole number from {low} to {high}"
    if low is not None:
        return f"a whole number of at least {low}"
    return "a whole number"

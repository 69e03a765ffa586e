"""What a start-up with valid but incomplete settings turns off, said once in the log.

Settings that cannot work stop start-up (bot/config.py); these can, but leave a feature off or
unattended, and a first-time operator should learn it from the log, not from a silent Slack.
"""

from __future__ import annotations

import boto3
from botocore.exceptions import BotoCoreError

from bot.config import Settings


def aws_credentials_problem() -> str | None:
    """Why boto3's credential chain finds nothing (it may ask instance metadata: call off-loop)."""
    try:
        credentials = boto3.session.Session().get_credentials()
    except BotoCoreError as error:  # AWS_PROFILE naming a profile that is not there, say
        return f"AWS credentials could not be read ({error}): every AWS call will fail"
    if credentials is None:
        return (
            "no AWS credentials found (environment, AWS_PROFILE, shared files, instance or "
            "container role): every AWS call will fail until there are"
        )
    return None


def missing_pieces(settings: Settings) -> list[str]:
    """One line for each unset setting that turns a feature off."""
    lines = []
    if settings.ops_usergroup is None and not settings.ops_users:
        lines.append(
            "neither OPS_USERGROUP nor OPS_USERS is set: nobody can approve or grant "
            "break-glass access or mark an operation resolved, and stuck alerts call nobody"
        )
    if settings.audit_channel is None:
        lines.append(
            "AUDIT_CHANNEL is not set: break-glass requests, decisions, grants and revokes "
            "are posted to no audit channel (`/account audit` still lists them)"
        )
    if settings.breakglass_permission_set is None:
        lines.append("BREAKGLASS_PERMISSION_SET is not set: break-glass access is off")
    return lines

"""Slack listeners. Each module registers its own; `register` registers them all."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers import account_command, accounts, aws_calls, breakglass, events, new_account, triage


def register(app: AsyncApp) -> None:
    account_command.register(app)
    new_account.register(app)
    events.register(app)
    aws_calls.register(app)
    triage.register(app)
    accounts.register(app)
    breakglass.register(app)

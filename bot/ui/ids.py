"""Every callback, block and action id Outpost uses, in one place."""

from __future__ import annotations

from enum import StrEnum


class CallbackId(StrEnum):
    NEW_ACCOUNT = "new_account"
    AWS_CALLS = "aws_calls"
    RESOLVE = "resolve_operation"


class BlockId(StrEnum):
    ACCOUNT_NAME = "account_name"
    ORGANIZATIONAL_UNIT = "organizational_unit"
    TEAM = "team"
    ROOT_EMAIL = "root_email"
    PURPOSE = "purpose"
    CARD_ACTIONS = "card_actions"
    RESOLVE_NOTE = "resolve_note"
    ACCOUNT_LIST_PAGER = "account_list_pager"


class ActionId(StrEnum):
    ACCOUNT_NAME = "account_name_input"
    ORGANIZATIONAL_UNIT = "organizational_unit_select"
    TEAM = "team_input"
    ROOT_EMAIL = "root_email_input"
    PURPOSE = "purpose_input"
    SHOW_AWS_CALLS = "show_aws_calls"
    RETRY = "retry_operation"
    CANCEL = "cancel_operation"
    RESOLVE = "resolve_operation"
    RESOLVE_NOTE = "resolve_note_input"
    MORE_ACCOUNTS = "more_accounts"

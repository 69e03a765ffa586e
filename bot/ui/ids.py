"""Every callback, block and action id Outpost uses, in one place."""

from __future__ import annotations

from enum import StrEnum


class CallbackId(StrEnum):
    NEW_ACCOUNT = "new_account"
    AWS_CALLS = "aws_calls"
    RESOLVE = "resolve_operation"
    REQUEST_AGAIN = "request_again"  # a new request, the form filled in from a failed one
    BREAKGLASS = "breakglass_request"
    DENY = "deny_access"
    EXTEND = "extend_access"
    SELF_APPROVE = "self_approve_access"


class BlockId(StrEnum):
    ACCOUNT_NAME = "account_name"
    ORGANIZATIONAL_UNIT = "organizational_unit"
    TEAM = "team"
    ROOT_EMAIL = "root_email"
    PURPOSE = "purpose"
    CARD_ACTIONS = "card_actions"
    RESOLVE_NOTE = "resolve_note"
    ACCOUNT_LIST_PAGER = "account_list_pager"
    ACCESS_ACCOUNT = "access_account"
    ACCESS_DURATION = "access_duration"
    ACCESS_JUSTIFICATION = "access_justification"
    ACCESS_TICKET = "access_ticket"
    DENY_REASON = "deny_reason"
    EXTEND_DURATION = "extend_duration"
    EXTEND_REASON = "extend_reason"
    SELF_APPROVE_NOTE = "self_approve_note"
    GRANT_ACTIONS = "grant_actions"


class ActionId(StrEnum):
    ACCOUNT_NAME = "account_name_input"
    ORGANIZATIONAL_UNIT = "organizational_unit_select"
    TEAM = "team_input"
    TEAM_GROUP = "team_group_select"  # an external_select of Identity Center groups
    ROOT_EMAIL = "root_email_input"
    PURPOSE = "purpose_input"
    SHOW_AWS_CALLS = "show_aws_calls"
    RETRY = "retry_operation"
    CANCEL = "cancel_operation"
    RESOLVE = "resolve_operation"
    REQUEST_AGAIN = "request_again"  # a new request, the form filled in from a failed one
    RESOLVE_NOTE = "resolve_note_input"
    MORE_ACCOUNTS = "more_accounts"
    ACCESS_ACCOUNT = "access_account_select"  # an external_select: options load as you type
    ACCESS_DURATION = "access_duration_input"
    ACCESS_JUSTIFICATION = "access_justification_input"
    ACCESS_TICKET = "access_ticket_input"
    APPROVE_ACCESS = "approve_access"
    DENY_ACCESS = "deny_access"
    REVOKE_ACCESS = "revoke_access"
    EXTEND_ACCESS = "extend_access"
    DENY_REASON = "deny_reason_input"
    EXTEND_DURATION = "extend_duration_input"
    EXTEND_REASON = "extend_reason_input"
    SELF_APPROVE_NOTE = "self_approve_note_input"

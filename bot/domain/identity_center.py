"""What Outpost knows about IAM Identity Center when it grants access.

Break-glass access is an account assignment: a user, a permission set and an AWS account,
created for a while and then deleted. A team's access to its own accounts is one too, made for
the team's group when the account is created. These are the values the Identity Center gateway
reads and the access workflows reason about, kept free of boto3 so that they can be stored,
shown and tested on their own.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel


class IdentityCenterInstance(BaseModel, frozen=True):
    """The organization's Identity Center: every sso-admin call names it by ARN."""

    arn: str  # arn:aws:sso:::instance/ssoins-…
    identity_store_id: str  # d-…, where its users live


class PermissionSet(BaseModel, frozen=True):
    arn: str  # arn:aws:sso:::permissionSet/ssoins-…/ps-…
    name: str


class Group(BaseModel, frozen=True):
    """An Identity Center group: a team, when its name passes TEAM_GROUP_FILTER."""

    id: str
    name: str  # its DisplayName
    description: str = ""


class AssignmentState(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    FAILED = "FAILED"
    SUCCEEDED = "SUCCEEDED"


class AssignmentStatus(BaseModel, frozen=True):
    """Where the creation or deletion of one account assignment stands.

    AWS's model marks every field of the status optional; `request_id` and `state` are always
    there in practice. The others are None when AWS leaves them out.
    """

    request_id: str
    state: AssignmentState
    failure_reason: str | None = None  # free text from AWS when the state is FAILED
    account_id: str | None = None
    permission_set_arn: str | None = None
    principal_id: str | None = None

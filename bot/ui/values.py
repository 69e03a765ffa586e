"""What Outpost puts in a button's or an option's `value`, and how it reads one back.

Slack hands a value back as it was given, but a click is only a claim: an old card, another
app's button or a forged request may carry anything. Each kind of value is a small pydantic
model, so a listener gets typed fields or an `UnreadableValue`, never a string to split.

Buttons keep the wire shape cards have always carried, the id then its `|`-separated fields
(`op-1a2b3c4d|failed`, `bg-1a2b3c4d|extension-1`, `bg-1a2b3c4d|withdraw`): a card posted by an
earlier version still works after an upgrade. The More button's cursor was JSON from the
start and stays so.

Options are built here too. A submitted form's selection is read as it came, not decoded:
the account or OU it names is looked up in the organization, and one that is not there is
told on the field, as a typed one would be.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.domain.errors import InvalidInput
from bot.domain.operations import OperationState

VALUE_LIMIT = 2000  # Slack's limit on a button's value; an option's is 150
OPTION_VALUE_LIMIT = 150
OU_FILTER_LIMIT = 1000  # an OU path is at most 5 names of 128 characters
SEPARATOR = "|"

OPERATION_ID = r"^op-[0-9a-z]{1,40}$"
GRANT_ID = r"^bg-[0-9a-z]{1,40}$"


class UnreadableValue(InvalidInput):
    """A value Outpost did not build: a button from another app, or a forged or mangled one."""

    def __init__(self, kind: str, raw: object) -> None:
        shown = raw[:40] if isinstance(raw, str) else type(raw).__name__
        super().__init__(f"not a {kind} value: {shown!r}")
        self.kind = kind


class _Value(BaseModel, frozen=True):
    """Fields in declaration order, joined by `|`; trailing empty ones are left off."""

    model_config = ConfigDict(extra="forbid")
    limit: ClassVar[int] = VALUE_LIMIT

    def encode(self) -> str:
        fields = [self._wire(getattr(self, name)) for name in type(self).model_fields]
        while fields and not fields[-1]:
            fields.pop()
        encoded = SEPARATOR.join(fields)
        if len(encoded) > self.limit:  # a bug: every field is bounded well within the limit
            raise ValueError(f"{type(self).__name__} value of {len(encoded)} characters")
        return encoded

    @classmethod
    def decode(cls, raw: object) -> Self:
        if not isinstance(raw, str) or not raw or len(raw) > cls.limit:
            raise UnreadableValue(cls.__name__, raw)
        names = list(cls.model_fields)
        parts = raw.split(SEPARATOR)
        if len(parts) > len(names):
            raise UnreadableValue(cls.__name__, raw)
        try:
            return cls.model_validate(dict(zip(names, parts, strict=False)))
        except ValidationError:
            raise UnreadableValue(cls.__name__, raw) from None

    @staticmethod
    def _wire(field: Any) -> str:
        return "" if field is None else str(field)  # a StrEnum gives its value


class OperationButton(_Value, frozen=True):
    """Cancel, Mark resolved, Show AWS calls and New request: the operation acted on."""

    operation_id: str = Field(pattern=OPERATION_ID)


class RetryButton(_Value, frozen=True):
    """Retry names the state it was shown for: a second click, once the first has resumed the
    operation, is then told so instead of retrying a running operation."""

    operation_id: str = Field(pattern=OPERATION_ID)
    shown_for: OperationState | None = None


class GrantButton(_Value, frozen=True):
    """Extend: the grant acted on."""

    grant_id: str = Field(pattern=GRANT_ID)


class DecisionButton(_Value, frozen=True):
    """Approve and Deny: the grant, and what was being decided when the card was drawn (the
    request, or one extension), so a click on a stale card cannot decide something newer."""

    grant_id: str = Field(pattern=GRANT_ID)
    deciding: str = Field(pattern=r"^(request|extension-[0-9]{1,4})$")


class RevokeButton(_Value, frozen=True):
    """Withdraw (a pending request) and Revoke now (live access) share one action; a Withdraw
    is marked, so a click that lands after an approval is not taken as Revoke now."""

    grant_id: str = Field(pattern=GRANT_ID)
    mark: Literal["withdraw"] | None = None

    @classmethod
    def withdrawing(cls, grant_id: str) -> RevokeButton:
        return cls(grant_id=grant_id, mark="withdraw")

    @property
    def withdraw(self) -> bool:
        return self.mark == "withdraw"


class AccountOption(_Value, frozen=True):
    """An account in the break-glass form's select."""

    limit: ClassVar[int] = OPTION_VALUE_LIMIT
    account_id: str = Field(pattern=r"^[0-9]{12}$")


class OuOption(_Value, frozen=True):
    """An OU (or the root) in the new-account form's select."""

    limit: ClassVar[int] = OPTION_VALUE_LIMIT
    # Looser than AWS's own pattern: the form checks the OU against the organization anyway.
    ou_id: str = Field(pattern=r"^(r|ou)-[0-9a-z-]{1,120}$")


class TeamOption(_Value, frozen=True):
    """An Identity Center group in the new-account form's team select."""

    limit: ClassVar[int] = OPTION_VALUE_LIMIT
    # Identity Center's group ids: a UUID, optionally after a 10-character prefix and a hyphen.
    group_id: str = Field(pattern=r"^[0-9A-Za-z-]{1,47}$")


class ListCursor(BaseModel, frozen=True):
    """Where a page of `/account list` starts: the More button's value, as JSON."""

    model_config = ConfigDict(extra="forbid")

    ou: str = Field(default="", max_length=OU_FILTER_LIMIT)
    offset: int = Field(default=0, ge=0, le=1_000_000)

    def encode(self) -> str:
        return self.model_dump_json()

    @classmethod
    def decode(cls, raw: object) -> ListCursor:
        if not isinstance(raw, str) or len(raw) > VALUE_LIMIT:
            raise UnreadableValue(cls.__name__, raw)
        try:
            return cls.model_validate_json(raw)
        except ValidationError:
            raise UnreadableValue(cls.__name__, raw) from None


def unreadable_button() -> str:
    """The answer to a click whose value does not decode: nothing is done with it."""
    return (
        "This button is out of date, or it is not one of Outpost's: nothing was changed. "
        "`/account help` says what Outpost can do."
    )

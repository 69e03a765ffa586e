"""The AWS error catalog: what each error Outpost can meet means, and what to do about it.

The entries are data, one reviewed TOML file per AWS service in this folder, so that they read
as documentation and can be checked by tests against botocore's service models. Everything that
decides whether an error is retried, and everything a person reads about it, comes from here.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, HttpUrl, field_validator

HERE = Path(__file__).parent
DOC_HOST = "docs.aws.amazon.com"


class Retry(StrEnum):
    NO = "no"  # fails the step at once
    TRANSIENT = "transient"  # retried, but not for a call that may have taken effect
    TURNED_AWAY = "turned-away"  # AWS refused before acting: safe to repeat any call


Who = Literal[
    "engineer",  # whoever asked Outpost for the operation
    "ops",  # whoever runs Outpost and its AWS credentials
    "management account owner",  # admins of the organization's management account
    "AWS Support",
    "nobody",  # transient: Outpost retries
]


class Advice(BaseModel, frozen=True):
    meaning: str
    action: str
    who: Who
    doc: HttpUrl

    @field_validator("doc")
    @classmethod
    def _aws_documentation(cls, url: HttpUrl) -> HttpUrl:
        if url.scheme != "https" or url.host != DOC_HOST:
            raise ValueError(f"doc links must be https://{DOC_HOST}/…, not {url}")
        return url


class ErrorEntry(Advice, frozen=True):
    """An error code an AWS API answers with."""

    service: str  # botocore's service name, or "*" for an error any service may give
    code: str
    retry: Retry = Retry.NO


class ReasonEntry(Advice, frozen=True):
    """A value AWS gives inside an error or status: a `Reason` or a `FailureReason`."""

    service: str
    field: str  # e.g. "ConstraintViolationException.Reason", "CreateAccountStatus.FailureReason"
    value: str


class CatalogFile(BaseModel):
    error: list[ErrorEntry] = []
    reason: list[ReasonEntry] = []


Entry = ErrorEntry | ReasonEntry


@dataclass(frozen=True)
class Catalog:
    errors: tuple[ErrorEntry, ...]
    reasons: tuple[ReasonEntry, ...]
    _errors: dict[tuple[str, str], ErrorEntry] = field(init=False, repr=False)
    _by_word: dict[str, list[Entry]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_errors", {(e.service, e.code): e for e in self.errors})
        words: dict[str, list[Entry]] = {}
        for entry in (*self.errors, *self.reasons):
            words.setdefault(_word(entry).lower(), []).append(entry)
        object.__setattr__(self, "_by_word", words)

    def error(self, service: str, code: str) -> ErrorEntry | None:
        """The entry for this service's error code, or for that code from any service."""
        return self._errors.get((service, code)) or self._errors.get(("*", code))

    def reason(self, service: str, value: str) -> ReasonEntry | None:
        return next(
            (r for r in self.reasons if r.value == value and r.service in (service, "*")), None
        )

    def explain(self, word: str) -> list[Entry]:
        """Every entry for a code or reason, whatever its case."""
        return list(self._by_word.get(word.strip().lower(), []))

    def closest(self, word: str, count: int = 5) -> list[str]:
        names = {_word(e) for e in (*self.errors, *self.reasons)}
        lowered = {name.lower(): name for name in names}
        matches = difflib.get_close_matches(word.lower(), list(lowered), n=count, cutoff=0.5)
        return [lowered[m] for m in matches]

    def by_service(self) -> dict[str, list[str]]:
        listed: dict[str, list[str]] = {}
        for entry in (*self.errors, *self.reasons):
            listed.setdefault(entry.service, []).append(_word(entry))
        return {service: sorted(set(words)) for service, words in sorted(listed.items())}


def _word(entry: Entry) -> str:
    return entry.code if isinstance(entry, ErrorEntry) else entry.value


def load(paths: Iterable[Path]) -> Catalog:
    errors: list[ErrorEntry] = []
    reasons: list[ReasonEntry] = []
    for path in sorted(paths):
        loaded = CatalogFile.model_validate(tomllib.loads(path.read_text()))
        errors.extend(loaded.error)
        reasons.extend(loaded.reason)
    return Catalog(errors=tuple(errors), reasons=tuple(reasons))


@cache
def catalog() -> Catalog:
    """The catalog shipped with Outpost."""
    return load(HERE.glob("*.toml"))

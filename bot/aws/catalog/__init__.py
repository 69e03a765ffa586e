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
    # For a FailureReason AWS gives as free text: phrase groups, any of which identifies it.
    matches: tuple[tuple[str, ...], ...] = ()

    def matches_text(self, text: str) -> bool:
        lowered = text.lower()
        return any(all(p.lower() in lowered for p in group) for group in self.matches)


class CatalogFile(BaseModel):
    error: list[ErrorEntry] = []
    reason: list[ReasonEntry] = []
    # What to say about an error no entry covers: "client" (4xx) and "server" (5xx or none).
    fallback: dict[str, Advice] = {}


Entry = ErrorEntry | ReasonEntry


@dataclass(frozen=True)
class Catalog:
    errors: tuple[ErrorEntry, ...]
    reasons: tuple[ReasonEntry, ...]
    fallbacks: dict[str, Advice]
    _errors: dict[tuple[str, str], ErrorEntry] = field(init=False, repr=False)
    _by_word: dict[str, list[Entry]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_errors", {(e.service, e.code): e for e in self.errors})
        words: dict[str, list[Entry]] = {}
        for entry in self.entries:
            words.setdefault(_word(entry).lower(), []).append(entry)
        object.__setattr__(self, "_by_word", words)

    @property
    def entries(self) -> tuple[Entry, ...]:
        return (*self.errors, *self.reasons)

    def error(self, service: str, code: str) -> ErrorEntry | None:
        """The entry for this service's error code, or for that code from any service."""
        return self._errors.get((service, code)) or self._errors.get(("*", code))

    def reason(self, service: str, value: str, field: str | None = None) -> ReasonEntry | None:
        """The entry for a reason, in `field` if it has one there: a value can mean different
        things in different fields (INVALID_PAYMENT_INSTRUMENT). Without a field, a
        FailureReason (which stands in for an error code) comes first."""
        found = [r for r in self.reasons if r.value == value and r.service in (service, "*")]
        found.sort(key=lambda r: (r.field != field, not r.field.endswith("FailureReason")))
        return found[0] if found else None

    def reason_in_text(self, service: str, field: str, text: str) -> ReasonEntry | None:
        """The first entry whose phrases are in a free-text FailureReason, in catalog order."""
        for entry in self.reasons:
            if entry.service == service and entry.field == field and entry.matches_text(text):
                return entry
        return None

    def advice(
        self, service: str, code: str, reason: str | None, http_status: int | None
    ) -> Advice:
        """The most specific thing the catalog says about a failure: its reason, its code, or
        the fallback for its kind."""
        # A Reason travels with its error code; a FailureReason stands in for the code.
        field = f"{code}.Reason" if reason != code else None
        found = self.reason(service, reason, field) if reason else None
        specific = found or self.error(service, code)
        if specific is not None:
            return specific
        client_side = http_status is not None and http_status < 500
        return self.fallbacks["client" if client_side else "server"]

    def explain(self, word: str) -> list[Entry]:
        """Every entry for a code or reason, whatever its case."""
        return list(self._by_word.get(word.strip().lower(), []))

    def closest(self, word: str, count: int = 5) -> list[str]:
        names = {_word(e) for e in self.entries}
        lowered = {name.lower(): name for name in names}
        matches = difflib.get_close_matches(word.lower(), list(lowered), n=count, cutoff=0.5)
        return [lowered[m] for m in matches]

    def by_service(self) -> dict[str, list[str]]:
        listed: dict[str, list[str]] = {}
        for entry in self.entries:
            listed.setdefault(entry.service, []).append(_word(entry))
        return {service: sorted(set(words)) for service, words in sorted(listed.items())}


def _word(entry: Entry) -> str:
    return entry.code if isinstance(entry, ErrorEntry) else entry.value


def load(paths: Iterable[Path]) -> Catalog:
    errors: list[ErrorEntry] = []
    reasons: list[ReasonEntry] = []
    fallbacks: dict[str, Advice] = {}
    for path in sorted(paths):
        loaded = CatalogFile.model_validate(tomllib.loads(path.read_text()))
        errors.extend(loaded.error)
        reasons.extend(loaded.reason)
        fallbacks.update(loaded.fallback)
    if set(fallbacks) != {"client", "server"}:
        raise ValueError("the catalog needs both fallbacks: [fallback.client], [fallback.server]")
    return Catalog(errors=tuple(errors), reasons=tuple(reasons), fallbacks=fallbacks)


@cache
def catalog() -> Catalog:
    """The catalog shipped with Outpost."""
    return load(HERE.glob("*.toml"))

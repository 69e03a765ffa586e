"""The Organizations part of the error catalog covers every error and reason botocore knows."""

from __future__ import annotations

from collections import Counter
from functools import cache

import botocore.session
import pytest
from botocore.model import ServiceModel, StringShape

from bot.aws.catalog import DOC_HOST, ErrorEntry, ReasonEntry, Retry, catalog

SERVICE = "organizations"

# Every Organizations operation Outpost calls.
OPERATIONS = (
    "CreateAccount",
    "DescribeCreateAccountStatus",
    "ListCreateAccountStatus",
    "ListAccounts",
    "DescribeAccount",
    "ListParents",
    "ListOrganizationalUnitsForParent",
    "ListRoots",
    "MoveAccount",
    "TagResource",
    "ListTagsForResource",
    "ListAccountsForParent",
    "DescribeOrganizationalUnit",
    "DescribeOrganization",
    "CloseAccount",
    "UntagResource",
)

# Catalog field -> the botocore enum shape that lists its values.
REASON_FIELDS = {
    "ConstraintViolationException.Reason": "ConstraintViolationExceptionReason",
    "InvalidInputException.Reason": "InvalidInputExceptionReason",
    "CreateAccountStatus.FailureReason": "CreateAccountFailureReason",
}

TURNED_AWAY = {"TooManyRequestsException", "ConcurrentModificationException"}
TRANSIENT = {"ServiceException"}
LONGEST_TEXT = 300


@cache
def model() -> ServiceModel:
    return botocore.session.get_session().get_service_model(SERVICE)


def error_codes() -> list[str]:
    return sorted(
        {
            shape.name
            for operation in OPERATIONS
            for shape in model().operation_model(operation).error_shapes
        }
    )


def enum(name: str) -> list[str]:
    shape = model().shape_for(name)
    assert isinstance(shape, StringShape) and shape.enum, name
    return list(shape.enum)


def reason_values() -> list[tuple[str, str]]:
    return [(field, value) for field, shape in REASON_FIELDS.items() for value in enum(shape)]


def organizations_errors() -> list[ErrorEntry]:
    return [e for e in catalog().errors if e.service == SERVICE]


def organizations_reasons() -> list[ReasonEntry]:
    return [r for r in catalog().reasons if r.service == SERVICE]


def test_the_model_still_has_what_the_catalog_is_checked_against() -> None:
    assert "AccessDeniedException" in error_codes()
    assert len(error_codes()) >= 17
    assert {field for field, _ in reason_values()} == set(REASON_FIELDS)


@pytest.mark.parametrize("code", error_codes())
def test_every_error_of_the_called_operations_has_an_entry(code: str) -> None:
    entry = catalog().error(SERVICE, code)
    assert entry is not None, f"no catalog entry for {SERVICE} {code}"
    assert entry.service in (SERVICE, "*")


@pytest.mark.parametrize(("field", "value"), reason_values())
def test_every_reason_value_has_an_entry_for_its_field(field: str, value: str) -> None:
    found = catalog().reason(SERVICE, value)
    assert found is not None, f"no catalog entry for {field} {value}"
    assert found.service in (SERVICE, "*")
    assert (field, value) in {(r.field, r.value) for r in organizations_reasons()}


def test_every_reason_entry_is_a_value_botocore_knows() -> None:
    known = set(reason_values())
    unknown = [
        (r.field, r.value) for r in organizations_reasons() if (r.field, r.value) not in known
    ]
    assert unknown == []


def test_every_error_entry_is_an_organizations_error() -> None:
    names = {shape.name for shape in model().error_shapes}
    assert [e.code for e in organizations_errors() if e.code not in names] == []


def retry_of(code: str) -> Retry:
    entry = catalog().error(SERVICE, code)
    assert entry is not None, code
    return entry.retry


def test_turned_away_and_transient_errors() -> None:
    assert {code: retry_of(code) for code in TURNED_AWAY} == dict.fromkeys(
        TURNED_AWAY, Retry.TURNED_AWAY
    )
    assert {code: retry_of(code) for code in TRANSIENT} == dict.fromkeys(TRANSIENT, Retry.TRANSIENT)


def test_every_other_error_fails_the_step() -> None:
    # FinalizingOrganizationException included: AWS needs up to an hour to finish setting up an
    # organization, so a quick retry does not help.
    assert retry_of("FinalizingOrganizationException") is Retry.NO
    others = {e.code for e in organizations_errors()} - TURNED_AWAY - TRANSIENT
    assert {code: retry_of(code) for code in others} == dict.fromkeys(others, Retry.NO)


def test_doc_links_are_aws_documentation() -> None:
    for entry in (*organizations_errors(), *organizations_reasons()):
        assert entry.doc.scheme == "https", entry
        assert entry.doc.host == DOC_HOST, entry


def test_texts_are_short_and_not_empty() -> None:
    for entry in (*organizations_errors(), *organizations_reasons()):
        for text in (entry.meaning, entry.action):
            assert text.strip(), entry
            assert len(text) <= LONGEST_TEXT, (len(text), text)


def test_no_duplicate_entries() -> None:
    errors = Counter((e.service, e.code) for e in catalog().errors)
    assert [key for key, count in errors.items() if count > 1] == []
    reasons = Counter((r.service, r.field, r.value) for r in catalog().reasons)
    assert [key for key, count in reasons.items() if count > 1] == []
    ours = Counter((r.field, r.value) for r in organizations_reasons())
    assert [key for key, count in ours.items() if count > 1] == []


# What botocore's model lists as CloseAccount's own reasons (its other reasons belong to other
# calls).
CLOSURE_REASONS = (
    "CANNOT_CLOSE_MANAGEMENT_ACCOUNT",
    "CLOSE_ACCOUNT_QUOTA_EXCEEDED",
    "CLOSE_ACCOUNT_REQUESTS_LIMIT_EXCEEDED",
)


@pytest.mark.parametrize("value", CLOSURE_REASONS)
def test_closure_refusals_point_at_the_close_account_page(value: str) -> None:
    advice = catalog().advice(SERVICE, "ConstraintViolationException", value, 400)
    assert isinstance(advice, ReasonEntry) and advice.value == value
    assert "CloseAccount" in str(advice.doc)
    assert "clos" in advice.meaning.lower()


def test_the_closure_quota_says_how_long_to_wait() -> None:
    advice = catalog().advice(SERVICE, "ConstraintViolationException", CLOSURE_REASONS[1], 400)
    assert "30 days" in advice.meaning and "10%" in advice.meaning
    assert "Retry" in advice.action


def test_closing_a_closed_account_says_it_is_closed_and_how_to_reopen() -> None:
    entry = catalog().error(SERVICE, "AccountAlreadyClosedException")
    assert entry is not None and entry.service == SERVICE and entry.retry is Retry.NO
    assert "SUSPENDED" in entry.meaning
    assert "AWS Support" in entry.action and "90 days" in entry.action

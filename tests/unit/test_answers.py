"""What each answer must hold: declared against botocore's models, checked without AWS."""

from __future__ import annotations

from functools import cache

import botocore.session
import pytest
from botocore.model import ListShape, ServiceModel, Shape, StructureShape

from bot.aws.answers import PROMISED, REQUEST_ID, missing_from


@cache
def model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def shape_at(shape: Shape, path: str) -> Shape | None:
    """The shape a declared path names in an operation's output, or None if it names none."""
    for step in path.split("."):
        name = step.removesuffix("[]")
        if not isinstance(shape, StructureShape) or name not in shape.members:
            return None
        shape = shape.members[name]
        if name != step:
            if not isinstance(shape, ListShape):
                return None
            shape = shape.member
    return shape


@pytest.mark.parametrize(("service", "operation"), sorted(PROMISED))
def test_every_declared_path_is_in_the_operations_output(service: str, operation: str) -> None:
    output = model(service).operation_model(operation).output_shape
    assert output is not None, f"{service}:{operation} answers nothing"
    for path in PROMISED[(service, operation)]:
        assert shape_at(output, path) is not None, f"{service}:{operation} has no {path}"


def test_optional_fields_are_not_declared() -> None:
    """What AWS may leave out must stay optional, or a real answer would be refused."""
    for paths in PROMISED.values():
        for path in paths:
            assert not {"NextToken", "FailureReason", "AccountId"} & set(path.split(".")), path


ACCOUNT = {"Id": "111122223333", "Name": "a", "Email": "a@example.com", "Status": "ACTIVE"}


def from_aws(**body: object) -> dict[str, object]:
    """An answer as botocore gives AWS's: with the request id AWS sends with every answer."""
    return {**body, "ResponseMetadata": {"RequestId": "r-1", "HTTPStatusCode": 200}}


class TestMissing:
    def test_a_whole_answer_holds_nothing_missing(self) -> None:
        answer = from_aws(Accounts=[ACCOUNT], NextToken="t")
        assert missing_from("organizations", "ListAccounts", answer) == []

    def test_an_empty_list_is_an_answer(self) -> None:
        assert missing_from("organizations", "ListAccounts", from_aws(Accounts=[])) == []

    @pytest.mark.parametrize("answer", [from_aws(), from_aws(Accounts=None)])
    def test_an_answer_without_the_list_lacks_it(self, answer: dict[str, object]) -> None:
        assert missing_from("organizations", "ListAccounts", answer) == ["Accounts[]"]

    def test_a_list_that_is_not_one_is_lacking(self) -> None:
        answer = from_aws(Accounts="x")
        assert missing_from("organizations", "ListAccounts", answer) == ["Accounts[]"]

    def test_an_item_without_a_field_names_the_field(self) -> None:
        nameless = {k: v for k, v in ACCOUNT.items() if k != "Name"}
        answer = from_aws(Accounts=[ACCOUNT, nameless])
        assert missing_from("organizations", "ListAccounts", answer) == ["Accounts[].Name"]

    def test_a_missing_structure_is_named_once(self) -> None:
        answer = from_aws()
        assert missing_from("organizations", "CreateAccount", answer) == ["CreateAccountStatus"]

    def test_an_operation_that_promises_nothing_lacks_nothing(self) -> None:
        assert missing_from("organizations", "MoveAccount", from_aws()) == []


class TestTheRequestId:
    """AWS sends a request id with every answer; what answers in its place does not."""

    @pytest.mark.parametrize("metadata", [None, {}, {"HTTPStatusCode": 200}, {"RequestId": ""}])
    def test_an_answer_without_one_lacks_it_whatever_else_it_holds(
        self, metadata: dict[str, object] | None
    ) -> None:
        answer: dict[str, object] = {"Accounts": [ACCOUNT]}
        if metadata is not None:
            answer["ResponseMetadata"] = metadata
        assert missing_from("organizations", "ListAccounts", answer) == [REQUEST_ID]

    @pytest.mark.parametrize(
        ("service", "operation"),
        [("organizations", "MoveAccount"), ("scheduler", "DeleteSchedule")],
    )
    def test_it_is_all_an_answer_that_holds_nothing_can_lack(
        self, service: str, operation: str
    ) -> None:
        assert missing_from(service, operation, {}) == [REQUEST_ID]
        assert missing_from(service, operation, from_aws()) == []

    def test_it_is_named_before_the_fields(self) -> None:
        assert missing_from("organizations", "ListRoots", {}) == [REQUEST_ID, "Roots[]"]

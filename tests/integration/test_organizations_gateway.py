"""The Organizations gateway against a real moto server, with faults injected on the wire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.aws.errors import AwsCallError
from bot.aws.retry import outcome_unknown
from bot.domain.accounts import CreationState
from bot.emulator.aws_faults import (
    account_limit_reached,
    drop_connection,
    garbage_answer,
    lose_response,
    rewrite_json,
    server_error,
    throttle,
)
from tests.integration.conftest import FAST_RETRIES
from tests.support.aws_clients import Watched, assert_no_request_id

TAGS = {"outpost:team": "payments"}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class TestReadingTheOrganization:
    async def test_every_ou_with_its_path(self, gateway, org):
        units = await gateway.organizational_units()
        assert {unit.path: unit.id for unit in units} == {
            "Root / Workloads": org.ous["Workloads"],
            "Root / Sandbox": org.ous["Sandbox"],
            "Root / Workloads / Prod": org.ous["Prod"],
        }
        assert {unit.name for unit in units} == {"Workloads", "Sandbox", "Prod"}

    async def test_more_children_than_one_page_are_all_found(self, gateway, org, aws):
        # moto pages ListOrganizationalUnitsForParent by 20.
        teams = {
            org.client.create_organizational_unit(
                ParentId=org.ous["Sandbox"], Name=f"team-{i:02d}"
            )["OrganizationalUnit"]["Id"]: f"Root / Sandbox / team-{i:02d}"
            for i in range(25)
        }
        units = await gateway.organizational_units()
        paths = {unit.id: unit.path for unit in units}
        assert len(units) == 3 + 25
        assert {ou_id: paths[ou_id] for ou_id in teams} == teams
        listings = aws.calls_to("ListOrganizationalUnitsForParent")
        assert len(listings) == 1 + 1 + 2 + 1 + 25  # root, Workloads, Sandbox x2, Prod, teams

    async def test_the_root_id(self, gateway, org):
        assert await gateway.root_id() == org.root_id

    async def test_accounts_follow_every_page(self, gateway, org, aws):
        # moto pages ListAccounts by 100: 2 accounts from the fixture plus 110 make two pages.
        for i in range(110):
            org.client.create_account(
                AccountName=f"bulk-{i:03d}", Email=f"aws+bulk-{i:03d}@example.com"
            )
        accounts = await gateway.accounts()
        expected = {a["Id"]: (a["Name"], a["Email"]) for a in org.accounts()}
        assert len(expected) == 112
        assert {a.id: (a.name, a.email) for a in accounts} == expected
        assert {a.status for a in accounts} == {"ACTIVE"}
        assert len(aws.calls_to("ListAccounts")) == 2


class TestRetries:
    async def test_throttled_three_times_then_answered(self, gateway, org, aws):
        aws.add(throttle("ListRoots", times=3))
        watched = Watched()
        root = await gateway.watched_by(watched.watchers()).root_id()
        assert root == org.root_id

        assert [(n.attempt, n.of) for n in watched.retries] == [(1, 4), (2, 4), (3, 4)]
        assert {n.code for n in watched.retries} == {"TooManyRequestsException"}
        assert all(n.operation == "ListRoots" for n in watched.retries)
        assert all(n.request_id for n in watched.retries)

        assert [c.attempt for c in watched.calls] == [1, 2, 3, 4]
        assert [c.outcome for c in watched.calls] == ["TooManyRequestsException"] * 3 + ["ok"]
        assert all(c.request_id for c in watched.calls)
        assert len({c.request_id for c in watched.calls}) == 4
        assert all(c.operation == "ListRoots" for c in watched.calls)
        assert all(c.service == "organizations" for c in watched.calls)
        assert len(aws.calls_to("ListRoots")) == 4

    async def test_throttled_on_every_attempt_fails_with_the_count(self, gateway, org, aws):
        aws.add(throttle("ListAccounts", times=None))
        with pytest.raises(AwsCallError) as failed:
            await gateway.accounts()
        failure = failed.value.failure
        assert failure.attempts == FAST_RETRIES.attempts
        assert failure.code == "TooManyRequestsException"
        assert failure.http_status == 400
        assert failure.request_id
        assert len(aws.calls_to("ListAccounts")) == FAST_RETRIES.attempts

    async def test_a_server_error_on_a_read_is_retried(self, gateway, org, aws):
        aws.add(server_error("ListAccounts", times=2))
        assert len(await gateway.accounts()) == 2
        assert len(aws.calls_to("ListAccounts")) == 3

    async def test_a_dropped_connection_on_a_read_is_retried(self, gateway, org, aws):
        aws.add(drop_connection("ListRoots"))
        assert await gateway.root_id() == org.root_id
        assert len(aws.calls_to("ListRoots")) == 2

    async def test_watching_one_call_does_not_watch_the_gateway(self, gateway, org, aws):
        watched = Watched()
        gateway.watched_by(watched.watchers())
        await gateway.root_id()
        assert watched.calls == []


class TestCreatingAnAccount:
    async def test_create_then_find_its_status(self, gateway, org):
        status = await gateway.create_account(
            name="payments-staging", email="aws+payments-staging@example.com", tags=TAGS
        )
        assert status.account_name == "payments-staging"
        assert status.request_id
        checked = await gateway.creation_status(status.request_id)
        assert checked.state is CreationState.SUCCEEDED
        created = org.account_named("payments-staging")
        assert created is not None
        assert checked.account_id == created["Id"]
        assert org.tags_of(created["Id"]) == TAGS

    async def test_quota_error_is_not_retried_and_keeps_what_aws_said(self, gateway, org, aws):
        aws.add(account_limit_reached())
        watched = Watched()
        with pytest.raises(AwsCallError) as failed:
            await gateway.watched_by(watched.watchers()).create_account(
                name="payments-staging", email="aws+payments-staging@example.com", tags=TAGS
            )
        failure = failed.value.failure
        assert failure.code == "ConstraintViolationException"
        assert failure.reason == "ACCOUNT_NUMBER_LIMIT_EXCEEDED"
        assert failure.message == "You have exceeded the allowed number of AWS accounts."
        assert failure.http_status == 400
        assert failure.request_id
        assert failure.request_id == watched.calls[0].request_id
        assert failure.attempts == 1
        assert not outcome_unknown(failure)
        assert watched.retries == []
        assert len(aws.calls_to("CreateAccount")) == 1
        assert org.account_named("payments-staging") is None

    async def test_a_lost_response_is_not_sent_again(self, gateway, org, aws):
        aws.add(lose_response("CreateAccount"))
        with pytest.raises(AwsCallError) as failed:
            await gateway.create_account(
                name="payments-staging", email="aws+payments-staging@example.com", tags=TAGS
            )
        failure = failed.value.failure
        assert outcome_unknown(failure)
        assert failure.http_status is None
        assert failure.attempts == 1
        assert len(aws.calls_to("CreateAccount")) == 1
        # It did reach AWS: exactly one account.
        assert [a["Name"] for a in org.accounts()].count("payments-staging") == 1

    async def test_a_server_error_is_not_sent_again(self, gateway, org, aws):
        aws.add(server_error("CreateAccount"))
        with pytest.raises(AwsCallError) as failed:
            await gateway.create_account(name="p-1", email="aws+p-1@example.com", tags=TAGS)
        assert failed.value.failure.http_status == 500
        assert outcome_unknown(failed.value.failure)
        assert len(aws.calls_to("CreateAccount")) == 1

    async def test_throttling_is_sent_again_because_aws_did_nothing(self, gateway, org, aws):
        aws.add(throttle("CreateAccount", times=2))
        watched = Watched()
        status = await gateway.watched_by(watched.watchers()).create_account(
            name="payments-staging", email="aws+payments-staging@example.com", tags=TAGS
        )
        assert status.request_id
        assert len(watched.retries) == 2
        assert len(aws.calls_to("CreateAccount")) == 3
        assert [a["Name"] for a in org.accounts()].count("payments-staging") == 1


class TestFindingAnEarlierCreation:
    async def test_found_by_account_name(self, gateway, org):
        status = await gateway.create_account(
            name="payments-staging", email="aws+payments-staging@example.com", tags=TAGS
        )
        (found,) = await gateway.creations_named("payments-staging", requested_since=EPOCH)
        assert found.request_id == status.request_id
        assert found.account_name == "payments-staging"
        assert found.state is CreationState.SUCCEEDED

    async def test_nothing_found_for_a_name_never_asked_for(self, gateway, org):
        assert await gateway.creations_named("never-created", requested_since=EPOCH) == []

    async def test_creations_asked_for_before_are_left_out(self, gateway, org):
        await gateway.create_account(
            name="payments-staging", email="aws+payments-staging@example.com", tags=TAGS
        )
        later = datetime.now(UTC) + timedelta(minutes=1)
        assert await gateway.creations_named("payments-staging", requested_since=later) == []


class TestPlacingAnAccount:
    async def test_move_into_an_ou(self, gateway, org):
        created = (await gateway.accounts())[-1]
        assert await gateway.parent_of(created.id) == org.root_id
        await gateway.move_account(created.id, source=org.root_id, destination=org.ous["Prod"])
        assert await gateway.parent_of(created.id) == org.ous["Prod"]
        assert org.parent_of(created.id) == org.ous["Prod"]


class TestUnreadableAnswers:
    """An answer without what the call promises is an error, never an empty result."""

    @pytest.mark.parametrize("kind", ["html", "empty", "{}"])
    async def test_one_is_retried_and_each_retry_told(self, gateway, org, aws, kind):
        aws.add(garbage_answer("ListAccounts", kind))
        watched = Watched()
        accounts = await gateway.watched_by(watched.watchers()).accounts()

        assert [a.name for a in accounts] == [a["Name"] for a in org.accounts()]
        (notice,) = watched.retries
        assert (notice.operation, notice.code, notice.attempt) == (
            "ListAccounts",
            "UnreadableAnswer",
            1,
        )
        assert [c.outcome for c in watched.calls] == ["UnreadableAnswer", "ok"]

    async def test_one_that_outlasts_the_retries_fails_with_what_was_wrong(self, gateway, aws):
        aws.add(garbage_answer("ListAccounts", "html", times=None))
        with pytest.raises(AwsCallError) as failed:
            await gateway.accounts()
        failure = failed.value.failure
        assert (failure.service, failure.operation) == ("organizations", "ListAccounts")
        assert failure.code == "UnreadableAnswer"
        assert failure.http_status == 200
        assert failure.request_id is None
        assert failure.attempts == FAST_RETRIES.attempts
        assert "Accounts" in failure.message
        assert "text/html" in failure.message
        assert failure.cli == "aws organizations list-accounts"

    async def test_a_create_whose_answer_is_unreadable_is_not_sent_again(self, gateway, org, aws):
        aws.add(garbage_answer("CreateAccount", "{}", reach_aws=True))
        with pytest.raises(AwsCallError) as failed:
            await gateway.create_account(name="p-1", email="aws+p-1@example.com", tags=TAGS)
        assert failed.value.failure.code == "UnreadableAnswer"
        assert outcome_unknown(failed.value.failure)
        assert len(aws.calls_to("CreateAccount")) == 1
        assert [a["Name"] for a in org.accounts()].count("p-1") == 1

    async def test_an_item_without_what_outpost_reads_is_unreadable_too(self, gateway, org, aws):
        def nameless(page: dict[str, Any]) -> dict[str, Any]:
            statuses = [
                {k: v for k, v in status.items() if k != "AccountName"}
                for status in page["CreateAccountStatuses"]
            ]
            return {**page, "CreateAccountStatuses": statuses}

        await gateway.create_account(name="p-1", email="aws+p-1@example.com", tags=TAGS)
        aws.add(rewrite_json("ListCreateAccountStatus", nameless, times=None))
        with pytest.raises(AwsCallError) as failed:
            await gateway.creations_named("p-1", requested_since=EPOCH)
        assert failed.value.failure.code == "UnreadableAnswer"
        assert "CreateAccountStatuses[].AccountName" in failed.value.failure.message

    @pytest.mark.parametrize("kind", ["html", "empty", "{}"])
    async def test_an_unreadable_answer_to_a_move_is_not_a_move(self, gateway, org, aws, kind):
        """MoveAccount answers nothing, so only AWS's request id tells its answer from a
        proxy's page: without one, the account is not known to be moved."""
        created = (await gateway.accounts())[-1]
        aws.add(garbage_answer("MoveAccount", kind, times=None))
        with pytest.raises(AwsCallError) as failed:
            await gateway.move_account(created.id, source=org.root_id, destination=org.ous["Prod"])
        assert_no_request_id(failed.value.failure, "MoveAccount")
        assert org.parent_of(created.id) == org.root_id

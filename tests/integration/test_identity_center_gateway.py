"""The Identity Center gateway against a real moto server, with faults injected on the wire.

Each test starts from a reset moto, whose sso-admin backend has one Identity Center instance
of its own (a new ARN and identity store id after every reset). What a test needs in it is set
up with boto3 straight at moto, so that only the gateway's calls go through the fault proxy.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.aws.caller import AwsCaller
from bot.aws.clients import identitystore_client, sso_admin_client
from bot.aws.errors import AwsCallError
from bot.aws.identity_center import (
    IdentityCenterGateway,
    IdentityCenterMissing,
    PermissionSetNotFound,
)
from bot.aws.retry import outcome_unknown
from bot.clock import SystemClock
from bot.domain.errors import NotFound
from bot.domain.identity_center import AssignmentState
from bot.emulator.aws_faults import (
    ThreadedAwsFaultProxy,
    aws_error,
    lose_response,
    rewrite_json,
    throttle,
)
from tests.integration.conftest import FAST_RETRIES
from tests.support.aws_clients import Watched, built_as_the_bot_builds_them
from tests.support.identity_center import ACCOUNT, IdentityCenter, moto_client
from tests.support.organization import reset_moto


@pytest.fixture(scope="module")
def api_clients(session_proxy: ThreadedAwsFaultProxy) -> Iterator[tuple[Any, Any]]:
    builders = (sso_admin_client, identitystore_client)
    with built_as_the_bot_builds_them(session_proxy.url, *builders) as (sso_admin, store):
        yield sso_admin, store


@pytest.fixture(scope="module")
def moto_clients(moto_url: str) -> tuple[Any, Any]:
    return moto_client("sso-admin", moto_url), moto_client("identitystore", moto_url)


@pytest.fixture
def center(moto_url: str, moto_clients: tuple[Any, Any]) -> IdentityCenter:
    reset_moto(moto_url)
    admin, store = moto_clients
    (instance,) = admin.list_instances()["Instances"]
    return IdentityCenter(admin, store, instance["InstanceArn"], instance["IdentityStoreId"])


@pytest.fixture
def gateway(
    api_clients: tuple[Any, Any], aws: ThreadedAwsFaultProxy, center: IdentityCenter
) -> IdentityCenterGateway:
    sso_admin, identity_store = api_clients
    return IdentityCenterGateway(sso_admin, identity_store, AwsCaller(FAST_RETRIES, SystemClock()))


class TestTheInstance:
    async def test_the_instance_and_its_identity_store(self, gateway, center):
        assert await gateway.instance() == center.instance

    async def test_none_means_identity_center_is_not_enabled(self, gateway, aws):
        aws.add(rewrite_json("ListInstances", lambda document: {**document, "Instances": []}))
        with pytest.raises(IdentityCenterMissing, match="IAM Identity Center is not enabled"):
            await gateway.instance()
        assert issubclass(IdentityCenterMissing, NotFound)


class TestPermissionSets:
    async def test_found_by_name(self, gateway, center):
        center.permission_set("ReadOnly")
        arn = center.permission_set("BreakGlass")
        found = await gateway.permission_set("BreakGlass", center.instance)
        assert (found.arn, found.name) == (arn, "BreakGlass")

    async def test_found_by_arn_with_one_call(self, gateway, center, aws):
        center.permission_set("ReadOnly")
        arn = center.permission_set("BreakGlass")
        found = await gateway.permission_set(arn, center.instance)
        assert (found.arn, found.name) == (arn, "BreakGlass")
        assert [call.operation for call in aws.calls] == ["DescribePermissionSet"]

    async def test_names_are_case_sensitive(self, gateway, center):
        center.permission_set("BreakGlass")
        with pytest.raises(PermissionSetNotFound):
            await gateway.permission_set("breakglass", center.instance)

    async def test_an_unknown_name_lists_the_names_that_exist(self, gateway, center):
        center.permission_set("ReadOnly")
        center.permission_set("BreakGlass")
        with pytest.raises(PermissionSetNotFound) as missing:
            await gateway.permission_set("Admin", center.instance)
        assert isinstance(missing.value, NotFound)
        assert str(missing.value) == (
            "No permission set is named 'Admin'. Permission sets: BreakGlass, ReadOnly."
        )

    async def test_at_most_twenty_names_are_listed(self, gateway, center):
        for i in range(23):
            center.permission_set(f"team-{i:02d}")
        with pytest.raises(PermissionSetNotFound) as missing:
            await gateway.permission_set("Admin", center.instance)
        message = str(missing.value)
        assert "team-19" in message
        assert "team-20" not in message
        assert message.endswith("and 3 more.")
        assert len(missing.value.existing) == 23

    async def test_none_at_all(self, gateway, center):
        with pytest.raises(PermissionSetNotFound, match="has no permission sets"):
            await gateway.permission_set("BreakGlass", center.instance)

    async def test_an_unknown_arn_fails_as_aws_says(self, gateway, center):
        with pytest.raises(AwsCallError) as failed:
            await gateway.permission_set(f"{center.arn}/ps-0000000000000000", center.instance)
        assert failed.value.failure.code == "ResourceNotFoundException"


class TestFindingAUser:
    async def test_by_email(self, gateway, center, aws):
        user_id = center.user("erin", email="erin@example.com")
        assert await gateway.user_id_for_email("erin@example.com", center.instance) == user_id
        assert len(aws.calls_to("GetUserId")) == 1

    async def test_by_email_whatever_its_case(self, gateway, center):
        user_id = center.user("erin", email="erin@example.com")
        assert await gateway.user_id_for_email("Erin@Example.COM", center.instance) == user_id

    async def test_by_user_name_when_no_email_matches(self, gateway, center):
        user_id = center.user("omar@example.com", email="omar.k@corp.example.com")
        assert await gateway.user_id_for_email("Omar@example.com", center.instance) == user_id

    async def test_nobody_is_none_after_trying_each_spelling(self, gateway, center, aws):
        center.user("erin", email="erin@example.com")
        assert await gateway.user_id_for_email("Nobody@example.com", center.instance) is None
        assert len(aws.calls_to("GetUserId")) == 4  # email, lower-cased, user name, lower-cased

    async def test_a_lower_case_address_is_tried_once_per_attribute(self, gateway, center, aws):
        assert await gateway.user_id_for_email("nobody@example.com", center.instance) is None
        assert len(aws.calls_to("GetUserId")) == 2

    async def test_a_missing_identity_store_is_not_a_missing_user(self, gateway, center, aws):
        aws.add(
            aws_error(
                "GetUserId",
                "ResourceNotFoundException",
                "Identity store not found.",
                extra={"ResourceType": "IDENTITY_STORE"},
            )
        )
        with pytest.raises(AwsCallError) as failed:
            await gateway.user_id_for_email("erin@example.com", center.instance)
        assert failed.value.failure.code == "ResourceNotFoundException"
        assert failed.value.failure.service == "identitystore"

    async def test_a_throttled_lookup_is_retried(self, gateway, center, aws):
        user_id = center.user("erin", email="erin@example.com")
        aws.add(throttle("GetUserId"))
        watched = Watched()
        found = await gateway.watched_by(watched.watchers()).user_id_for_email(
            "erin@example.com", center.instance
        )
        assert found == user_id
        assert [(n.service, n.code) for n in watched.retries] == [
            ("identitystore", "ThrottlingException")
        ]


class TestAssignments:
    async def test_create_then_follow_its_status(self, gateway, center):
        arn = center.permission_set("BreakGlass")
        user_id = center.user("erin", email="erin@example.com")

        created = await gateway.create_assignment(ACCOUNT, arn, user_id, center.instance)
        assert created.request_id
        assert created.state is AssignmentState.SUCCEEDED  # moto is done at once
        assert created.failure_reason is None
        assert (created.account_id, created.permission_set_arn, created.principal_id) == (
            ACCOUNT,
            arn,
            user_id,
        )
        assert await gateway.creation_status(created.request_id, center.instance) == created
        assert await gateway.assignments(ACCOUNT, arn, center.instance) == [user_id]

    async def test_delete_then_follow_its_status(self, gateway, center):
        arn = center.permission_set("BreakGlass")
        user_id = center.user("erin", email="erin@example.com")
        await gateway.create_assignment(ACCOUNT, arn, user_id, center.instance)

        deleted = await gateway.delete_assignment(ACCOUNT, arn, user_id, center.instance)
        assert deleted.state is AssignmentState.SUCCEEDED
        assert deleted.principal_id == user_id
        checked = await gateway.deletion_status(deleted.request_id, center.instance)
        assert checked.state is AssignmentState.SUCCEEDED
        assert await gateway.assignments(ACCOUNT, arn, center.instance) == []
        assert center.assigned(arn) == []

    async def test_only_users_are_listed_not_groups(self, gateway, center):
        arn = center.permission_set("BreakGlass")
        center.assign(arn, "group-1", kind="GROUP")
        center.assign(arn, "user-1")
        assert await gateway.assignments(ACCOUNT, arn, center.instance) == ["user-1"]

    async def test_assignments_follow_every_page(self, gateway, center, aws):
        # moto pages ListAccountAssignments by 100.
        arn = center.permission_set("BreakGlass")
        for i in range(105):
            center.assign(arn, f"user-{i:03d}")
        found = await gateway.assignments(ACCOUNT, arn, center.instance)
        assert sorted(found) == [f"user-{i:03d}" for i in range(105)]
        assert len(aws.calls_to("ListAccountAssignments")) == 2

    async def test_a_failure_reported_in_the_status(self, gateway, center, aws):
        arn = center.permission_set("BreakGlass")
        user_id = center.user("erin", email="erin@example.com")
        created = await gateway.create_assignment(ACCOUNT, arn, user_id, center.instance)
        reason = "Received a 403 status error: Access denied by IAM"

        def failed(document: dict[str, Any]) -> dict[str, Any]:
            status = dict(document["AccountAssignmentCreationStatus"])
            status.update(Status="FAILED", FailureReason=reason)
            return {**document, "AccountAssignmentCreationStatus": status}

        aws.add(rewrite_json("DescribeAccountAssignmentCreationStatus", failed))
        status = await gateway.creation_status(created.request_id, center.instance)
        assert status.state is AssignmentState.FAILED
        assert status.failure_reason == reason
        assert status.request_id == created.request_id


class TestAssignmentFaults:
    async def test_a_throttled_creation_is_sent_again(self, gateway, center, aws):
        arn = center.permission_set("BreakGlass")
        aws.add(throttle("CreateAccountAssignment", times=2))
        watched = Watched()
        status = await gateway.watched_by(watched.watchers()).create_assignment(
            ACCOUNT, arn, "user-1", center.instance
        )
        assert status.state is AssignmentState.SUCCEEDED
        assert [(n.attempt, n.code) for n in watched.retries] == [
            (1, "ThrottlingException"),
            (2, "ThrottlingException"),
        ]
        assert {c.service for c in watched.calls} == {"sso-admin"}
        assert [c.outcome for c in watched.calls][-1] == "ok"
        assert len(aws.calls_to("CreateAccountAssignment")) == 3
        assert center.assigned(arn) == [("USER", "user-1")]

    async def test_a_conflict_is_asked_again_since_aws_refused_it(self, gateway, center, aws):
        arn = center.permission_set("BreakGlass")
        message = "An assignment for this account and permission set is in progress."
        aws.add(aws_error("CreateAccountAssignment", "ConflictException", message))
        watched = Watched()
        status = await gateway.watched_by(watched.watchers()).create_assignment(
            ACCOUNT, arn, "user-1", center.instance
        )
        assert status.state is AssignmentState.SUCCEEDED
        assert [(n.attempt, n.code) for n in watched.retries] == [(1, "ConflictException")]
        assert len(aws.calls_to("CreateAccountAssignment")) == 2
        assert center.assigned(arn) == [("USER", "user-1")]

    async def test_a_lost_answer_is_not_sent_again(self, gateway, center, aws):
        arn = center.permission_set("BreakGlass")
        aws.add(lose_response("CreateAccountAssignment"))
        with pytest.raises(AwsCallError) as failed:
            await gateway.create_assignment(ACCOUNT, arn, "user-1", center.instance)
        assert outcome_unknown(failed.value.failure)
        assert len(aws.calls_to("CreateAccountAssignment")) == 1
        # It did reach AWS: the assignment is there to be found.
        assert await gateway.assignments(ACCOUNT, arn, center.instance) == ["user-1"]


class TestGroups:
    """Teams are groups: listed for the form's search, read again when one is chosen, and
    given access to a new account."""

    def group(self, center: IdentityCenter, name: str) -> str:
        made = center.store.create_group(IdentityStoreId=center.store_id, DisplayName=name)
        return str(made["GroupId"])

    async def test_every_group_is_listed_with_its_name(self, gateway, center):
        ids = {self.group(center, name): name for name in ("team-a", "team-b", "admins")}
        groups = await gateway.groups(center.instance)
        assert {g.id: g.name for g in groups} == ids

    async def test_a_group_is_read_by_id_and_a_deleted_one_is_none(self, gateway, center):
        group_id = self.group(center, "team-a")
        found = await gateway.group(group_id, center.instance)
        assert found is not None and found.name == "team-a"
        center.store.delete_group(IdentityStoreId=center.store_id, GroupId=group_id)
        assert await gateway.group(group_id, center.instance) is None

    async def test_a_list_without_its_groups_is_an_error_not_an_empty_directory(
        self, gateway, center, aws
    ):
        aws.add(rewrite_json("ListGroups", lambda answer: {}, times=None))
        with pytest.raises(AwsCallError) as raised:
            await gateway.groups(center.instance)
        assert raised.value.failure.code == "UnreadableAnswer"

    async def test_a_group_is_given_a_permission_set_and_found_among_the_holders(
        self, gateway, center
    ):
        permission_set = center.permission_set("AdministratorAccess")
        group_id = self.group(center, "team-a")
        user_id = center.user("erin", "erin@example.com")
        center.assign(permission_set, user_id)
        assert await gateway.group_assignments(ACCOUNT, permission_set, center.instance) == []

        status = await gateway.create_group_assignment(
            ACCOUNT, permission_set, group_id, center.instance
        )
        assert status.principal_id == group_id
        done = await gateway.creation_status(status.request_id, center.instance)
        assert done.state is AssignmentState.SUCCEEDED
        assert center.assigned(permission_set) == [("USER", user_id), ("GROUP", group_id)]
        held = await gateway.group_assignments(ACCOUNT, permission_set, center.instance)
        assert held == [group_id]
        assert await gateway.assignments(ACCOUNT, permission_set, center.instance) == [user_id]

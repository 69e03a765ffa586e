"""Teams as Identity Center groups: which groups are teams, the form's team select, the steps
that give a team its access, and how the card and thread tell them."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain.accounts import OrganizationalUnit
from bot.domain.events import Cancelled, StepFailed, Stuck, TeamAccessGiven, TeamAccessRequested
from bot.domain.identity_center import Group
from bot.domain.inventory import TEAM_GROUP_ID_TAG, TEAM_TAG
from bot.domain.operations import (
    STEP_ORDER,
    TEAM_ACCESS_STEPS,
    OperationState,
    Step,
    creation_steps,
)
from bot.domain.teams import OPTION_LIMIT, is_team, teams_matching
from bot.emulator.block_kit import block_kit_errors, view_errors
from bot.engine.account_creation import account_tags
from bot.services.teams import NotATeam, TeamGone, TeamsUnchecked
from bot.ui.card import card_blocks, card_status
from bot.ui.ids import ActionId, BlockId
from bot.ui.new_account import (
    NewAccountMetadata,
    form_view,
    input_errors,
    parse_new_account_form,
    refusal_errors,
    team_options,
)
from bot.ui.thread import event_line
from bot.ui.values import TeamOption
from tests.support.slack_requests import select_value, text_value
from tests.unit.factories import T0, account_request, aws_failure, operation
from tests.unit.reading import readable

GROUP_ID = "9067e4b8-1234-4321-abcd-0123456789ab"
METADATA = NewAccountMetadata(channel="CPLATFORM")
PORTAL = "https://example.awsapps.com/start"
UNITS = [OrganizationalUnit(id="ou-1", name="Prod", path="Root / Prod")]


def group(name: str, group_id: str | None = None) -> Group:
    return Group(id=group_id or f"id-{name}", name=name)


def team_operation(**changes: Any) -> Any:
    request = account_request(team="team-payments", team_group_id=GROUP_ID)
    return operation(
        request=request,
        steps=creation_steps(team_access=True),
        team_permission_set="AdministratorAccess",
        **changes,
    )


class TestWhichGroupsAreTeams:
    def test_without_a_filter_every_group_is_a_team(self) -> None:
        assert is_team("admins", None)

    def test_the_filter_matches_the_whole_name_in_any_case(self) -> None:
        assert is_team("Team-Payments", "team-*")
        assert not is_team("payments-team", "team-*")
        assert not is_team("everyone", "team-*")

    def test_what_is_typed_narrows_the_teams_best_match_first(self) -> None:
        groups = [group(n) for n in ("team-search", "team-pay", "team-payments", "admins")]
        found = teams_matching(groups, "team-*", "team-pay")
        assert [g.name for g in found] == ["team-pay", "team-payments"]
        assert [g.name for g in teams_matching(groups, "team-*", "ARCH")] == ["team-search"]

    def test_nothing_typed_offers_every_team_alphabetically(self) -> None:
        groups = [group(n) for n in ("team-b", "admins", "team-a")]
        assert [g.name for g in teams_matching(groups, "team-*", "")] == ["team-a", "team-b"]

    def test_at_most_a_select_worth_of_teams_is_offered(self) -> None:
        groups = [group(f"team-{n:04}") for n in range(1500)]
        assert len(teams_matching(groups, None, "team")) == OPTION_LIMIT


class TestTheStepList:
    def test_without_team_access_a_creation_has_the_three_steps_it_always_had(self) -> None:
        assert creation_steps(team_access=False) == STEP_ORDER
        assert operation().steps == STEP_ORDER  # and so does an operation stored before

    def test_team_access_comes_after_the_move(self) -> None:
        steps = creation_steps(team_access=True)
        assert steps == (*STEP_ORDER, Step.ASSIGN_TEAM_ACCESS, Step.WAIT_FOR_TEAM_ACCESS)
        assert steps[3:] == TEAM_ACCESS_STEPS

    def test_an_operation_stored_before_steps_were_kept_loads_with_the_three(self) -> None:
        stored = operation().model_dump(mode="json")
        del stored["steps"], stored["team_permission_set"]
        del stored["request"]["team_group_id"]
        loaded = type(operation()).model_validate(stored)
        assert loaded.steps == STEP_ORDER and loaded.request.team_group_id is None

    def test_the_move_no_longer_ends_an_operation_with_team_access(self) -> None:
        op = team_operation(step=Step.MOVE_ACCOUNT)
        assert (op.step_number, op.step_count) == (3, 5)
        assigning = op.advance(T0)
        assert assigning.state is OperationState.RUNNING
        assert assigning.step is Step.ASSIGN_TEAM_ACCESS
        done = assigning.advance(T0).advance(T0)
        assert done.state is OperationState.SUCCEEDED

    def test_retry_after_an_assignment_aws_reported_failed_asks_again(self) -> None:
        failure = aws_failure(
            service="sso-admin",
            operation="CreateAccountAssignment",
            code="FAILED",
            reason=None,
            reported_by="DescribeAccountAssignmentCreationStatus",
        )
        op = team_operation(step=Step.WAIT_FOR_TEAM_ACCESS).record(
            T0, team_access_request_id="req-1", team_access_polls=3
        )
        retried = op.fail(T0, failure).retry(T0, "UOPS")
        assert retried.step is Step.ASSIGN_TEAM_ACCESS
        assert retried.progress.team_access_request_id is None

    def test_retry_after_a_refused_call_runs_the_same_step(self) -> None:
        failure = aws_failure(service="sso-admin", operation="ListAccountAssignments", reason=None)
        op = team_operation(step=Step.WAIT_FOR_TEAM_ACCESS).fail(T0, failure)
        assert op.retry(T0, "UOPS").step is Step.WAIT_FOR_TEAM_ACCESS


class TestTags:
    def test_an_account_of_a_team_group_is_tagged_with_its_name_and_id(self) -> None:
        tags = account_tags(team_operation())
        assert tags[TEAM_TAG] == "team-payments"
        assert tags[TEAM_GROUP_ID_TAG] == GROUP_ID

    def test_a_typed_team_gets_no_group_tag(self) -> None:
        assert TEAM_GROUP_ID_TAG not in account_tags(operation())


def team_block(view: dict[str, Any]) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == BlockId.TEAM)


def submitted(team: dict[str, Any] | None) -> dict[str, Any]:
    values: dict[str, dict[str, Any]] = {
        BlockId.ACCOUNT_NAME: {ActionId.ACCOUNT_NAME: text_value("payments-dev")},
        BlockId.ORGANIZATIONAL_UNIT: {
            ActionId.ORGANIZATIONAL_UNIT: select_value("ou-1", "Workloads")
        },
        BlockId.ROOT_EMAIL: {ActionId.ROOT_EMAIL: text_value("a@example.com")},
        BlockId.PURPOSE: {ActionId.PURPOSE: text_value("dev")},
    }
    if team is not None:
        values[BlockId.TEAM] = {ActionId.TEAM_GROUP: team}
    return {"private_metadata": METADATA.model_dump_json(), "state": {"values": values}}


class TestTheForm:
    def test_without_teams_the_team_is_typed_as_before(self) -> None:
        view = form_view(METADATA, UNITS)
        assert team_block(view)["element"]["type"] == "plain_text_input"

    def test_with_teams_the_team_is_searched_among_the_groups(self) -> None:
        view = form_view(METADATA, UNITS, teams=True, team_filter="team-*")
        block = team_block(view)
        assert block["element"]["type"] == "external_select"
        assert block["element"]["action_id"] == ActionId.TEAM_GROUP
        assert "team-*" in block["hint"]["text"]
        assert view_errors(view) == []

    def test_a_new_request_keeps_the_team_chosen(self) -> None:
        again = account_request(team="team-payments", team_group_id=GROUP_ID)
        view = form_view(METADATA, UNITS, teams=True, again=again)
        initial = team_block(view)["element"]["initial_option"]
        assert initial["text"]["text"] == "team-payments"
        assert TeamOption.decode(initial["value"]).group_id == GROUP_ID
        assert view_errors(view) == []

    def test_options_carry_the_group_id_through_the_codec_and_fit_slack(self) -> None:
        groups = [group("t" * 300, GROUP_ID), *(group(f"team-{n}") for n in range(99))]
        options = team_options(groups)
        assert TeamOption.decode(options[0]["value"]).group_id == GROUP_ID
        assert len(options[0]["text"]["text"]) <= 75
        select = {"type": "static_select", "action_id": "x", "options": options}
        block = {"type": "input", "block_id": "b", "label": {"type": "plain_text", "text": "T"}}
        assert block_kit_errors([{**block, "element": select}], surface="modal") == []

    def test_the_chosen_group_is_read_from_the_select(self) -> None:
        chosen = select_value(TeamOption(group_id=GROUP_ID).encode(), "team-payments")
        _, form = parse_new_account_form(submitted(chosen), teams=True)
        assert (form.team_group_id, form.team) == (GROUP_ID, "team-payments")
        assert input_errors(form, "a@example.com", teams=True) == {}

    def test_no_team_chosen_is_said_on_the_field(self) -> None:
        _, form = parse_new_account_form(submitted(None), teams=True)
        errors = input_errors(form, "a@example.com", teams=True)
        assert "Choose the owning team" in errors[BlockId.TEAM]

    def test_an_option_outpost_did_not_build_is_refused_on_the_field(self) -> None:
        forged = select_value("not|a|group id", "admins")
        _, form = parse_new_account_form(submitted(forged), teams=True)
        errors = input_errors(form, "a@example.com", teams=True)
        assert "not one Outpost offered" in errors[BlockId.TEAM]

    @pytest.mark.parametrize(
        ("refusal", "said"),
        [
            (TeamGone(GROUP_ID), "no longer in IAM Identity Center"),
            (NotATeam(group("admins"), "team-*"), "teams are the groups whose names match team-*"),
            (TeamsUnchecked(aws_failure(code="AccessDeniedException")), "AccessDeniedException"),
            (TeamsUnchecked(None), "did not answer in time"),
        ],
    )
    def test_a_team_that_cannot_own_the_account_is_refused_on_the_field(
        self, refusal: Any, said: str
    ) -> None:
        errors = refusal_errors(refusal, "payments-dev")
        assert list(errors) == [BlockId.TEAM]
        assert said in errors[BlockId.TEAM]


class TestWhatPeopleRead:
    def test_the_card_counts_the_operations_own_steps(self) -> None:
        op = team_operation(step=Step.ASSIGN_TEAM_ACCESS)
        assert "step 4 of 5: Give the owning team access" in card_status(op, T0)

    def test_the_thread_numbers_a_failure_among_the_operations_steps(self) -> None:
        failure = aws_failure(service="sso-admin", operation="CreateAccountAssignment")
        _, blocks = event_line(
            StepFailed(Step.ASSIGN_TEAM_ACCESS, failure), creation_steps(team_access=True)
        )
        assert "Step 4 of 5 failed: Give the owning team access" in readable(blocks)

    def test_a_stuck_team_access_says_what_is_in_progress(self) -> None:
        stuck = Stuck("op-1", "@ops", Step.WAIT_FOR_TEAM_ACCESS, T0, 4, None)
        text, _ = event_line(stuck, creation_steps(team_access=True))
        assert "step 5 of 5" in text and "the team's access IN_PROGRESS after 4" in text

    def test_team_lines_escape_the_group_name(self) -> None:
        text, _ = event_line(TeamAccessRequested("req-1", "<!channel>", "Admin"))
        assert "<!channel>" not in text and "`req-1`" in text
        text, _ = event_line(TeamAccessGiven("team-payments", "Admin", found=True))
        assert "not sent again" in text

    def test_a_team_with_access_is_told_how_to_sign_in_on_the_last_line(self) -> None:
        done = team_operation(step=Step.WAIT_FOR_TEAM_ACCESS).record(
            T0,
            account_id="123456789012",
            team_access_given=True,
            team_permission_set_name="AdministratorAccess",
        )
        done = done.advance(T0)
        blocks = card_blocks(done, T0, start_url=PORTAL)
        last = readable([blocks[-1]])
        assert PORTAL in last and "AdministratorAccess" in last and "team-payments" in last
        assert block_kit_errors(blocks, surface="message") == []
        assert readable(card_blocks(done, T0)).count(PORTAL) == 0

    def test_a_creation_without_team_access_shows_no_sign_in_line(self) -> None:
        done = operation(step=Step.MOVE_ACCOUNT).record(T0, account_id="1" * 12).advance(T0)
        assert PORTAL not in readable(card_blocks(done, T0, start_url=PORTAL))

    def test_a_cancel_after_the_team_access_was_asked_for_says_so(self) -> None:
        cancelled = Cancelled(
            "UOPS", Step.WAIT_FOR_TEAM_ACCESS, "car-1", "1" * 12, True, False, True
        )
        text, _ = event_line(cancelled, creation_steps(team_access=True))
        assert "before step 5" in text and "`CreateAccountAssignment`" in text

"""Break-glass grants: who may decide, what a decision does, and how every grant ends."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.domain.audit import TOLD_TO_REQUESTER, AuditKind, announcements, event
from bot.domain.grants import (
    AccessLimits,
    EndReason,
    Grant,
    GrantRefused,
    GrantState,
    check_justification,
    check_ticket,
)
from bot.domain.operations import AwsFailure
from bot.domain.outbox import Delivery
from bot.ui.breakglass import subject
from bot.ui.breakglass_answers import grant_refused
from tests.unit import factories
from tests.unit.factories import T0, assignment_failure

REQUESTER = "UENGINEER"
OPS = "UOPS"
OTHER_OPS = "UOPS2"
STRANGER = "UOTHER"
GRANT_ID = "bg-1a2b3c4d"
EMERGENCY = "INC-4211: payments down, nobody else is awake"


@contextmanager
def refused(words: str) -> Iterator[None]:
    """The rules refuse, and what the person who acted reads matches `words`."""
    with pytest.raises(GrantRefused) as caught:
        yield
    assert re.search(words, grant_refused(caught.value))


def make_grant(**changes: Any) -> Grant:
    """A pending grant for an hour of access, filed at T0 and to be answered within an hour."""
    return factories.grant(id=GRANT_ID, **changes)


def approved(grant: Grant | None = None, at: datetime = T0 + timedelta(minutes=5)) -> Grant:
    return (grant or make_grant()).approve(
        at, OPS, is_ops=True, may_self_approve=False, what="request"
    )


def create_sent(grant: Grant, at: datetime = T0 + timedelta(minutes=6)) -> Grant:
    return grant.record(at, create_sent_at=at, creation_request_id="req-create-1")


def active(
    at: datetime = T0 + timedelta(minutes=7), *, schedule: bool = False, **changes: Any
) -> Grant:
    """Approved, created in AWS and granted at `at`: it expires an hour later."""
    grant = create_sent(approved(make_grant(**changes)))
    if schedule:
        grant = grant.record(at, schedule_name=f"outpost-{GRANT_ID}", schedule_at=at)
    return grant.granted(at, pre_existing=False)


def with_extension(grant: Grant, at: datetime, *, by: str = REQUESTER) -> Grant:
    return grant.extend(
        at, by, is_ops=by != REQUESTER, duration=timedelta(minutes=30), reason="still digging"
    )


class TestWhoMayDecide:
    @pytest.mark.parametrize("verb", ["approve", "deny"])
    def test_only_ops_decide(self, verb):
        grant = make_grant()
        with refused(f"Only ops can {verb}"):
            if verb == "approve":
                grant.approve(T0, STRANGER, is_ops=False, may_self_approve=True, what="request")
            else:
                grant.deny(T0, STRANGER, is_ops=False, what="request", reason="not needed now")

    def test_the_requester_cannot_approve_their_own_request(self):
        grant = make_grant(requester=OPS, filed_by=OPS)
        with refused("cannot approve your own request"):
            grant.approve(T0, OPS, is_ops=True, may_self_approve=False, what="request", note="x")

    @pytest.mark.parametrize("note", ["", "too short", "   short   "])
    def test_a_self_approval_needs_an_emergency_justification(self, note):
        grant = make_grant(requester=OPS, filed_by=OPS)
        with refused("at least 10 characters"):
            grant.approve(T0, OPS, is_ops=True, may_self_approve=True, what="request", note=note)

    def test_a_named_emergency_approver_may_approve_their_own_request(self):
        grant = make_grant(requester=OPS, filed_by=OPS)
        done = grant.approve(
            T0, OPS, is_ops=True, may_self_approve=True, what="request", note=f"  {EMERGENCY}  "
        )
        assert done.state is GrantState.GRANTING
        assert done.decision is not None
        assert done.decision.self_approved
        assert done.decision.note == EMERGENCY
        assert done.decision.by == OPS

    def test_an_approval_by_another_ops_member_is_not_self_approved(self):
        done = make_grant().approve(T0, OPS, is_ops=True, may_self_approve=True, what="request")
        assert done.decision is not None
        assert not done.decision.self_approved

    def test_ops_may_deny_their_own_request(self):
        grant = make_grant(requester=OPS, filed_by=OPS)
        done = grant.deny(T0, OPS, is_ops=True, what="request", reason="not needed after all")
        assert done.state is GrantState.DENIED


class TestTheFirstDecisionWins:
    def test_approving_again_says_who_approved_it(self):
        grant = approved()
        with refused(r"bg-1a2b3c4d was already approved by <@UOPS>"):
            grant.approve(T0, OTHER_OPS, is_ops=True, may_self_approve=False, what="request")

    def test_denying_after_an_approval_says_who_approved_it(self):
        grant = approved()
        with refused(r"already approved by <@UOPS>"):
            grant.deny(T0, OTHER_OPS, is_ops=True, what="request", reason="changed my mind")

    def test_approving_after_a_denial_says_who_denied_it(self):
        grant = make_grant().deny(T0, OPS, is_ops=True, what="request", reason="use staging")
        with refused(r"already denied by <@UOPS>"):
            grant.approve(T0, OTHER_OPS, is_ops=True, may_self_approve=False, what="request")

    def test_an_old_request_card_does_not_decide_a_pending_extension(self):
        grant = with_extension(active(), T0 + timedelta(minutes=30))
        with refused(r"already approved by <@UOPS>"):
            grant.approve(T0, OTHER_OPS, is_ops=True, may_self_approve=False, what="request")
        assert grant.pending_extension is not None

    def test_a_stale_extension_click_says_it_was_decided(self):
        at = T0 + timedelta(minutes=30)
        grant = with_extension(active(), at).approve(
            at, OPS, is_ops=True, may_self_approve=False, what="extension-1"
        )
        with refused(r"Extension 1 of bg-1a2b3c4d was already approved by"):
            grant.approve(at, OTHER_OPS, is_ops=True, may_self_approve=False, what="extension-1")

    def test_an_extension_closed_by_the_end_of_access_says_so(self):
        at = T0 + timedelta(minutes=30)
        grant = with_extension(active(), at).revoke(at, REQUESTER, is_ops=False)
        with refused(r"Extension 1 .* closed \(the access ended\)"):
            grant.approve(at, OPS, is_ops=True, may_self_approve=False, what="extension-1")

    def test_an_extension_that_was_never_asked_for_is_not_open(self):
        with refused(r"Extension 3 of bg-1a2b3c4d is no longer open"):
            active().approve(T0, OPS, is_ops=True, may_self_approve=False, what="extension-3")

    def test_an_unanswered_request_says_so(self):
        grant = make_grant().unanswered(T0 + timedelta(hours=1))
        with refused("expired unanswered"):
            grant.approve(T0, OPS, is_ops=True, may_self_approve=False, what="request")

    def test_a_withdrawn_request_says_who_withdrew_it(self):
        grant = make_grant().revoke(T0, REQUESTER, is_ops=False)
        with refused(r"withdrawn by <@UENGINEER>"):
            grant.deny(T0, OPS, is_ops=True, what="request", reason="no longer needed")


class TestDecisions:
    def test_an_approval_starts_granting_at_once(self):
        at = T0 + timedelta(minutes=5)
        grant = approved(at=at)
        assert grant.state is GrantState.GRANTING
        assert grant.next_run_at == at
        assert grant.due_at == at
        assert grant.decision is not None
        assert grant.decision.approved
        assert grant.decision.by == OPS

    def test_a_denial_ends_the_request_with_its_reason(self):
        at = T0 + timedelta(minutes=5)
        grant = make_grant().deny(at, OPS, is_ops=True, what="request", reason="  use staging  ")
        assert grant.state is GrantState.DENIED
        assert grant.state.finished
        assert grant.ended_at == at
        assert grant.decision is not None
        assert not grant.decision.approved
        assert grant.decision.note == "use staging"
        assert grant.due_at is None

    @pytest.mark.parametrize("reason", ["", "   "])
    def test_a_denial_needs_a_reason(self, reason):
        with refused("needs a reason"):
            make_grant().deny(T0, OPS, is_ops=True, what="request", reason=reason)


class TestWhenTheWorkerLooks:
    def test_a_pending_request_is_first_due_for_a_reminder_halfway(self):
        grant = make_grant(answer_by=T0 + timedelta(hours=2))
        assert grant.due_at == T0 + timedelta(hours=1)

    def test_after_the_reminder_it_is_due_when_unanswered(self):
        grant = make_grant(answer_by=T0 + timedelta(hours=2), reminded=True)
        assert grant.due_at == T0 + timedelta(hours=2)

    @pytest.mark.parametrize("state", [GrantState.GRANTING, GrantState.REVOKING])
    def test_granting_and_revoking_are_due_at_their_next_run(self, state):
        grant = make_grant(state=state, next_run_at=T0 + timedelta(seconds=30))
        assert grant.due_at == T0 + timedelta(seconds=30)

    def test_active_access_is_due_when_it_expires(self):
        grant = active(T0 + timedelta(minutes=7))
        assert grant.due_at == T0 + timedelta(minutes=67)

    def test_active_access_is_due_earlier_when_the_worker_has_work_before_expiry(self):
        grant = active(T0 + timedelta(minutes=7)).wait(T0, T0 + timedelta(minutes=10))
        assert grant.due_at == T0 + timedelta(minutes=10)

    @pytest.mark.parametrize("state", [s for s in GrantState if s.finished])
    def test_finished_grants_are_never_due(self, state):
        grant = make_grant(state=state, next_run_at=T0, expires_at=T0)
        assert grant.due_at is None


class TestGranted:
    def test_expiry_counts_from_when_the_access_is_there(self):
        at = T0 + timedelta(minutes=20)
        grant = create_sent(approved()).granted(at, pre_existing=False)
        assert grant.state is GrantState.ACTIVE
        assert grant.granted_at == at
        assert grant.expires_at == at + timedelta(hours=1)
        assert grant.next_run_at is None
        assert grant.needs_aws_removal

    def test_access_that_was_already_there_is_never_removed(self):
        grant = create_sent(approved()).granted(T0, pre_existing=True)
        assert grant.progress.pre_existing
        assert not grant.needs_aws_removal

    def test_nothing_is_removed_when_the_create_was_never_sent(self):
        grant = approved().granted(T0, pre_existing=False)
        assert not grant.needs_aws_removal


class TestRevoke:
    def test_only_the_requester_or_ops_may_revoke(self):
        with refused("Only the person who has the access, or ops"):
            active().revoke(T0, STRANGER, is_ops=False)

    def test_a_pending_request_is_withdrawn_by_its_requester(self):
        at = T0 + timedelta(minutes=3)
        grant = make_grant().revoke(at, REQUESTER, is_ops=False)
        assert grant.state is GrantState.WITHDRAWN
        assert grant.revoked_by == REQUESTER
        assert grant.ended_at == at
        assert grant.due_at is None

    def test_ops_deny_a_request_rather_than_withdraw_it(self):
        with refused("Ops decide it: Deny asks for a reason"):
            make_grant().revoke(T0, OPS, is_ops=True)

    def test_active_access_is_taken_back_at_once(self):
        at = T0 + timedelta(minutes=30)
        grant = active().revoke(at, OPS, is_ops=True)
        assert grant.state is GrantState.REVOKING
        assert grant.end_reason is EndReason.REVOKED
        assert grant.revoked_by == OPS
        assert grant.due_at == at

    def test_access_being_granted_can_be_revoked(self):
        grant = approved().revoke(T0 + timedelta(minutes=6), REQUESTER, is_ops=False)
        assert grant.state is GrantState.REVOKING
        assert grant.end_reason is EndReason.REVOKED

    @pytest.mark.parametrize(
        "state",
        [GrantState.REVOKING, *(s for s in GrantState if s.finished)],
    )
    def test_there_is_nothing_to_revoke_once_it_is_ending(self, state):
        with refused("nothing to revoke"):
            make_grant(state=state).revoke(T0, OPS, is_ops=True)

    def test_a_pending_extension_is_closed_when_the_access_ends(self):
        at = T0 + timedelta(minutes=40)
        grant = with_extension(active(), T0 + timedelta(minutes=30)).revoke(
            at, REQUESTER, is_ops=False
        )
        assert grant.pending_extension is None
        closed = grant.extensions[-1].decision
        assert closed is not None
        assert not closed.approved
        assert closed.by == "outpost"
        assert closed.at == at

    def test_expiry_takes_access_back_without_anyone_revoking_it(self):
        grant = active()
        assert grant.expires_at is not None
        expired = grant.expire(grant.expires_at)
        assert expired.state is GrantState.REVOKING
        assert expired.end_reason is EndReason.EXPIRED
        assert expired.revoked_by is None


class TestExtend:
    def test_only_the_requester_or_ops_may_ask_for_more_time(self):
        with refused("Only the person who has the access, or ops"):
            active().extend(
                T0, STRANGER, is_ops=False, duration=timedelta(minutes=30), reason="more"
            )

    @pytest.mark.parametrize(
        "state", [s for s in GrantState if s is not GrantState.ACTIVE], ids=str
    )
    def test_only_active_access_can_be_extended(self, state):
        with refused("only active access can be extended"):
            make_grant(state=state).extend(
                T0, REQUESTER, is_ops=False, duration=timedelta(minutes=30), reason="more"
            )

    def test_access_that_was_already_there_cannot_be_extended(self):
        grant = create_sent(approved()).granted(T0, pre_existing=True)
        with refused("nothing to extend"):
            with_extension(grant, T0 + timedelta(minutes=30))

    def test_only_one_extension_waits_at_a_time(self):
        grant = with_extension(active(), T0 + timedelta(minutes=30))
        with refused("already has an extension waiting"):
            with_extension(grant, T0 + timedelta(minutes=31), by=OPS)

    def test_an_extension_waits_for_a_decision(self):
        grant = with_extension(active(), T0 + timedelta(minutes=30))
        extension = grant.pending_extension
        assert extension is not None
        assert extension.number == 1
        assert extension.requested_by == REQUESTER
        assert grant.deciding == "extension-1"
        assert subject(grant) == "30m more access"

    def test_an_approved_extension_moves_the_expiry(self):
        grant = active(T0 + timedelta(minutes=7))
        at = T0 + timedelta(minutes=30)
        extended = with_extension(grant, at).approve(
            at, OPS, is_ops=True, may_self_approve=False, what="extension-1"
        )
        assert extended.state is GrantState.ACTIVE
        assert extended.expires_at == T0 + timedelta(minutes=97)
        assert extended.next_run_at is None
        assert extended.due_at == T0 + timedelta(minutes=97)
        assert extended.pending_extension is None
        assert extended.deciding == "request"

    def test_an_approved_extension_has_the_worker_move_the_aws_schedule(self):
        grant = active(T0 + timedelta(minutes=7), schedule=True)
        at = T0 + timedelta(minutes=30)
        extended = with_extension(grant, at).approve(
            at, OPS, is_ops=True, may_self_approve=False, what="extension-1"
        )
        assert extended.expires_at == T0 + timedelta(minutes=97)
        assert extended.next_run_at == at
        assert extended.due_at == at

    def test_a_denied_extension_leaves_the_expiry_alone(self):
        grant = active(T0 + timedelta(minutes=7))
        at = T0 + timedelta(minutes=30)
        denied = with_extension(grant, at).deny(
            at, OPS, is_ops=True, what="extension-1", reason="wrap it up"
        )
        assert denied.state is GrantState.ACTIVE
        assert denied.expires_at == T0 + timedelta(minutes=67)
        decision = denied.extensions[-1].decision
        assert decision is not None
        assert not decision.approved
        assert decision.note == "wrap it up"

    def test_a_second_extension_is_numbered_after_the_first(self):
        at = T0 + timedelta(minutes=30)
        grant = with_extension(active(), at).deny(
            at, OPS, is_ops=True, what="extension-1", reason="wrap it up"
        )
        again = with_extension(grant, at + timedelta(minutes=1))
        assert again.deciding == "extension-2"


class TestFailure:
    def test_a_grant_that_failed_before_asking_aws_just_fails(self):
        at = T0 + timedelta(minutes=6)
        grant = approved().fail(at, assignment_failure())
        assert grant.state is GrantState.FAILED
        assert grant.failure == assignment_failure()
        assert grant.ended_at == at
        assert grant.due_at is None

    def test_a_grant_that_failed_after_asking_aws_is_cleaned_up_first(self):
        at = T0 + timedelta(minutes=8)
        grant = create_sent(approved()).fail(at, assignment_failure())
        assert grant.state is GrantState.REVOKING
        assert grant.end_reason is EndReason.GRANT_FAILED
        assert grant.failure == assignment_failure()
        assert grant.needs_aws_removal
        assert grant.due_at == at

    def test_a_cleaned_up_grant_stays_failed_and_keeps_its_failure(self):
        at = T0 + timedelta(minutes=9)
        grant = (
            create_sent(approved()).fail(T0 + timedelta(minutes=8), assignment_failure()).ended(at)
        )
        assert grant.state is GrantState.FAILED
        assert grant.failure == assignment_failure()
        assert grant.ended_at == at
        assert grant.due_at is None

    def test_a_revoked_grant_ends_without_its_old_failures(self):
        at = T0 + timedelta(minutes=45)
        grant = (
            active()
            .revoke(T0 + timedelta(minutes=40), REQUESTER, is_ops=False)
            .revoke_failed(
                T0 + timedelta(minutes=41), assignment_failure(), T0 + timedelta(minutes=42)
            )
            .ended(at)
        )
        assert grant.state is GrantState.ENDED
        assert grant.failure is None
        assert grant.ended_at == at

    def test_a_failed_revoke_is_tried_again(self):
        retry_at = T0 + timedelta(minutes=42)
        grant = (
            active()
            .revoke(T0 + timedelta(minutes=40), OPS, is_ops=True)
            .revoke_failed(
                T0 + timedelta(minutes=41), assignment_failure(code="ThrottlingException"), retry_at
            )
        )
        assert grant.state is GrantState.REVOKING
        assert grant.failure is not None
        assert grant.failure.code == "ThrottlingException"
        assert grant.next_run_at == retry_at
        assert grant.due_at == retry_at


class TestLimits:
    LIMITS = AccessLimits(longest=timedelta(hours=4))

    def test_too_short_names_the_shortest(self):
        problem = self.LIMITS.check_duration(timedelta(minutes=10))
        assert problem is not None
        assert "10m is too short" in problem
        assert "at least 15m" in problem

    def test_too_long_names_the_longest_and_its_setting(self):
        problem = self.LIMITS.check_duration(timedelta(hours=5))
        assert problem is not None
        assert "5h is too long" in problem
        assert "at most 4h" in problem
        assert "BREAKGLASS_MAX_DURATION" in problem

    @pytest.mark.parametrize(
        "duration", [timedelta(minutes=15), timedelta(hours=1), timedelta(hours=4)]
    )
    def test_within_the_limits_is_fine(self, duration):
        assert self.LIMITS.check_duration(duration) is None

    @pytest.mark.parametrize("text", ["", "   ", "INC-1", "  too short  "])
    def test_a_justification_says_why_in_ten_characters(self, text):
        problem = check_justification(text)
        assert problem is not None
        assert "at least 10 characters" in problem

    def test_a_justification_is_not_an_essay(self):
        problem = check_justification("x" * 1001)
        assert problem is not None
        assert "under 1000 characters" in problem

    @pytest.mark.parametrize("text", ["x" * 10, "x" * 1000, "  INC-4211 queue stuck  "])
    def test_a_reasonable_justification_is_fine(self, text):
        assert check_justification(text) is None

    @pytest.mark.parametrize("text", ["", "INC-4211", "x" * 200])
    def test_a_ticket_is_an_id_or_a_link(self, text):
        assert check_ticket(text) is None

    def test_a_ticket_is_not_an_essay(self):
        problem = check_ticket("x" * 201)
        assert problem is not None
        assert "under 200 characters" in problem


class TestAnnouncements:
    @pytest.mark.parametrize("kind", list(AuditKind), ids=str)
    def test_every_event_goes_to_the_thread_and_the_audit_channel(self, kind):
        grant = make_grant()
        audit = event(grant, kind, OPS, T0)
        messages = announcements(grant, [audit])
        deliveries = [m.delivery for m in messages]
        assert deliveries.count(Delivery.THREAD) == 1
        assert deliveries.count(Delivery.AUDIT) == 1
        assert all(m.audit_id == audit.id for m in messages)
        thread = next(m for m in messages if m.delivery is Delivery.THREAD)
        assert thread.stream == GRANT_ID
        audit_line = next(m for m in messages if m.delivery is Delivery.AUDIT)
        assert audit_line.stream == "audit"

    @pytest.mark.parametrize("kind", list(AuditKind), ids=str)
    def test_the_requester_is_told_directly_only_what_concerns_them(self, kind):
        grant = make_grant()
        messages = announcements(grant, [event(grant, kind, OPS, T0)])
        direct = [m for m in messages if m.delivery is Delivery.DIRECT]
        if kind in TOLD_TO_REQUESTER:
            assert len(direct) == 1
            assert direct[0].user == REQUESTER
        else:
            assert direct == []

    def test_the_requester_is_not_told_of_their_own_request_but_is_told_it_was_granted(self):
        grant = make_grant()
        requested = event(grant, AuditKind.REQUESTED, REQUESTER, T0)
        granted = event(grant, AuditKind.GRANTED, "outpost", T0 + timedelta(minutes=7))
        messages = announcements(grant, [requested, granted])
        assert [(m.delivery, m.audit_id) for m in messages] == [
            (Delivery.THREAD, requested.id),
            (Delivery.AUDIT, requested.id),
            (Delivery.THREAD, granted.id),
            (Delivery.AUDIT, granted.id),
            (Delivery.DIRECT, granted.id),
        ]
        assert messages[-1].user == REQUESTER

    def test_no_events_say_nothing(self):
        assert announcements(make_grant(), []) == []


def test_ops_who_ask_for_an_extension_do_not_approve_it_themselves():
    active = (
        make_grant()
        .approve(T0, "UOPS", is_ops=True, may_self_approve=False, what="request")
        .granted(T0, pre_existing=False)
    )
    asked = active.extend(T0, "UOPS2", is_ops=True, duration=timedelta(hours=1), reason="more")
    with refused("cannot approve your own"):
        asked.approve(T0, "UOPS2", is_ops=True, may_self_approve=False, what="extension-1")
    approved = asked.approve(T0, "UOPS", is_ops=True, may_self_approve=False, what="extension-1")
    assert approved.expires_at == active.expires_at + timedelta(hours=1)


def test_a_request_past_its_answer_time_is_not_approved_even_before_the_sweep():
    pending = make_grant()
    late = pending.answer_by + timedelta(seconds=1)
    with refused("expired unanswered"):
        pending.approve(late, "UOPS", is_ops=True, may_self_approve=False, what="request")


def test_access_given_after_a_failed_round_shows_no_assignment_failure():
    failure = AwsFailure(
        service="sso-admin", operation="CreateAccountAssignment", code="X", message="m"
    )
    granting = make_grant().approve(T0, "UOPS", is_ops=True, may_self_approve=False, what="request")
    retried = granting.model_copy(update={"failure": failure})
    assert retried.granted(T0, pre_existing=False).failure is None

"""Break-glass access as people read it: the card, its thread, the DMs, the modals, the export.

Every message and view goes through the fake Slack's Block Kit checker, so one that Slack
would refuse fails here.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.domain.audit import AuditEvent, AuditKind
from bot.domain.events import Retrying
from bot.domain.grants import (
    AccessLimits,
    AccessProgress,
    Decision,
    EndReason,
    Extension,
    Grant,
    GrantState,
)
from bot.emulator.block_kit import block_kit_errors, view_errors
from bot.ui.breakglass import (
    CONSOLE_SESSIONS,
    audit_direct,
    audit_line,
    grant_card_blocks,
    grant_card_text,
    grant_failure_blocks,
    reminder_line,
)
from bot.ui.breakglass_forms import (
    BreakglassForm,
    ExtendForm,
    account_options,
    audit_blocks,
    audit_csv,
    breakglass_errors,
    breakglass_view,
    deny_view,
    extend_errors,
    extend_view,
    parse_breakglass,
    parse_deny,
    parse_extend,
    parse_self_approve,
    self_approve_view,
)
from bot.ui.ids import ActionId, BlockId, CallbackId
from bot.ui.new_account import FormUnreadable
from bot.ui.text import slack_date
from bot.ui.thread import event_line
from tests.unit import factories
from tests.unit.factories import T0, access_request, assignment_failure
from tests.unit.reading import readable, texts

OPS = "<!subteam^SOPS>"
HOSTILE = "<!channel> ping <@U123> and <https://evil|x> & more"
LIMITS = AccessLimits(longest=timedelta(hours=4))


def grant(state: GrantState = GrantState.PENDING, **changes: Any) -> Grant:
    request = access_request(
        **{
            "account_id": "123456789012",
            "justification": "incident 42: payments API returns 500s",
            "ticket": "INC-42",
            **changes.pop("request", {}),
        }
    )
    fields: dict[str, Any] = {
        "id": "bg-1a2b3c",
        "state": state,
        "requester": "UERIN",
        "filed_by": "UERIN",
        "request": request,
        "channel": "CAPPROVALS",
        "answer_by": T0 + timedelta(minutes=30),
    }
    approved = Decision(approved=True, by="UOPS", at=T0 + timedelta(minutes=1))
    if state not in (
        GrantState.PENDING,
        GrantState.WITHDRAWN,
        GrantState.UNANSWERED,
        GrantState.DENIED,
    ):
        fields["decision"] = approved
        fields["progress"] = AccessProgress(permission_set_name="BreakGlassAdmin")
    if state in (GrantState.ACTIVE, GrantState.REVOKING, GrantState.ENDED):
        fields["granted_at"] = T0 + timedelta(minutes=2)
        fields["expires_at"] = T0 + timedelta(hours=1, minutes=2)
    fields.update(changes)
    return factories.grant(**fields)


def extension(number: int = 1, **changes: Any) -> Extension:
    fields: dict[str, Any] = {
        "number": number,
        "duration": timedelta(hours=1),
        "reason": "the fix is still rolling out",
        "requested_by": "UERIN",
        "requested_at": T0 + timedelta(minutes=50),
    }
    fields.update(changes)
    return Extension(**fields)


def audit(kind: AuditKind, **changes: Any) -> AuditEvent:
    fields: dict[str, Any] = {
        "at": T0,
        "kind": kind,
        "actor": "UOPS",
        "grant_id": "bg-1a2b3c",
        "requester": "UERIN",
        "account_id": "123456789012",
        "account_name": "payments-prod",
        "permission_set": "BreakGlassAdmin",
        "detail": "1h",
        "expires_at": T0 + timedelta(hours=1),
    }
    fields.update(changes)
    return AuditEvent(**fields)


def accepted_message(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    assert block_kit_errors(blocks, surface="message") == []
    return blocks


def accepted_view(view: dict[str, Any]) -> dict[str, Any]:
    assert view_errors(view) == []
    return view


def card(g: Grant, now: datetime | None = None) -> list[dict[str, Any]]:
    return accepted_message(grant_card_blocks(g, ops_mention=OPS, now=now))


def buttons(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The card's buttons by label."""
    actions = [b for b in blocks if b["type"] == "actions"]
    if not actions:
        return {}
    (block,) = actions
    assert block["block_id"] == BlockId.GRANT_ACTIONS
    return {button["text"]["text"]: button for button in block["elements"]}


def view_state(values: dict[Any, Any]) -> dict[str, Any]:
    state: dict[str, dict[str, Any]] = {}
    for (block_id, action_id), value in values.items():
        state.setdefault(block_id, {})[action_id] = value
    return {"values": state}


def submitted(view: dict[str, Any], values: dict[Any, Any]) -> dict[str, Any]:
    return dict(view, state=view_state(values))


def typed(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


class TestCardButtons:
    def test_pending_can_be_approved_denied_or_withdrawn(self):
        shown = buttons(card(grant()))
        assert list(shown) == ["Approve", "Deny", "Withdraw"]
        assert shown["Approve"]["action_id"] == ActionId.APPROVE_ACCESS
        assert shown["Approve"]["style"] == "primary"
        assert shown["Approve"]["value"] == "bg-1a2b3c|request"
        assert shown["Deny"]["action_id"] == ActionId.DENY_ACCESS
        assert shown["Deny"]["style"] == "danger"
        assert shown["Deny"]["value"] == "bg-1a2b3c|request"
        assert shown["Withdraw"]["action_id"] == ActionId.REVOKE_ACCESS
        assert shown["Withdraw"]["value"] == "bg-1a2b3c|withdraw"

    def test_active_can_be_extended_or_revoked_with_a_confirmation(self):
        shown = buttons(card(grant(GrantState.ACTIVE)))
        assert list(shown) == ["Extend", "Revoke now"]
        assert shown["Extend"]["action_id"] == ActionId.EXTEND_ACCESS
        assert shown["Extend"]["value"] == "bg-1a2b3c"
        revoke = shown["Revoke now"]
        assert revoke["action_id"] == ActionId.REVOKE_ACCESS
        assert revoke["value"] == "bg-1a2b3c"
        assert revoke["style"] == "danger"
        assert "confirm" in revoke

    def test_a_pending_extension_is_decided_from_the_card_and_cannot_be_asked_twice(self):
        g = grant(GrantState.ACTIVE, extensions=(extension(),))
        shown = buttons(card(g))
        assert list(shown) == ["Approve extension", "Deny extension", "Revoke now"]
        assert shown["Approve extension"]["value"] == "bg-1a2b3c|extension-1"
        assert shown["Deny extension"]["value"] == "bg-1a2b3c|extension-1"
        assert "Extension requested by <@UERIN>: +1h" in readable(card(g))

    def test_a_decided_extension_is_not_decided_again(self):
        decided = extension(decision=Decision(approved=True, by="UOPS", at=T0))
        g = grant(GrantState.ACTIVE, extensions=(decided,))
        assert list(buttons(card(g))) == ["Extend", "Revoke now"]
        assert "extended by 1h" in readable(card(g))

    def test_pre_existing_access_can_only_be_ended(self):
        g = grant(GrantState.ACTIVE, progress=AccessProgress(pre_existing=True))
        blocks = card(g)
        assert list(buttons(blocks)) == ["Revoke now"]
        assert "already there before this grant" in readable(blocks)
        assert CONSOLE_SESSIONS not in readable(blocks)
        assert "stays in place" in buttons(blocks)["Revoke now"]["confirm"]["text"]["text"]

    def test_granting_can_be_revoked(self):
        assert list(buttons(card(grant(GrantState.GRANTING)))) == ["Revoke now"]

    @pytest.mark.parametrize(
        "state",
        [
            GrantState.REVOKING,
            GrantState.ENDED,
            GrantState.DENIED,
            GrantState.WITHDRAWN,
            GrantState.UNANSWERED,
            GrantState.FAILED,
        ],
    )
    def test_no_buttons_once_nothing_can_be_done(self, state):
        assert buttons(card(grant(state))) == {}


class TestCardStatus:
    def test_pending_names_who_decides_and_until_when(self):
        shown = readable(card(grant()))
        assert f"Waiting for approval by {OPS}" in shown
        assert f"lapses if nobody decides by {slack_date(T0 + timedelta(minutes=30))}" in shown
        assert "*Break-glass access* to account payments-prod (`123456789012`)" in shown
        assert "for <@UERIN>" in shown
        assert "INC-42" in shown

    def test_pending_shows_the_permission_set_it_asks_for(self):
        shown = readable(card(grant(request={"permission_set": "BreakGlassAdmin"})))
        assert "*Permission set*\n`BreakGlassAdmin`" in shown
        assert "set when granted" not in shown

    def test_pending_does_not_ask_the_requester_to_approve_their_own_request(self):
        g = grant(requester="UPRIYA", filed_by="UPRIYA")
        shown = readable(accepted_message(grant_card_blocks(g, ops_mention="<@UOLGA> <@UPRIYA>")))
        assert "Waiting for approval by <@UOLGA> ·" in shown
        alone = readable(grant_card_blocks(g, ops_mention="<@UPRIYA>"))
        assert "Waiting for approval by another ops member ·" in alone

    def test_a_direct_grant_says_who_granted_it_not_who_requested_it(self):
        g = grant(GrantState.ACTIVE, filed_by="UOPS")
        fields = [f["text"] for f in card(g)[0]["fields"]]
        assert "*Granted directly by*\n<@UOPS>" in fields
        assert not any(f.startswith("*Requested by*") for f in fields)

    def test_active_shows_expiry_in_each_readers_time_zone(self):
        blocks = card(grant(GrantState.ACTIVE))
        shown = readable(blocks)
        expires = int((T0 + timedelta(hours=1, minutes=2)).timestamp())
        assert f"Active until <!date^{expires}^{{date_short_pretty}} {{time}}|" in shown
        assert "2026-03-01 13:02 UTC>" in shown
        assert "`BreakGlassAdmin`" in shown
        assert CONSOLE_SESSIONS in shown

    def test_active_past_its_end_says_it_is_being_revoked(self):
        g = grant(GrantState.ACTIVE)
        assert "past its end" in readable(card(g, now=T0 + timedelta(hours=2)))
        assert "past its end" not in readable(card(g, now=T0 + timedelta(minutes=5)))

    def test_granting_names_the_approver(self):
        assert "Approved by <@UOPS> · giving access in AWS" in readable(
            card(grant(GrantState.GRANTING))
        )

    def test_self_approval_is_marked_plainly(self):
        decision = Decision(
            approved=True, by="UERIN", at=T0, self_approved=True, note=f"prod down {HOSTILE}"
        )
        shown = readable(card(grant(GrantState.ACTIVE, decision=decision)))
        assert "self-approved in an emergency by <@UERIN>" in shown
        assert "&lt;!channel&gt;" in shown
        assert "<!channel>" not in shown

    def test_revoking_says_why_and_that_it_keeps_trying(self):
        g = grant(
            GrantState.REVOKING,
            end_reason=EndReason.REVOKED,
            revoked_by="UOPS",
            failure=assignment_failure(code="ThrottlingException"),
        )
        shown = readable(card(g))
        assert "Ending: revoking in AWS" in shown
        assert "revoked early by <@UOPS>" in shown
        assert "last attempt failed with `ThrottlingException`, trying again" in shown

    @pytest.mark.parametrize(
        ("reason", "pre_existing", "expected"),
        [
            (EndReason.EXPIRED, False, "expired"),
            (EndReason.REVOKED, False, "revoked early by <@UOPS>"),
            (EndReason.GRANT_FAILED, False, "cleaned up after a failure"),
            (EndReason.EXPIRED, True, "the access that was there before stays"),
        ],
    )
    def test_ended_says_how(self, reason, pre_existing, expected):
        g = grant(
            GrantState.ENDED,
            end_reason=reason,
            revoked_by="UOPS" if reason is EndReason.REVOKED else None,
            ended_at=T0 + timedelta(hours=1),
            progress=AccessProgress(pre_existing=pre_existing),
        )
        assert expected in readable(card(g))

    def test_denied_gives_the_reason_escaped(self):
        decision = Decision(approved=False, by="UOPS", at=T0, note=HOSTILE)
        shown = readable(card(grant(GrantState.DENIED, decision=decision)))
        assert "Denied by <@UOPS>: “&lt;!channel&gt;" in shown
        assert "<https://evil|x>" not in shown

    def test_failed_points_to_the_thread(self):
        shown = readable(card(grant(GrantState.FAILED, failure=assignment_failure())))
        assert "Failed · `AccessDeniedException` · see the thread" in shown

    def test_granted_directly_says_so(self):
        shown = readable(card(grant(filed_by="UOPS")))
        assert "*Granted directly by*\n<@UOPS>" in shown

    @pytest.mark.parametrize("state", list(GrantState))
    def test_every_state_has_a_valid_card_with_its_id(self, state):
        blocks = card(
            grant(state, failure=assignment_failure() if state is GrantState.FAILED else None)
        )
        assert "`bg-1a2b3c`" in readable(blocks)
        assert "bg-1a2b3c" in grant_card_text(grant(state))


class TestUserTextIsInert:
    def hostile_grant(self, state: GrantState = GrantState.PENDING) -> Grant:
        return grant(
            state,
            request={"justification": HOSTILE, "ticket": HOSTILE, "account_name": HOSTILE},
            extensions=(extension(reason=HOSTILE),) if state is GrantState.ACTIVE else (),
        )

    @pytest.mark.parametrize("state", [GrantState.PENDING, GrantState.ACTIVE])
    def test_on_the_card(self, state):
        g = self.hostile_grant(state)
        shown = readable(card(g)) + grant_card_text(g)
        assert "<!channel>" not in shown
        assert "<@U123>" not in shown
        assert "<https://evil|x>" not in shown
        assert "&lt;!channel&gt;" in shown

    @pytest.mark.parametrize("kind", list(AuditKind))
    def test_in_the_audit_line_and_the_dm(self, kind):
        event = audit(kind, detail=HOSTILE, account_name=HOSTILE)
        for text, blocks in (
            audit_line(event),
            audit_direct(event, start_url="https://example.awsapps.com/start"),
        ):
            accepted_message(blocks)
            for shown in (text, readable(blocks)):
                assert "<!channel>" not in shown
                assert "<@U123>" not in shown
                assert "<https://evil|x>" not in shown

    FAKE = "need a look\n:white_check_mark: <@UOPS> approved bg-1a2b3c · Granted\r\n:unlock: ok"

    def test_line_breaks_cannot_fake_outposts_lines_on_the_card(self):
        g = grant(
            GrantState.DENIED,
            request={"justification": self.FAKE, "ticket": "INC-1\n*Requested by*\n<@UOPS>"},
            decision=Decision(approved=False, by="UOPS", at=T0, note=self.FAKE),
        )
        blocks = card(g)
        for field in blocks[0]["fields"]:
            label, _, value = field["text"].partition("\n")
            assert "\n" not in value, label
        status = texts(blocks)[len(blocks[0]["fields"]) + 1]
        assert "\n" not in status
        assert "“need a look ↵ :white_check_mark:" in status

    @pytest.mark.parametrize(
        "kind", [AuditKind.REQUESTED, AuditKind.DENIED, AuditKind.SELF_APPROVED]
    )
    def test_line_breaks_cannot_fake_outposts_lines_in_the_trail_and_dms(self, kind):
        detail = f"1h: {self.FAKE}" if kind is AuditKind.REQUESTED else self.FAKE
        event = audit(kind, detail=detail)
        for text, blocks in (audit_line(event), audit_direct(event, start_url=None)):
            for shown in (text, *texts(blocks)):
                assert "\n" not in shown and "\r" not in shown
        # The person's words are set apart as theirs, whatever they hold.
        line, _ = audit_line(event)
        assert "“need a look ↵ :white_check_mark: &lt;@UOPS&gt; approved" in line

    def test_the_csv_keeps_line_breaks_as_typed(self):
        exported = audit_csv([audit(AuditKind.DENIED, detail=self.FAKE)])
        rows = list(csv.DictReader(io.StringIO(exported)))
        assert rows[0]["detail"] == self.FAKE

    def test_a_huge_justification_fits_slacks_limits(self):
        huge = ("x" * 99 + " ") * 100
        g = grant(
            GrantState.ACTIVE,
            request={"justification": huge, "ticket": huge},
            extensions=(extension(reason=huge),),
            decision=Decision(approved=True, by="UERIN", at=T0, self_approved=True, note=huge),
        )
        blocks = card(g)
        assert len(blocks) <= 50
        for block in blocks:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= 3000
                assert all(len(f["text"]) <= 2000 for f in block.get("fields", []))
        assert "characters in all" in readable(blocks)
        _, line = audit_line(audit(AuditKind.REQUESTED, detail=huge))
        accepted_message(line)
        accepted_message(audit_direct(audit(AuditKind.DENIED, detail=huge), start_url=None)[1])


class TestAuditLine:
    def test_names_who_did_what_to_which_grant(self):
        text, blocks = audit_line(audit(AuditKind.APPROVED))
        accepted_message(blocks)
        assert text == (
            ":white_check_mark: <@UOPS> approved `bg-1a2b3c` (payments-prod `123456789012`)"
            " for <@UERIN>: 1h"
        )

    def test_the_worker_is_named_outpost(self):
        text, _ = audit_line(audit(AuditKind.GRANTED, actor="outpost", request_ids=("r-1", "r-2")))
        assert text.startswith(":unlock: Outpost gave access with permission set `BreakGlassAdmin`")
        assert slack_date(T0 + timedelta(hours=1)) in text
        assert "AWS request ids: `r-1`, `r-2`" in text

    def test_self_approval_is_loud(self):
        text, _ = audit_line(
            audit(AuditKind.SELF_APPROVED, actor="UERIN", detail="prod is down, nobody answers")
        )
        assert text.startswith(":rotating_light:")
        assert "self-approved" in text
        assert "emergency justification: “prod is down, nobody answers”" in text

    def test_a_request_says_for_how_long_then_why(self):
        # bot/services/breakglass.py stores the request's detail as "<duration>: <justification>".
        requested = audit(
            AuditKind.REQUESTED,
            actor="UERIN",
            detail="1h30m: investigating INC-42: payments API returns 500s (ticket INC-42)",
            permission_set=None,
            expires_at=None,
        )
        text, _ = audit_line(requested)
        assert text.endswith(
            "<@UERIN> requested break-glass access `bg-1a2b3c` (payments-prod `123456789012`)"
            " for <@UERIN> for 1h30m; justification: “investigating INC-42: payments API"
            " returns 500s (ticket INC-42)”"
        )

    def test_a_request_detail_without_a_duration_is_all_justification(self):
        text, _ = audit_line(audit(AuditKind.REQUESTED, detail="INC-4211: restore: now"))
        assert text.endswith("for <@UERIN>; justification: “INC-4211: restore: now”")

    def test_a_request_justification_is_cut_and_escaped_not_its_duration(self):
        text, _ = audit_line(audit(AuditKind.REQUESTED, detail="2h: " + HOSTILE + "x" * 2000))
        assert " for 2h; justification: “&lt;!channel&gt;" in text
        assert "characters in all]" in text

    def test_denial_gives_the_reason(self):
        text, _ = audit_line(audit(AuditKind.DENIED, detail="use the read-only role"))
        assert "<@UOPS> denied `bg-1a2b3c`" in text
        assert text.endswith(": “use the read-only role”")

    @pytest.mark.parametrize("kind", list(AuditKind))
    def test_every_kind_has_its_own_line(self, kind):
        text, blocks = audit_line(audit(kind, request_ids=("req-9",)))
        accepted_message(blocks)
        assert "`bg-1a2b3c`" in text
        assert "<@UERIN>" in text
        assert "`req-9`" in text

    def test_no_request_ids_no_mention_of_them(self):
        assert "request id" not in audit_line(audit(AuditKind.EXPIRED))[0]


class TestDirectMessages:
    def test_granted_tells_where_to_sign_in_and_until_when(self):
        text, blocks = audit_direct(
            audit(AuditKind.GRANTED, actor="outpost"),
            start_url="https://example.awsapps.com/start",
        )
        accepted_message(blocks)
        shown = readable(blocks)
        assert "You have break-glass access" in text
        assert "<https://example.awsapps.com/start|AWS access portal>" in shown
        assert "`BreakGlassAdmin`" in shown
        assert "payments-prod (`123456789012`)" in shown
        assert f"Your access ends {slack_date(T0 + timedelta(hours=1))}" in shown
        assert CONSOLE_SESSIONS in shown

    def test_granted_without_a_portal_url_has_no_link(self):
        _, blocks = audit_direct(audit(AuditKind.GRANTED), start_url=None)
        assert "access portal" not in readable(blocks)

    def test_unanswered_says_how_to_ask_again(self):
        text, _ = audit_direct(audit(AuditKind.UNANSWERED, actor="outpost"), start_url=None)
        assert "nobody decided in time; ask again with `/account breakglass`" in text

    def test_denied_gives_the_reason(self):
        text, _ = audit_direct(audit(AuditKind.DENIED, detail="not for this"), start_url=None)
        assert "<@UOPS> denied your request" in text
        assert "not for this" in text

    @pytest.mark.parametrize("kind", list(AuditKind))
    def test_every_kind_reads(self, kind):
        text, blocks = audit_direct(audit(kind), start_url="https://example.awsapps.com/start")
        accepted_message(blocks)
        assert text
        assert "bg-1a2b3c" in text


class TestThreadLines:
    def test_a_failed_grant_shows_the_aws_error(self):
        text, blocks = grant_failure_blocks(grant(GrantState.FAILED, failure=assignment_failure()))
        accepted_message(blocks)
        assert "AccessDeniedException" in text
        assert ":x: *Could not give access*" in readable(blocks)

    def test_a_failed_revocation_is_retried(self):
        g = grant(GrantState.REVOKING, end_reason=EndReason.EXPIRED, failure=assignment_failure())
        _, blocks = grant_failure_blocks(g)
        accepted_message(blocks)
        assert "Could not revoke access yet, trying again" in readable(blocks)

    def test_reminder_mentions_ops_and_the_deadline(self):
        text, blocks = reminder_line(grant(), OPS)
        accepted_message(blocks)
        assert OPS in text
        assert slack_date(T0 + timedelta(minutes=30)) in text
        assert "1h of access" in text

    def test_retry_line(self):
        text, blocks = event_line(
            Retrying(
                service="sso-admin",
                operation="CreateAccountAssignment",
                code="Throttling",
                message="slow",
                attempt=2,
                of=5,
                wait=timedelta(seconds=4),
            )
        )
        accepted_message(blocks)
        assert "attempt 2 of 5" in text
        assert "`Throttling`" in text


class TestBreakglassForm:
    def test_the_modal(self):
        view = accepted_view(breakglass_view(LIMITS, channel="CDEV"))
        assert view["callback_id"] == CallbackId.BREAKGLASS
        assert json.loads(view["private_metadata"]) == {"channel": "CDEV"}
        by_id = {b.get("block_id"): b for b in view["blocks"]}
        select = by_id[BlockId.ACCESS_ACCOUNT]["element"]
        assert select["type"] == "external_select"
        assert select["min_query_length"] == 0
        assert "initial_option" not in select
        duration = by_id[BlockId.ACCESS_DURATION]
        assert duration["element"]["initial_value"] == "1h"
        assert duration["hint"]["text"] == "15m to 4h, e.g. 30m, 1h, 1h30m"
        justification = by_id[BlockId.ACCESS_JUSTIFICATION]["element"]
        assert justification["multiline"] is True
        assert justification["min_length"] == 10
        assert by_id[BlockId.ACCESS_TICKET]["optional"] is True

    def test_a_known_account_is_chosen_already(self):
        view = accepted_view(
            breakglass_view(LIMITS, account=("123456789012", "payments-prod"), channel="C")
        )
        select = view["blocks"][0]["element"]
        assert select["initial_option"]["value"] == "123456789012"
        assert select["initial_option"]["text"]["text"] == "payments-prod (123456789012)"

    def submit(self) -> BreakglassForm:
        values: dict[Any, Any] = {
            (BlockId.ACCESS_ACCOUNT, ActionId.ACCESS_ACCOUNT): {
                "type": "external_select",
                "selected_option": {
                    "text": {"type": "plain_text", "text": "payments-prod (123456789012)"},
                    "value": "123456789012",
                },
            },
            (BlockId.ACCESS_DURATION, ActionId.ACCESS_DURATION): typed(" 2h "),
            (BlockId.ACCESS_JUSTIFICATION, ActionId.ACCESS_JUSTIFICATION): typed(
                "incident 42: payments down"
            ),
            (BlockId.ACCESS_TICKET, ActionId.ACCESS_TICKET): typed(None),
        }
        return parse_breakglass(submitted(breakglass_view(LIMITS, channel="CDEV"), values))

    def test_parses_what_was_entered(self):
        form = self.submit()
        assert form == BreakglassForm(
            account_id="123456789012",
            duration_text="2h",
            justification="incident 42: payments down",
            ticket=None,
            channel="CDEV",
        )
        assert breakglass_errors(form, LIMITS) == {}

    @pytest.mark.parametrize(
        ("typed_duration", "expected"),
        [("5m", "too short"), ("9h", "at most 4h"), ("abc", "not a duration"), ("", "how long")],
    )
    def test_a_bad_duration_is_shown_on_its_field(self, typed_duration, expected):
        form = self.submit().model_copy(update={"duration_text": typed_duration})
        errors = breakglass_errors(form, LIMITS)
        assert list(errors) == [BlockId.ACCESS_DURATION]
        assert expected in errors[BlockId.ACCESS_DURATION].lower()

    def test_short_justification_long_ticket_and_no_account(self):
        form = self.submit().model_copy(
            update={"account_id": "", "justification": "because", "ticket": "x" * 201}
        )
        errors = breakglass_errors(form, LIMITS)
        assert set(errors) == {
            BlockId.ACCESS_ACCOUNT,
            BlockId.ACCESS_JUSTIFICATION,
            BlockId.ACCESS_TICKET,
        }
        assert "10 characters" in errors[BlockId.ACCESS_JUSTIFICATION]

    def test_no_account_selected(self):
        values = {(BlockId.ACCESS_ACCOUNT, ActionId.ACCESS_ACCOUNT): {"selected_option": None}}
        form = parse_breakglass(submitted(breakglass_view(LIMITS, channel="C"), values))
        assert form.account_id == ""
        assert BlockId.ACCESS_ACCOUNT in breakglass_errors(form, LIMITS)

    def test_forged_metadata_is_refused(self):
        view = dict(breakglass_view(LIMITS, channel="C"), private_metadata="{}")
        with pytest.raises(FormUnreadable):
            parse_breakglass(view)


class TestAccountOptions:
    ACCOUNTS = (
        ("111111111111", "payments-staging"),
        ("222222222222", "payments"),
        ("333333333333", "legacy-payments"),
        ("123456789012", "search"),
    )

    def test_matches_by_name_best_first(self):
        options = account_options(self.ACCOUNTS, "Payments")
        assert [o["value"] for o in options] == ["222222222222", "111111111111", "333333333333"]
        assert options[0]["text"]["text"] == "payments (222222222222)"

    def test_matches_by_id_prefix(self):
        assert [o["value"] for o in account_options(self.ACCOUNTS, "1234")] == ["123456789012"]
        assert account_options(self.ACCOUNTS, "4567") == []

    def test_an_empty_query_lists_everything(self):
        assert len(account_options(self.ACCOUNTS, "")) == 4

    def test_at_most_100_with_short_text(self):
        many = [(f"{n:012d}", "team-" + "x" * 100 + str(n)) for n in range(250)]
        options = account_options(many, "team")
        assert len(options) == 100
        for option in options:
            assert len(option["text"]["text"]) <= 75
            assert option["text"]["text"].endswith(f"({option['value']})")
        select = {"type": "static_select", "action_id": "a", "options": options}
        assert (
            block_kit_errors([{"type": "actions", "elements": [select]}], surface="message") == []
        )


class TestDecisionModals:
    def test_deny(self):
        view = accepted_view(deny_view("bg-1a2b3c", "extension-2", "CAPPROVALS"))
        assert view["callback_id"] == CallbackId.DENY
        assert "extension `2` of `bg-1a2b3c`" in readable(view["blocks"])
        values = {(BlockId.DENY_REASON, ActionId.DENY_REASON): typed("  not needed  ")}
        metadata, reason = parse_deny(submitted(view, values))
        assert (metadata.grant_id, metadata.what, metadata.channel) == (
            "bg-1a2b3c",
            "extension-2",
            "CAPPROVALS",
        )
        assert reason == "not needed"

    def test_extend(self):
        g = grant(GrantState.ACTIVE)
        view = accepted_view(extend_view(g, LIMITS))
        assert view["callback_id"] == CallbackId.EXTEND
        assert slack_date(g.expires_at or T0) in readable(view["blocks"])
        by_id = {b.get("block_id"): b for b in view["blocks"]}
        assert by_id[BlockId.EXTEND_DURATION]["element"]["initial_value"] == "1h"
        assert by_id[BlockId.EXTEND_REASON]["element"]["min_length"] == 10
        assert by_id[BlockId.EXTEND_REASON]["hint"]["text"] == (
            "At least 10 characters: ops read it when they decide, and the audit trail keeps it."
        )
        values = {
            (BlockId.EXTEND_DURATION, ActionId.EXTEND_DURATION): typed("9h"),
            (BlockId.EXTEND_REASON, ActionId.EXTEND_REASON): typed("short"),
        }
        metadata, form = parse_extend(submitted(view, values))
        assert metadata.grant_id == form.grant_id == "bg-1a2b3c"
        assert (form.duration_text, form.reason) == ("9h", "short")
        assert set(extend_errors(form, LIMITS)) == {BlockId.EXTEND_DURATION, BlockId.EXTEND_REASON}
        ok = form.model_copy(update={"duration_text": "30m", "reason": "rollout still running"})
        assert extend_errors(ok, LIMITS) == {}

    def test_too_long_an_extension_does_not_say_to_extend_later(self):
        form = ExtendForm(grant_id="bg-1a2b3c", duration_text="10h", reason="rollout running")
        error = extend_errors(form, LIMITS)[BlockId.EXTEND_DURATION]
        assert "later" not in error
        assert error == (
            "10h is too long: an extension adds at most 4h (BREAKGLASS_MAX_DURATION) at a "
            "time; ask for another one when it is approved if you need more."
        )

    def test_self_approve_explains_what_it_means(self):
        view = accepted_view(self_approve_view("bg-1a2b3c", "request"))
        assert view["callback_id"] == CallbackId.SELF_APPROVE
        shown = readable(view["blocks"])
        assert "Every ops member is told" in shown
        assert "self-approved" in shown
        values = {(BlockId.SELF_APPROVE_NOTE, ActionId.SELF_APPROVE_NOTE): typed("prod down")}
        metadata, note = parse_self_approve(submitted(view, values))
        assert (metadata.grant_id, metadata.what, note) == ("bg-1a2b3c", "request", "prod down")


class TestAuditExport:
    def test_listing_is_capped_and_points_to_the_csv(self):
        events = [audit(AuditKind.APPROVED, detail="y" * 5000) for _ in range(60)]
        blocks = accepted_message(audit_blocks(events, account="payments", days=30, total=75))
        assert len(blocks) <= 50
        shown = readable(blocks)
        assert "75 events" in shown
        assert texts(blocks)[-1] == (
            "35 more events are in the CSV, in your direct messages with Outpost."
        )

    def test_a_full_listing_says_where_the_csv_with_every_detail_is(self):
        events = [audit(AuditKind.APPROVED) for _ in range(3)]
        blocks = accepted_message(audit_blocks(events, account=None, days=7, total=3))
        assert texts(blocks)[-1] == (
            "The CSV, with every detail, is in your direct messages with Outpost."
        )

    def test_empty_listing(self):
        blocks = accepted_message(audit_blocks([], account=None, days=7, total=0))
        assert "No break-glass access events in the last 7 days" in readable(blocks)

    def test_one_day_reads_as_one_day(self):
        events = [audit(AuditKind.APPROVED)]
        shown = readable(audit_blocks(events, account=None, days=1, total=1))
        assert "last day · 1 event" in shown
        assert "1 days" not in shown

    def test_csv_is_plain_and_cannot_run_formulas(self):
        events = [
            audit(AuditKind.DENIED, detail='=HYPERLINK("https://evil")', request_ids=("a", "b")),
            audit(AuditKind.REQUESTED, detail=HOSTILE, account_name="@sum", permission_set=None),
            audit(AuditKind.EXPIRED, detail="-1+2", expires_at=None, actor="outpost"),
            audit(AuditKind.EXPIRED, detail="+cmd"),
        ]
        rows = list(csv.DictReader(io.StringIO(audit_csv(events))))
        assert list(rows[0]) == [
            "at",
            "kind",
            "actor",
            "grant_id",
            "requester",
            "account_id",
            "account_name",
            "permission_set",
            "detail",
            "request_ids",
            "expires_at",
        ]
        assert rows[0]["at"] == "2026-03-01T12:00:00+00:00"
        assert rows[0]["detail"] == '\'=HYPERLINK("https://evil")'
        assert rows[0]["request_ids"] == "a b"
        assert rows[1]["detail"] == HOSTILE
        assert rows[1]["account_name"] == "'@sum"
        assert rows[1]["permission_set"] == ""
        assert rows[2]["detail"] == "'-1+2"
        assert rows[2]["expires_at"] == ""
        assert rows[3]["detail"] == "'+cmd"
        assert rows[3]["expires_at"] == "2026-03-01T13:00:00+00:00"

    def test_csv_words_a_request_as_its_audit_line_does(self):
        events = [
            audit(AuditKind.REQUESTED, detail="1h: investigating INC-42 (ticket INC-42)"),
            audit(AuditKind.REQUESTED, detail="=1h: no duration, a formula"),
            audit(AuditKind.APPROVED, detail="1h"),
        ]
        rows = list(csv.DictReader(io.StringIO(audit_csv(events))))
        assert [row["detail"] for row in rows] == [
            "for 1h; justification: investigating INC-42 (ticket INC-42)",
            "'=1h: no duration, a formula",
            "1h",
        ]

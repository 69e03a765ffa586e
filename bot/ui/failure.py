"""The AWS error block: what AWS said, as it said it, and what the catalog says about it.

The same block is used wherever an error is shown, so an engineer always finds the call, the
code, AWS's message, the request id, what it means, who can fix it, and how to repeat the call.
"""

from __future__ import annotations

from bot.aws.catalog import Advice, Retry, catalog
from bot.domain.operations import AwsFailure
from bot.ui.blocks import Block, section
from bot.ui.text import code, cut, escape

MESSAGE_LIMIT = 2800
CLI_LIMIT = 2800

WHO = {
    "engineer": "you, the requester",
    "ops": "whoever runs Outpost (its settings and AWS permissions)",
    "management account owner": "the owner of the organization's management account",
    "AWS Support": "AWS Support",
    "nobody": "nobody: Outpost retries it",
}


def failure_fields(failure: AwsFailure) -> list[str]:
    call = code(failure.service + ":" + failure.operation)
    request_label = "Request id"
    if failure.reported_by:
        # The call shown is the one that said FAILED, as its CLI line repeats it.
        call = f"{code(failure.service + ':' + failure.reported_by)} on {call}"
        request_label = f"{failure.operation}RequestId"
    fields = [f"*Call*\n{call}", f"*Error code*\n{code(failure.code)}"]
    if failure.reason and failure.reason != failure.code:
        fields.append(f"*Reason*\n{code(failure.reason)}")
    if failure.request_id:
        fields.append(f"*{request_label}*\n{code(failure.request_id)}")
    if failure.http_status:
        fields.append(f"*HTTP status*\n{failure.http_status}")
    fields.append(f"*Attempts*\n{failure.attempts}")
    return fields


def advice_for(failure: AwsFailure) -> Advice:
    return catalog().advice(failure.service, failure.code, failure.reason, failure.http_status)


def failure_blocks(title: str, failure: AwsFailure) -> list[Block]:
    advice = advice_for(failure)
    blocks = [
        section(title, fields=failure_fields(failure)),
        section(f"*{_said(failure)}*\n{_quoted(failure.message)}"),
        section(
            f"*What it means:* {escape(advice.meaning)}\n"
            f"*What to do:* {escape(advice.action)}\n"
            f"*Who can fix it:* {WHO[advice.who]}\n"
            f"<{advice.doc}|AWS documentation>"
        ),
    ]
    if failure.cli:
        command = cut(escape(failure.cli), CLI_LIMIT)
        blocks.append(section(f"*The same call by hand*\n```{command}```"))
    return blocks


def _said(failure: AwsFailure) -> str:
    if failure.attempts <= 1:
        return "AWS said"
    entry = catalog().error(failure.service, failure.code)
    exhausted = failure.http_status is None or failure.http_status >= 500
    if entry is not None:
        exhausted = entry.retry is not Retry.NO
    if exhausted:
        return f"Retries exhausted after {failure.attempts} attempts. AWS said the last time"
    return f"AWS said on attempt {failure.attempts}"


def _quoted(message: str) -> str:
    text = cut(escape(message), MESSAGE_LIMIT)
    return "\n".join("> " + line for line in text.splitlines() or [""])


def failure_summary(failure: AwsFailure) -> str:
    """One line for notifications and fallbacks."""
    return f"{failure.operation} failed: {failure.code}: {cut(failure.message, 300)}"

"""An HTTP proxy in front of a moto server that injects AWS faults on the wire.

moto answers every call successfully and instantly, but Outpost's value is in how it handles
throttling, quota errors, slow account creation and dropped connections. Patching the bot's code to
fake those would test the fakes, so instead the bot runs with `AWS_ENDPOINT_URL` pointing at this
proxy: boto3 signs and sends real requests, the proxy forwards them unchanged to moto, and rules
added by a test replace or rewrite the answers in the protocol the client spoke (JSON for
Organizations, query/XML for STS, REST-JSON for EventBridge Scheduler), so botocore parses them
exactly as it parses AWS's own errors. Rules name operations as AWS does: REST-JSON requests
carry no operation name, so theirs is read from the method and path botocore's model gives it.
"""

from __future__ import annotations

import asyncio
import functools
import json
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import aiohttp
import botocore.session
from aiohttp import web
from botocore.exceptions import UnknownServiceError
from multidict import CIMultiDict

JsonTransform = Callable[[dict[str, Any]], dict[str, Any]]

_ORGANIZATIONS_TARGET_PREFIX = "AWSOrganizations"
_DEFAULT_JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
# Hop-by-hop headers describe one connection, not the message; aiohttp sets them itself.
_NOT_FORWARDED = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
    }
)


@dataclass
class ProxiedCall:
    """One request that went through the proxy. `status` is 0 when the connection was dropped."""

    operation: str
    service_target: str
    status: int
    injected: bool


@dataclass(frozen=True)
class _Incoming:
    method: str
    path_qs: str
    headers: CIMultiDict[str]
    body: bytes
    operation: str
    service_target: str
    is_rest: bool = False  # named by method and path (REST-JSON), not in the request

    @property
    def is_json_protocol(self) -> bool:
        return bool(self.service_target)

    @property
    def is_query_protocol(self) -> bool:
        return bool(self.operation) and not self.is_json_protocol and not self.is_rest

    @property
    def is_organizations(self) -> bool:
        return self.service_target.startswith(_ORGANIZATIONS_TARGET_PREFIX)


@dataclass
class _Answer:
    status: int
    headers: CIMultiDict[str]
    body: bytes

    def to_response(self) -> web.Response:
        return web.Response(status=self.status, headers=self.headers, body=self.body)


@dataclass(frozen=True)
class _ErrorReply:
    """Answers with an AWS error without calling moto."""

    code: str
    message: str
    status: int
    extra: Mapping[str, str]
    organizations_code: str | None = None

    def answer(self, incoming: _Incoming) -> _Answer:
        code = self.code
        if self.organizations_code and incoming.is_organizations:
            code = self.organizations_code
        if incoming.is_json_protocol:
            return self._json_answer(incoming, code)
        if incoming.is_query_protocol:
            return self._query_answer(code)
        return self._rest_json_answer(code)

    def _json_answer(self, incoming: _Incoming, code: str) -> _Answer:
        content_type = incoming.headers.get("Content-Type", "")
        if not content_type.startswith("application/x-amz-json-"):
            content_type = _DEFAULT_JSON_CONTENT_TYPE
        body = {"__type": code, "Message": self.message, **self.extra}
        headers = CIMultiDict({"Content-Type": content_type, "x-amzn-RequestId": _request_id()})
        return _Answer(self.status, headers, json.dumps(body).encode())

    def _rest_json_answer(self, code: str) -> _Answer:
        """REST-JSON services (e.g. EventBridge Scheduler) name the error in a header."""
        body = {"message": self.message, "Message": self.message, **self.extra}
        headers = CIMultiDict(
            {
                "Content-Type": "application/json",
                "x-amzn-RequestId": _request_id(),
                "x-amzn-ErrorType": code,
            }
        )
        return _Answer(self.status, headers, json.dumps(body).encode())

    def _query_answer(self, code: str) -> _Answer:
        fault_type = "Receiver" if self.status >= 500 else "Sender"
        extra = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in self.extra.items())
        request_id = _request_id()
        xml = (
            f"<ErrorResponse><Error><Type>{fault_type}</Type><Code>{escape(code)}</Code>"
            f"<Message>{escape(self.message)}</Message>{extra}</Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        headers = CIMultiDict({"Content-Type": "text/xml", "x-amzn-RequestId": request_id})
        return _Answer(self.status, headers, xml.encode())


@dataclass(frozen=True)
class _JsonRewrite:
    """Forwards to moto, then rewrites its JSON answer (`transform` gets the operation)."""

    transform: Callable[[str, dict[str, Any]], dict[str, Any]]

    def apply(self, operation: str, answer: _Answer) -> _Answer | None:
        """The rewritten answer, or None when moto's answer is not a successful JSON object."""
        if not 200 <= answer.status < 300:
            return None
        try:
            document = json.loads(answer.body)
        except ValueError:
            return None
        if not isinstance(document, dict):
            return None
        body = json.dumps(self.transform(operation, document)).encode()
        return _Answer(answer.status, answer.headers, body)


@dataclass(frozen=True)
class _Drop:
    """Closes the connection without answering."""


@dataclass(frozen=True)
class _AfterUpstream:
    """Lets the call reach moto, then loses its answer (drop) or holds it back (`hold` seconds).

    Either way the call has taken effect while the client cannot know it: the case a
    non-idempotent call like CreateAccount must survive.
    """

    hold: float | None  # None: drop the connection instead of answering


@dataclass(frozen=True)
class _Synthetic:
    """Answers in moto's place; `answer` gives None to let the call through to moto."""

    answer: Callable[[_Incoming], _Answer | None]


GarbageKind = Literal["html", "empty", "{}"]
# What answers in AWS's place when something between the client and AWS (a corporate proxy,
# a captive portal) does: HTTP 200 with a body that is not an AWS answer.
_GARBAGE: dict[str, tuple[bytes, str]] = {
    "html": (
        b"<!DOCTYPE html><html><head><title>Sign in to continue</title></head>"
        b"<body><h1>Network login required</h1></body></html>",
        "text/html; charset=utf-8",
    ),
    "empty": (b"", _DEFAULT_JSON_CONTENT_TYPE),
    "{}": (b"{}", _DEFAULT_JSON_CONTENT_TYPE),
}


@dataclass(frozen=True)
class _Garbage:
    """Answers HTTP 200 with a body that holds nothing AWS would send, and no request id.

    `reach_aws`: the call is forwarded to moto first (and takes effect) before its answer is
    replaced; otherwise moto never sees it.
    """

    kind: GarbageKind
    reach_aws: bool

    def answer(self) -> _Answer:
        body, content_type = _GARBAGE[self.kind]
        return _Answer(200, CIMultiDict({"Content-Type": content_type}), body)


_Effect = _ErrorReply | _JsonRewrite | _Drop | _AfterUpstream | _Synthetic | _Garbage


@dataclass(eq=False)
class FaultRule:
    """A fault applied to matching calls; build one with the helpers below, add it to a proxy.

    `uncounted` names matched operations that the rule affects while it is active without using up
    one of its `times` (e.g. CreateAccount's immediate status while status polls are being faked).
    """

    operation: str
    effect: _Effect
    times: int | None = 1
    probability: float = 1.0
    also: frozenset[str] = frozenset()
    uncounted: frozenset[str] = frozenset()
    # The rule's own dice: its rolls then depend only on the calls it sees, not on other rules.
    rng: random.Random | None = field(default=None, repr=False)
    remaining: int | None = field(init=False)
    applied: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if self.times is not None and self.times < 1:
            raise ValueError(f"times must be None or at least 1, not {self.times}")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError(f"probability must be within [0, 1], not {self.probability}")
        self.remaining = self.times

    @property
    def active(self) -> bool:
        return self.remaining is None or self.remaining > 0

    def matches(self, operation: str) -> bool:
        return self.operation in ("*", operation) or operation in self.also

    def consume(self, operation: str) -> None:
        self.applied += 1
        if self.remaining is not None and operation not in self.uncounted:
            self.remaining -= 1

    def refund(self, operation: str) -> None:
        self.applied -= 1
        if self.remaining is not None and operation not in self.uncounted:
            self.remaining += 1


def aws_error(
    operation: str,
    code: str,
    message: str,
    *,
    status: int = 400,
    times: int | None = 1,
    probability: float = 1.0,
    extra: dict[str, str] | None = None,
) -> FaultRule:
    """Answer `operation` with the AWS error `code` (plus `extra` fields such as `Reason`)."""
    effect = _ErrorReply(code, message, status, dict(extra or {}))
    return FaultRule(operation, effect, times=times, probability=probability)


def account_limit_reached() -> FaultRule:
    """CreateAccount refused once: the organization has as many accounts as it may have.

    AWS would refuse it again, so a client must not retry it.
    """
    return aws_error(
        "CreateAccount",
        "ConstraintViolationException",
        "You have exceeded the allowed number of AWS accounts.",
        extra={"Reason": "ACCOUNT_NUMBER_LIMIT_EXCEEDED"},
    )


def throttle(
    operation: str,
    *,
    times: int | None = 1,
    probability: float = 1.0,
    also: Iterable[str] = (),
) -> FaultRule:
    """Answer with the service's throttling error (Organizations names its own).

    The rule matches `operation` and every operation in `also`; `times` counts them all.
    """
    effect = _ErrorReply(
        "ThrottlingException", "Rate exceeded", 400, {}, "TooManyRequestsException"
    )
    return FaultRule(operation, effect, times=times, probability=probability, also=frozenset(also))


def random_throttle(
    probability: float = 0.5,
    *,
    seed: int = 0,
    operations: Iterable[str] | None = None,
    code: str | None = None,
) -> FaultRule:
    """A throttling storm: a seeded pseudo-random share of the matching calls is throttled.

    Every call to one of `operations` (to any operation when None) is answered, with chance
    `probability`, by the service's throttling error: `TooManyRequestsException` for
    Organizations, `ThrottlingException` for the others, or `code` for all. The rule lasts until
    it is cleared. Its rolls come from its own generator seeded with `seed`, so the same calls in
    the same order meet the same faults whatever other rules there are.
    """
    if operations is None:
        operation, also = "*", frozenset[str]()
    else:
        names = sorted(set(operations))
        if not names:
            raise ValueError("operations must name at least one operation, or be None for all")
        operation, also = names[0], frozenset(names)
    effect = (
        _ErrorReply(code, "Rate exceeded", 400, {})
        if code is not None
        else _ErrorReply(
            "ThrottlingException", "Rate exceeded", 400, {}, "TooManyRequestsException"
        )
    )
    return FaultRule(
        operation,
        effect,
        times=None,
        probability=probability,
        also=also,
        rng=random.Random(seed),
    )


def server_error(operation: str, *, status: int = 500, times: int | None = 1) -> FaultRule:
    """Answer with a 5xx internal error (Organizations calls it ServiceException)."""
    message = "An internal error occurred."
    effect = _ErrorReply("InternalFailure", message, status, {}, "ServiceException")
    return FaultRule(operation, effect, times=times)


def rewrite_json(operation: str, transform: JsonTransform, *, times: int | None = 1) -> FaultRule:
    """Forward to moto and pass its successful JSON answer through `transform`.

    Only rewritten answers count against `times`; moto's errors go through untouched.
    """
    effect = _JsonRewrite(lambda _operation, document: transform(document))
    return FaultRule(operation, effect, times=times)


def create_account_status(
    state: Literal["IN_PROGRESS", "FAILED"],
    *,
    failure_reason: str | None = None,
    times: int | None = 1,
) -> FaultRule:
    """Make the next `times` DescribeCreateAccountStatus answers report `state`.

    While the rule is active, CreateAccount's own answer reports IN_PROGRESS, as AWS's does, without
    using up one of `times`; so `times=2` means two polls see `state` and the third sees moto's.
    """
    if state == "IN_PROGRESS" and failure_reason is not None:
        raise ValueError("failure_reason only applies to FAILED")
    reason = failure_reason or "INTERNAL_FAILURE"

    def transform(operation: str, document: dict[str, Any]) -> dict[str, Any]:
        status = dict(document.get("CreateAccountStatus", {}))
        if operation == "CreateAccount" or state == "IN_PROGRESS":
            _set_in_progress(status)
        else:
            status.update(State="FAILED", FailureReason=reason)
            status.pop("AccountId", None)
        return {**document, "CreateAccountStatus": status}

    return FaultRule(
        "DescribeCreateAccountStatus",
        _JsonRewrite(transform),
        times=times,
        also=frozenset({"CreateAccount"}),
        uncounted=frozenset({"CreateAccount"}),
    )


def _set_in_progress(status: dict[str, Any]) -> None:
    status["State"] = "IN_PROGRESS"
    for key in ("AccountId", "CompletedTimestamp", "FailureReason"):
        status.pop(key, None)


def failed_account_creation(failure_reason: str) -> tuple[FaultRule, FaultRule]:
    """The next CreateAccount is taken (IN_PROGRESS) but ends FAILED with `failure_reason`.

    moto never sees that CreateAccount, so no account appears in the organization, as with AWS.
    Add both rules: the first answers the CreateAccount, the second every later
    DescribeCreateAccountStatus of the request it made up (others go through to moto).
    """
    requests: dict[str, dict[str, Any]] = {}

    def take(incoming: _Incoming) -> _Answer | None:
        try:
            asked = json.loads(incoming.body or b"{}")
        except ValueError:
            asked = {}
        request_id = f"car-{uuid.uuid4().hex}"
        status = {
            "Id": request_id,
            "AccountName": str(asked.get("AccountName", "")),
            "State": "IN_PROGRESS",
            "RequestedTimestamp": time.time(),
        }
        requests[request_id] = status
        return _json_answer(incoming, {"CreateAccountStatus": status})

    def tell(incoming: _Incoming) -> _Answer | None:
        try:
            asked = json.loads(incoming.body or b"{}")
        except ValueError:
            return None
        status = requests.get(str(asked.get("CreateAccountRequestId", "")))
        if status is None:
            return None
        failed = {
            **status,
            "State": "FAILED",
            "CompletedTimestamp": time.time(),
            "FailureReason": failure_reason,
        }
        return _json_answer(incoming, {"CreateAccountStatus": failed})

    return (
        FaultRule("CreateAccount", _Synthetic(take), times=1),
        FaultRule("DescribeCreateAccountStatus", _Synthetic(tell), times=None),
    )


def _json_answer(incoming: _Incoming, document: dict[str, Any]) -> _Answer:
    content_type = incoming.headers.get("Content-Type", "")
    if not content_type.startswith("application/x-amz-json-"):
        content_type = _DEFAULT_JSON_CONTENT_TYPE
    headers = CIMultiDict({"Content-Type": content_type, "x-amzn-RequestId": _request_id()})
    return _Answer(200, headers, json.dumps(document).encode())


def garbage_answer(
    operation: str,
    kind: GarbageKind = "html",
    *,
    times: int | None = 1,
    also: Iterable[str] = (),
    reach_aws: bool = False,
) -> FaultRule:
    """Answer HTTP 200 with a body that is no AWS answer: an HTML page, nothing, or `{}`.

    The rule matches `operation` and every operation in `also`; `times` counts them all. With
    `reach_aws`, the call takes effect in moto before its answer is replaced.
    """
    if kind not in _GARBAGE:
        raise ValueError(f"kind must be one of {sorted(_GARBAGE)}, not {kind!r}")
    effect = _Garbage(kind, reach_aws)
    return FaultRule(operation, effect, times=times, also=frozenset(also))


def drop_connection(operation: str, *, times: int | None = 1) -> FaultRule:
    """Close the connection without answering; botocore reports a connection error."""
    return FaultRule(operation, _Drop(), times=times)


def lose_response(operation: str, *, times: int | None = 1) -> FaultRule:
    """Forward to moto, then close the connection: the call happened, the client never hears."""
    return FaultRule(operation, _AfterUpstream(hold=None), times=times)


def hold_response(operation: str, seconds: float, *, times: int | None = 1) -> FaultRule:
    """Forward to moto, then wait `seconds` before answering (time to kill the client)."""
    return FaultRule(operation, _AfterUpstream(hold=seconds), times=times)


def _request_id() -> str:
    return str(uuid.uuid4())


def _operation_of(
    headers: CIMultiDict[str], query: Mapping[str, str], body: bytes
) -> tuple[str, str]:
    """(operation, service target) from X-Amz-Target, or from a query-protocol `Action`."""
    target = headers.get("X-Amz-Target", "")
    if target:
        prefix, _, operation = target.rpartition(".")
        return operation, prefix
    if "Action" in query:
        return query["Action"], ""
    if headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
        actions = parse_qs(body.decode("utf-8", "replace")).get("Action", [])
        if actions:
            return actions[0], ""
    return "", ""


# The credential scope of a SigV4 signature: key id/date/region/service/aws4_request.
_SIGNED_FOR = re.compile(r"Credential=[^/,]+/[^/,]+/[^/,]+/([^/,]+)/aws4_request")
_URI_LABEL = re.compile(r"\{[^}]+\}")


def _rest_operation(headers: CIMultiDict[str], method: str, path: str) -> str:
    """The operation a REST request makes (DELETE /schedules/x is DeleteSchedule), from the
    model of the service it is signed for; "" when none matches."""
    signed = _SIGNED_FOR.search(headers.get("Authorization", ""))
    if signed is None:
        return ""
    for route_method, route, operation in _rest_routes(signed.group(1)):
        if route_method == method and route.fullmatch(path):
            return operation
    return ""


@functools.cache
def _rest_routes(service: str) -> tuple[tuple[str, re.Pattern[str], str], ...]:
    """(method, path pattern, operation) for each operation of a REST service; the most
    specific paths first. Empty for a service botocore does not know or that is not REST."""
    try:
        model = _botocore_session().get_service_model(service)
    except UnknownServiceError:
        return ()
    if not model.protocol.startswith("rest-"):
        return ()
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        uri = str(http["requestUri"]).split("?", 1)[0]
        parts = _URI_LABEL.split(uri)
        labels = _URI_LABEL.findall(uri)
        pattern = re.escape(parts[0])
        for label, literal in zip(labels, parts[1:], strict=True):
            pattern += (".+" if label.endswith("+}") else "[^/]+") + re.escape(literal)
        routes.append((len(uri) - sum(map(len, labels)), str(http["method"]), pattern, name))
    routes.sort(key=lambda route: -route[0])
    return tuple((method, re.compile(pattern), name) for _, method, pattern, name in routes)


@functools.cache
def _botocore_session() -> botocore.session.Session:
    return botocore.session.get_session()


async def _read_incoming(request: web.Request) -> _Incoming:
    body = await request.read()
    headers = CIMultiDict(request.headers)
    operation, target = _operation_of(headers, request.query, body)
    is_rest = False
    if not operation:
        operation = _rest_operation(headers, request.method, request.raw_path.split("?", 1)[0])
        is_rest = bool(operation)
    return _Incoming(request.method, request.path_qs, headers, body, operation, target, is_rest)


def _forwardable(headers: Mapping[str, str]) -> CIMultiDict[str]:
    return CIMultiDict((k, v) for k, v in headers.items() if k.lower() not in _NOT_FORWARDED)


def _abort(request: web.Request) -> None:
    if request.transport is not None:
        request.transport.abort()


class AwsFaultProxy:
    """Forwards AWS API calls to `upstream_url` (a moto server) unless a rule matches.

    Rules are consulted in the order added; the first active matching rule that passes its
    probability roll applies. Rules and calls are guarded by a lock, so any thread may use them.
    """

    def __init__(self, upstream_url: str, *, seed: int = 0) -> None:
        self._upstream = upstream_url.rstrip("/")
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self.calls: list[ProxiedCall] = []

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the proxy is not started")
        return self._url

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        # Pass moto's bytes and the client's headers through untouched.
        self._session = aiohttp.ClientSession(
            auto_decompress=False,
            skip_auto_headers=("Accept", "Accept-Encoding", "User-Agent", "Content-Type"),
        )
        app = web.Application(client_max_size=0)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        self._url = f"http://{bound_host}:{bound_port}"
        return self._url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._url = None

    def add(self, rule: FaultRule, *, first: bool = False) -> FaultRule:
        """Add `rule` after the others, or before them (`first`): the first that matches wins."""
        with self._lock:
            if first:
                self._rules.insert(0, rule)
            else:
                self._rules.append(rule)
        return rule

    def remove(self, rule: FaultRule) -> None:
        with self._lock:
            if rule in self._rules:
                self._rules.remove(rule)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def calls_to(self, operation: str) -> list[ProxiedCall]:
        with self._lock:
            return [call for call in self.calls if call.operation == operation]

    def injected_count(self, operation: str | None = None) -> int:
        with self._lock:
            return sum(
                1
                for call in self.calls
                if call.injected and (operation is None or call.operation == operation)
            )

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        incoming = await _read_incoming(request)
        rule, made_up = self._claim(incoming)
        if made_up is not None:
            self._record(incoming, made_up.status, injected=True)
            return made_up.to_response()
        effect = rule.effect if rule is not None else None
        if isinstance(effect, _Drop):
            self._record(incoming, 0, injected=True)
            _abort(request)
            return web.Response()
        if isinstance(effect, _ErrorReply):
            answer = effect.answer(incoming)
            self._record(incoming, answer.status, injected=True)
            return answer.to_response()
        if isinstance(effect, _Garbage):
            if effect.reach_aws:
                await self._forward(incoming)
            garbage = effect.answer()
            self._record(incoming, garbage.status, injected=True)
            return garbage.to_response()
        answer = await self._forward(incoming)
        if isinstance(effect, _AfterUpstream):
            self._record(incoming, 0 if effect.hold is None else answer.status, injected=True)
            if effect.hold is None:
                _abort(request)
                return web.Response()
            await asyncio.sleep(effect.hold)
            return answer.to_response()
        injected = False
        if rule is not None and isinstance(effect, _JsonRewrite):
            rewritten = effect.apply(incoming.operation, answer)
            if rewritten is None:
                self._refund(rule, incoming.operation)
            else:
                answer, injected = rewritten, True
        self._record(incoming, answer.status, injected=injected)
        return answer.to_response()

    async def _forward(self, incoming: _Incoming) -> _Answer:
        assert self._session is not None, "start() creates the session"
        try:
            async with self._session.request(
                incoming.method,
                self._upstream + incoming.path_qs,
                headers=_forwardable(incoming.headers),
                data=incoming.body,
                allow_redirects=False,
            ) as upstream:
                body = await upstream.read()
                return _Answer(upstream.status, _forwardable(upstream.headers), body)
        except aiohttp.ClientError as exc:
            message = f"aws fault proxy: upstream {self._upstream} unreachable: {exc}"
            return _Answer(502, CIMultiDict({"Content-Type": "text/plain"}), message.encode())

    def _claim(self, incoming: _Incoming) -> tuple[FaultRule | None, _Answer | None]:
        """The rule that applies to the call, and the answer a made-up one gives.

        A rule that makes answers up may decline a call (a request it did not make): the
        rules after it are consulted then, as if it did not match.
        """
        operation = incoming.operation
        with self._lock:
            for rule in self._rules:
                if not (rule.active and rule.matches(operation) and self._roll(rule)):
                    continue
                if isinstance(rule.effect, _Synthetic):
                    made_up = rule.effect.answer(incoming)
                    if made_up is None:
                        continue
                    rule.consume(operation)
                    return rule, made_up
                rule.consume(operation)
                return rule, None
        return None, None

    def _roll(self, rule: FaultRule) -> bool:
        dice = rule.rng if rule.rng is not None else self._random
        return rule.probability >= 1.0 or dice.random() < rule.probability

    def _refund(self, rule: FaultRule, operation: str) -> None:
        with self._lock:
            rule.refund(operation)

    def _record(self, incoming: _Incoming, status: int, *, injected: bool) -> None:
        call = ProxiedCall(incoming.operation, incoming.service_target, status, injected)
        with self._lock:
            self.calls.append(call)


async def _cancel_the_rest() -> None:
    """End handlers still holding a response back, so the loop closes with nothing pending."""
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)


class ThreadedAwsFaultProxy:
    """Runs an AwsFaultProxy on its own event loop in a daemon thread, for synchronous tests."""

    def __init__(
        self, upstream_url: str, *, seed: int = 0, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.proxy = AwsFaultProxy(upstream_url, seed=seed)
        self._host = host
        self._port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return self.proxy.url

    @property
    def calls(self) -> list[ProxiedCall]:
        return self.proxy.calls

    def start(self) -> str:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(
            target=loop.run_forever, name="aws-fault-proxy", daemon=True
        )
        self._thread.start()
        started = asyncio.run_coroutine_threadsafe(self.proxy.start(self._host, self._port), loop)
        return started.result(timeout=10)

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self.proxy.stop(), loop).result(timeout=10)
        asyncio.run_coroutine_threadsafe(_cancel_the_rest(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        self._loop = self._thread = None

    def add(self, rule: FaultRule) -> FaultRule:
        return self.proxy.add(rule)

    def remove(self, rule: FaultRule) -> None:
        self.proxy.remove(rule)

    def clear(self) -> None:
        self.proxy.clear()

    def calls_to(self, operation: str) -> list[ProxiedCall]:
        return self.proxy.calls_to(operation)

    def injected_count(self, operation: str | None = None) -> int:
        return self.proxy.injected_count(operation)

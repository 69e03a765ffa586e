"""The AWS CLI command that repeats an AWS call Outpost made, and the way back.

Outpost shows engineers every AWS call it made as the `aws ...` command that does the same, so
that they can check or repeat any step by hand. The command is derived from botocore's service
model, the same model the AWS CLI builds its commands from, so names never drift from the CLI:
the command is the service's botocore name, the subcommand is `xform_name(operation, "-")`, and
each parameter is `--` + `xform_name(member, "-")`, in the model's member order.

How values are written:

- strings, numbers and timestamps (ISO 8601) as themselves, shell-quoted;
- booleans as `--name` / `--no-name`;
- lists, maps and structures as compact JSON, which the CLI accepts for every complex parameter;
- for an operation with a single-token paginator, the token member becomes `--starting-token` and
  the limit member `--page-size`, as the CLI names them (note that the CLI then also fetches the
  pages after that one; `--next-token`/`--max-results`, which the CLI still accepts, would make
  exactly one call, and `parse_cli_command` reads both spellings);
- a value starting with `-` is written `--name=value`, or the CLI would take it for an option;
- blobs are refused: Outpost sends none, and they would need a file on the reader's disk.

A value the CLI would not pass on as it is raises ValueError rather than show a command that
makes a different call: a NUL character, exactly `--` (argparse swallows it), or a top-level
string starting with `file://` or `fileb://` (and, in CLI v1, `http://`/`https://`), which the
CLI replaces with what it reads from that location.

Credentials are never part of a command: there is no `--profile` and no key, and a member whose
name says it holds a secret (`SecretAccessKey`, `SessionToken`, `Password`, ...), at any depth,
is shown as `<redacted>`, and so is a map entry whose key says so (`{"PASSWORD": ...}`).
"""

from __future__ import annotations

import json
import shlex
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import botocore.session
from botocore import xform_name
from botocore.exceptions import DataNotFoundError, UnknownServiceError
from botocore.model import (
    ListShape,
    MapShape,
    OperationNotFoundError,
    ServiceModel,
    Shape,
    StructureShape,
)

REDACTED = "<redacted>"

# The last words of a member name (in botocore's snake_case) that say it holds a secret.
# Whole trailing words, so that `MinimumSessionTokenSize` or `SecretId` are shown as they are.
_SECRET_ENDINGS = (
    "secret",
    "secret_key",
    "secret_access_key",
    "secret_string",
    "password",
    "passphrase",
    "session_token",
    "auth_token",
    "private_key",
    "token_code",
)

_INTEGER_TYPES = frozenset({"integer", "long"})
_FLOAT_TYPES = frozenset({"float", "double"})
_STARTING_TOKEN = "starting-token"
_PAGE_SIZE = "page-size"
_REGION = "region"
# The CLI loads a top-level value starting with one of these from the file or URL it names.
_CLI_LOADS = ("file://", "fileb://", "http://", "https://")


@dataclass(frozen=True)
class _Operation:
    """One operation's input as the CLI sees it."""

    service: str
    name: str
    members: Mapping[str, Shape]  # in the model's order
    flags: Mapping[str, str]  # member name -> the flag the CLI documents for it, without "--"
    by_flag: Mapping[str, tuple[str, bool | None]]  # "--flag" -> (member, switch value or None)


# ---------------------------------------------------------------------------------------------
# The model


@cache
def _session() -> botocore.session.Session:
    return botocore.session.Session()


@cache
def _service_model(service: str) -> ServiceModel:
    try:
        return _session().get_service_model(service)
    except UnknownServiceError as error:
        raise ValueError(f"unknown AWS service {service!r}") from error


@cache
def _paginator_config(service: str, operation: str) -> Mapping[str, Any] | None:
    try:
        config: Mapping[str, Any] = _session().get_paginator_model(service).get_paginator(operation)
    except (DataNotFoundError, ValueError):
        return None
    return config


@cache
def _operation(service: str, operation: str) -> _Operation:
    try:
        model = _service_model(service).operation_model(operation)
    except OperationNotFoundError as error:
        raise ValueError(f"unknown operation {operation!r} for AWS service {service!r}") from error
    members = dict(model.input_shape.members) if model.input_shape is not None else {}
    flags = {member: xform_name(member, "-") for member in members}
    flags.update(_paging_flags(service, operation))
    return _Operation(service, operation, members, flags, _flag_table(members, flags))


def _paging_flags(service: str, operation: str) -> dict[str, str]:
    """The members the CLI replaces with its own paging options, as it names them."""
    config = _paginator_config(service, operation)
    if config is None or not isinstance(config["input_token"], str):
        # Several input tokens travel as one opaque --starting-token; keep the members instead.
        return {}
    flags = {config["input_token"]: _STARTING_TOKEN}
    if "limit_key" in config:
        flags[config["limit_key"]] = _PAGE_SIZE
    return flags


def _flag_table(
    members: Mapping[str, Shape], flags: Mapping[str, str]
) -> dict[str, tuple[str, bool | None]]:
    """Every flag the CLI accepts for these members: documented names and the plain ones."""
    table: dict[str, tuple[str, bool | None]] = {}
    for member, shape in members.items():
        for name in {xform_name(member, "-"), flags[member]}:
            if shape.type_name == "boolean":
                table.setdefault(f"--no-{name}", (member, False))
    for member, shape in members.items():
        switch = True if shape.type_name == "boolean" else None
        for name in {xform_name(member, "-"), flags[member]}:
            table[f"--{name}"] = (member, switch)
    return table


@cache
def _operations_by_command(service: str) -> Mapping[str, str]:
    names = _service_model(service).operation_names
    return {xform_name(name, "-"): name for name in names}


def _is_secret(member: str) -> bool:
    words = xform_name(member)
    return any(words == end or words.endswith(f"_{end}") for end in _SECRET_ENDINGS)


# ---------------------------------------------------------------------------------------------
# Params -> command


def cli_command(
    service: str, operation: str, params: Mapping[str, Any], *, region: str | None = None
) -> str:
    """The AWS CLI command that makes this call, e.g. `aws sts get-caller-identity`.

    Raises ValueError for a parameter the operation does not have, a blob, or a value of the
    wrong type for its member.
    """
    op = _operation(service, operation)
    unknown = [name for name in params if name not in op.members]
    if unknown:
        raise ValueError(f"{service} {operation} has no parameter(s) {', '.join(unknown)}")
    words = ["aws", service, xform_name(operation, "-")]
    for member, shape in op.members.items():
        if member in params:
            words += _argument(op.flags[member], member, shape, params[member])
    if region is not None:
        words += _option(_REGION, region)
    return " ".join(words)


def _argument(flag: str, member: str, shape: Shape, value: Any) -> list[str]:
    if _is_secret(member):
        return _option(flag, REDACTED)
    if shape.type_name == "boolean":
        return [f"--{flag}" if _expect(value, bool, member) else f"--no-{flag}"]
    return _option(flag, _text(member, shape, value))


def _option(flag: str, text: str) -> list[str]:
    """`--flag value`, shell-quoted; `--flag=value` when the value could pass for an option."""
    _check_passes_as_is(flag, text)
    if text.startswith("-"):
        return [shlex.quote(f"--{flag}={text}")]
    return [f"--{flag}", shlex.quote(text)]


def _check_passes_as_is(flag: str, text: str) -> None:
    if "\0" in text:
        raise ValueError(f"--{flag}: a NUL character cannot be passed on a command line")
    if text == "--":
        raise ValueError(f"--{flag}: the AWS CLI cannot take '--' as a value")
    if text.startswith(_CLI_LOADS):
        raise ValueError(f"--{flag}: the AWS CLI would send what it reads from this location")


def _text(member: str, shape: Shape, value: Any) -> str:
    kind = shape.type_name
    if kind == "string":
        return str(_expect(value, str, member))
    if kind in _INTEGER_TYPES:
        return str(_expect(value, int, member))
    if kind in _FLOAT_TYPES:
        return repr(float(_expect(value, (int, float), member)))
    if kind == "timestamp":
        return _timestamp_text(value, member)
    if isinstance(shape, StructureShape | ListShape | MapShape):
        return _json_text(_to_json(shape, value, member), member)
    raise ValueError(f"{member}: {kind} parameters have no command-line form here")


def _expect(value: Any, kind: type[Any] | tuple[type[Any], ...], member: str) -> Any:
    # bool is an int to Python, never to AWS.
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ValueError(f"{member}: unexpected {type(value).__name__} value")
    return value


def _timestamp_text(value: Any, member: str) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        return value
    return datetime.fromtimestamp(_expect(value, (int, float), member), UTC).isoformat()


def _json_text(value: Any, member: str) -> str:
    try:
        return json.dumps(value, separators=(",", ":"), sort_keys=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{member}: cannot be written as JSON: {error}") from error


def _to_json(shape: Shape, value: Any, path: str) -> Any:
    """The value as JSON types: timestamps as ISO 8601, secrets redacted, blobs refused."""
    if isinstance(shape, StructureShape):
        return value if shape.is_document_type else _structure_to_json(shape, value, path)
    if isinstance(shape, ListShape):
        items = _expect(value, (list, tuple), path)
        return [_to_json(shape.member, item, f"{path}[{i}]") for i, item in enumerate(items)]
    if isinstance(shape, MapShape):
        entries = _expect(value, Mapping, path)
        return {key: _entry_to_json(shape.value, key, item, path) for key, item in entries.items()}
    if shape.type_name == "timestamp":
        return _timestamp_text(value, path)
    if shape.type_name == "blob":
        raise ValueError(f"{path}: blob parameters have no command-line form here")
    return value


def _structure_to_json(shape: StructureShape, value: Any, path: str) -> dict[str, Any]:
    fields = _members_of(shape, _expect(value, Mapping, path), path)
    return {name: _member_to_json(shape, name, item, path) for name, item in fields.items()}


def _members_of(shape: StructureShape, fields: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    """`fields`, once each is known to be a member of the structure."""
    unknown = [name for name in fields if name not in shape.members]
    if unknown:
        raise ValueError(f"{path}: unknown member(s) {', '.join(unknown)}")
    return fields


def _member_to_json(shape: StructureShape, name: str, value: Any, path: str) -> Any:
    return _entry_to_json(shape.members[name], name, value, path)


def _entry_to_json(shape: Shape, name: str, value: Any, path: str) -> Any:
    """A structure member or map entry; either may be named like a secret (`PASSWORD`)."""
    return REDACTED if _is_secret(name) else _to_json(shape, value, f"{path}.{name}")


# ---------------------------------------------------------------------------------------------
# Command -> params


def parse_cli_command(command: str) -> tuple[str, str, dict[str, Any]]:
    """(service, operation, params) of an `aws <service> <command> --flag value ...` line.

    The inverse of `cli_command`; `--region` is read past, as it is not a parameter. Raises
    ValueError for anything that does not map onto the service model.
    """
    try:
        words = shlex.split(command)
    except ValueError as error:
        raise ValueError(f"cannot split the command like a shell would: {error}") from error
    if len(words) < 3 or words[0] != "aws":
        raise ValueError("expected `aws <service> <command> [--parameter value ...]`")
    service, command_name = words[1], words[2]
    operation = _operations_by_command(service).get(command_name)
    if operation is None:
        raise ValueError(f"unknown command {command_name!r} for AWS service {service!r}")
    return service, operation, _parse_arguments(_operation(service, operation), words[3:])


def _parse_arguments(op: _Operation, words: list[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    queue = deque(words)
    while queue:
        flag, inline = _split_flag(queue.popleft())
        if flag == f"--{_REGION}":
            _take_value(flag, inline, queue)
            continue
        if flag not in op.by_flag:
            raise ValueError(f"aws {op.service} {xform_name(op.name, '-')} has no option {flag}")
        member, switch = op.by_flag[flag]
        if member in params:
            raise ValueError(f"{flag}: {member} is given more than once")
        params[member] = _parse_value(op.members[member], flag, inline, queue, switch)
    return params


def _parse_value(
    shape: Shape, flag: str, inline: str | None, queue: deque[str], switch: bool | None
) -> Any:
    if switch is None:
        return _from_text(shape, _take_value(flag, inline, queue), flag)
    if inline is not None:
        raise ValueError(f"{flag} is a switch and takes no value")
    return switch


def _split_flag(word: str) -> tuple[str, str | None]:
    if not word.startswith("--"):
        raise ValueError(f"expected an option such as --name, got {word!r}")
    flag, equals, value = word.partition("=")
    return flag, value if equals else None


def _take_value(flag: str, inline: str | None, queue: deque[str]) -> str:
    if inline is not None:
        return inline
    if not queue:
        raise ValueError(f"{flag} needs a value")
    return queue.popleft()


def _from_text(shape: Shape, text: str, flag: str) -> Any:
    kind = shape.type_name
    try:
        if kind == "string":
            return text
        if kind in _INTEGER_TYPES:
            return int(text)
        if kind in _FLOAT_TYPES:
            return float(text)
        if kind == "timestamp":
            return _parse_timestamp(text)
    except ValueError as error:
        raise ValueError(f"{flag}: {text!r} is not a valid {kind}") from error
    if isinstance(shape, StructureShape | ListShape | MapShape):
        return _from_json(shape, _decode_json(text, flag), flag)
    raise ValueError(f"{flag}: {kind} parameters have no command-line form here")


def _parse_timestamp(text: str) -> datetime:
    """ISO 8601, or seconds since the epoch, which botocore (and so the CLI) tries first."""
    try:
        seconds = float(text)
    except ValueError:
        return datetime.fromisoformat(text)
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise ValueError(f"{text!r} is out of range") from error


def _decode_json(text: str, flag: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise ValueError(f"{flag}: expected JSON ({error})") from error


def _from_json(shape: Shape, value: Any, path: str) -> Any:
    """JSON back into params: timestamps become datetimes; the shape is checked on the way."""
    if isinstance(shape, StructureShape):
        return value if shape.is_document_type else _structure_from_json(shape, value, path)
    if isinstance(shape, ListShape):
        items = _expect(value, list, path)
        return [_from_json(shape.member, item, f"{path}[{i}]") for i, item in enumerate(items)]
    if isinstance(shape, MapShape):
        entries = _expect(value, dict, path)
        return {key: _from_json(shape.value, v, f"{path}.{key}") for key, v in entries.items()}
    if shape.type_name == "timestamp":
        return _parse_timestamp(str(_expect(value, (str, int, float), path)))
    return value


def _structure_from_json(shape: StructureShape, value: Any, path: str) -> dict[str, Any]:
    fields = _members_of(shape, _expect(value, dict, path), path)
    return {
        name: _from_json(shape.members[name], item, f"{path}.{name}")
        for name, item in fields.items()
    }

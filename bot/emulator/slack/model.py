"""What the fake Slack workspace holds and records, as plain data.

Tests and the sandbox read these (``SlackMessage``, ``UploadedFile``, ``RecordedCall``,
``RecordedUpload``); the rest are the workspace's own entries, shared by the API areas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RecordedCall:
    """One API call as the fake saw it; neither `params` nor `headers` contains the token.

    `headers` are the request's headers but its Authorization header, where the token belongs.
    """

    method: str
    params: dict[str, Any]
    ok: bool
    error: str | None
    http_status: int
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class RecordedUpload:
    """The bytes POSTed to an upload URL, as received, with the headers but Authorization."""

    file_id: str
    content: bytes
    headers: dict[str, str]


@dataclass
class SlackMessage:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None
    user: str | None
    ephemeral_to: str | None = None
    updates: int = 0
    files: list[str] = field(default_factory=list)  # ids of the files this message shares
    metadata: dict[str, Any] | None = None  # {"event_type": ..., "event_payload": {...}}
    bot_id: str | None = None  # another app's bot, for a message that app posted


@dataclass
class UploadedFile:
    """A file shared by files.completeUploadExternal, once for each place it was shared.

    `channel` is None for a file completed without a channel (Slack keeps it private); `ts` is
    then None too, else the ts of the message that shares it.
    """

    id: str
    filename: str
    title: str
    content: bytes
    channel: str | None
    initial_comment: str | None
    thread_ts: str | None
    ts: str | None


@dataclass
class Channel:
    id: str
    name: str
    bot_is_member: bool
    is_private: bool
    is_archived: bool = False


@dataclass
class User:
    id: str
    name: str
    email: str
    tz: str
    tz_offset: int
    is_bot: bool


@dataclass
class Upload:
    """A file between files.getUploadURLExternal and files.completeUploadExternal."""

    id: str
    filename: str
    length: int
    content: bytes | None = None
    completed: bool = False


@dataclass(frozen=True)
class Responder:
    """Where a response URL answers: a person, in a channel, perhaps about one message."""

    user: str
    channel: str
    message_ts: str | None

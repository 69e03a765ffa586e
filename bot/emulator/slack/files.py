"""files.* of the fake Slack: uploads as slack_sdk's ``files_upload_v2`` makes them.

``files.getUploadURLExternal`` gives an upload URL on this same server, the bytes are POSTed
there, then ``files.completeUploadExternal`` shares the file. Bytes that are not exactly the
``length`` announced are refused with HTTP 400, and an empty file is ``invalid_arguments``;
Slack's own handling of either is not documented. Sharing needs the bot in the channel, public
or not (``not_in_channel``): unlike ``chat.postMessage``, Slack has no ``chat:write.public`` for
files. The share is a message in the channel (in the thread, with ``thread_ts``) at once, where
Slack shares asynchronously. A file is completed once; again, or never uploaded, is
``file_not_found``.
"""

from __future__ import annotations

import copy
import json
import mimetypes
from typing import Any

from aiohttp import web

from bot.emulator.slack.area import Area, web_api
from bot.emulator.slack.model import RecordedUpload, SlackMessage, Upload, UploadedFile
from bot.emulator.slack.refusals import (
    MAX_MESSAGE_TEXT,
    Args,
    Refusal,
    message_content,
    positive_int,
    str_arg,
)
from bot.emulator.slack.wire import headers_but_auth
from bot.emulator.slack.workspace import WORKSPACE_URL

UPLOAD_PATH = "/upload/v1/{file_id}"


class Files(Area):
    """Files the app uploads and shares, and the upload URL the bytes go to."""

    def shared(self) -> list[UploadedFile]:
        """Every completed file share, private ones (channel None) included, oldest first."""
        return [copy.copy(f) for f in self._ws.shared_files]

    def shared_in(self, channel: str) -> list[UploadedFile]:
        """The files shared in `channel`, oldest first."""
        return [copy.copy(f) for f in self._ws.shared_files if f.channel == channel]

    def shared_file(self, file_id: str) -> UploadedFile | None:
        return next((copy.copy(f) for f in self._ws.shared_files if f.id == file_id), None)

    @web_api("files.getUploadURLExternal")
    async def get_upload_url_external(self, args: Args) -> dict[str, Any]:
        filename = str_arg(args, "filename")
        if filename is None:
            raise Refusal(
                "invalid_arguments",
                ["[ERROR] missing required field: filename [json-pointer:/filename]"],
            )
        length = positive_int(args.get("length"))
        if length is None:
            raise Refusal(
                "invalid_arguments",
                ["[ERROR] length must be a whole number of bytes above 0 [json-pointer:/length]"],
            )
        file_id = self._ws.next_file_id()
        self._ws.pending_uploads[file_id] = Upload(file_id, filename, length)
        assert self._ws.root_url is not None, "a call is served only once started"
        return {
            "upload_url": self._ws.root_url + UPLOAD_PATH.format(file_id=file_id),
            "file_id": file_id,
        }

    async def serve_upload(self, request: web.Request) -> web.Response:
        """The upload URL: takes the bytes raw or as a multipart form, as Slack's does."""
        upload = self._ws.pending_uploads.get(request.match_info["file_id"])
        if upload is None or upload.completed:
            return web.Response(status=404, text="upload not found")
        content = await _upload_content(request)
        self._ws.uploads.append(
            RecordedUpload(upload.id, content or b"", headers_but_auth(request))
        )
        if content is None or len(content) != upload.length:
            received = "no file" if content is None else f"{len(content)} bytes"
            return web.Response(
                status=400, text=f"expected {upload.length} bytes, received {received}"
            )
        upload.content = content
        return web.Response(text=f"OK - {len(content)}")

    @web_api("files.completeUploadExternal")
    async def complete_upload_external(self, args: Args) -> dict[str, Any]:
        ws = self._ws
        wanted = _files_arg(args.get("files"))
        uploads: list[tuple[Upload, str]] = []
        for item in wanted:
            upload = ws.pending_uploads.get(item["id"])
            if upload is None or upload.completed or upload.content is None:
                raise Refusal("file_not_found")
            uploads.append((upload, item.get("title") or upload.filename))
        if len({upload.id for upload, _ in uploads}) != len(uploads):
            raise Refusal("invalid_arguments", ["[ERROR] a file id is given twice"])
        channels = self._share_channels(args)
        thread_ts = args.get("thread_ts")
        if thread_ts is not None and len(channels) != 1:
            raise Refusal("invalid_arguments", ["[ERROR] thread_ts needs exactly one channel"])
        threads = [ws.check_thread(channel, thread_ts) for channel in channels]
        comment = args.get("initial_comment")
        if comment is not None and not isinstance(comment, str):
            raise Refusal(
                "invalid_arguments", ["[ERROR] must be a string [json-pointer:/initial_comment]"]
            )
        if comment is not None and len(comment) > MAX_MESSAGE_TEXT:
            raise Refusal("msg_too_long")
        blocks = args.get("blocks")
        if comment or blocks is None:
            blocks = None
        else:
            _, blocks = message_content({"blocks": blocks})

        # Where each file lands: (channel, thread_ts, ts of the sharing message).
        places: list[tuple[str | None, str | None, str | None]] = []
        for channel, thread in zip(channels, threads, strict=True):
            message = SlackMessage(
                channel,
                ws.next_ts(),
                comment or "",
                blocks or [],
                thread,
                ws.bot_user_id,
                files=[upload.id for upload, _ in uploads],
            )
            ws.store(message)
            places.append((channel, thread, message.ts))
        if not places:
            places.append((None, None, None))
        payloads: list[dict[str, Any]] = []
        for upload, title in uploads:
            upload.completed = True
            content = upload.content or b""
            shared = [
                UploadedFile(
                    upload.id, upload.filename, title, content, channel, comment, thread, ts
                )
                for channel, thread, ts in places
            ]
            ws.shared_files.extend(shared)
            payloads.append(self._file_payload(shared))
        return {"files": payloads}

    def _share_channels(self, args: Args) -> list[str]:
        """Where a completed upload is shared: `channel_id`, or the `channels` list."""
        named: list[Any] = []
        if args.get("channel_id") is not None:
            named.append(args["channel_id"])
        channels = args.get("channels")
        if isinstance(channels, str):
            named.extend(c for c in channels.split(",") if c)
        elif channels is not None:
            raise Refusal(
                "invalid_arguments", ["[ERROR] must be a string [json-pointer:/channels]"]
            )
        resolved: list[str] = []
        for channel in named:
            found = self._ws.resolve_channel(channel)
            member = self._ws.channels.get(found)
            if member is not None and not member.bot_is_member:
                raise Refusal("not_in_channel")
            if found not in resolved:
                resolved.append(found)
        return resolved

    def _file_payload(self, shares: list[UploadedFile]) -> dict[str, Any]:
        ws = self._ws
        first = shares[0]
        mimetype = mimetypes.guess_type(first.filename)[0] or "application/octet-stream"
        extension = first.filename.rpartition(".")[2].lower() if "." in first.filename else ""
        public: dict[str, list[dict[str, Any]]] = {}
        private: dict[str, list[dict[str, Any]]] = {}
        for share in shares:
            if share.channel is None or share.ts is None:
                continue
            channel = ws.channels.get(share.channel)
            where = private if channel is None or channel.is_private else public
            entry: dict[str, Any] = {"ts": share.ts, "reply_count": 0, "reply_users": []}
            if share.thread_ts is not None:
                entry["thread_ts"] = share.thread_ts
            if channel is not None:
                entry["channel_name"] = channel.name
            entry["team_id"] = ws.team_id
            where.setdefault(share.channel, []).append(entry)
        payload: dict[str, Any] = {
            "id": first.id,
            "name": first.filename,
            "title": first.title,
            "mimetype": mimetype,
            "filetype": extension or "binary",
            "user": ws.bot_user_id,
            "user_team": ws.team_id,
            "size": len(first.content),
            "is_public": bool(public),
            "channels": sorted(public),
            "groups": sorted(c for c in private if not c.startswith("D")),
            "ims": sorted(c for c in private if c.startswith("D")),
            "shares": {},
            "permalink": f"{WORKSPACE_URL}files/{ws.bot_user_id}/{first.id}/{first.filename}",
        }
        if public:
            payload["shares"]["public"] = public
        if private:
            payload["shares"]["private"] = private
        return payload


async def _upload_content(request: web.Request) -> bytes | None:
    """The bytes POSTed to an upload URL: the raw body, or the first file of a form."""
    if request.content_type != "multipart/form-data":
        return await request.read()
    form = await request.post()
    for value in form.values():
        if isinstance(value, web.FileField):
            return value.file.read()
    return None


def _files_arg(value: Any) -> list[dict[str, str]]:
    """files.completeUploadExternal's `files`: a JSON list of {"id", "title"?} objects."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise Refusal("invalid_arguments", ["[ERROR] files must be a JSON array"]) from None
    if not isinstance(value, list) or not value:
        raise Refusal("invalid_arguments", ["[ERROR] missing required field: files"])
    files: list[dict[str, str]] = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise Refusal(
                "invalid_arguments", ["[ERROR] each file needs an id [json-pointer:/files]"]
            )
        title = item.get("title")
        if title is not None and not isinstance(title, str):
            raise Refusal(
                "invalid_arguments", ["[ERROR] title must be a string [json-pointer:/files]"]
            )
        files.append({k: v for k, v in item.items() if k in ("id", "title") and isinstance(v, str)})
    return files

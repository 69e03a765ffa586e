"""Slack's request signature, checked by the HTTP server before anything else reads a request.

This is the only check: Bolt's own is off. Bolt's checks only after the body is read and
parsed, against the clock of that moment, and it reads the timestamp with `int()`, which takes
signs, spaces, other scripts' digits and thousands of digits (on which its window check
raises). Here the headers alone refuse most forgeries before the body is read, the timestamp
must be what Slack sends (ASCII digits, seconds since the epoch, within five minutes when the
headers arrive), and the HMAC is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Final

# Bolt's context key of a request whose signature the server verified; Bolt's error handler
# answers only such a request (or one from the Socket Mode connection) at its response_url,
# whatever path a request took to reach Bolt.
VERIFIED: Final = "outpost_signature_verified"

WINDOW_SECONDS: Final = 300  # Slack's own: a request signed further from now is refused
_TIMESTAMP = re.compile(r"[0-9]{1,11}")  # re's [0-9] is ASCII only, unlike int()
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


class SlackSignature:
    def __init__(self, signing_secret: str) -> None:
        self._secret = signing_secret.encode()

    def refusal(self, timestamp: str | None, signature: str | None, now: float) -> str | None:
        """Why these headers cannot belong to a request Slack signed, or None if they may."""
        if timestamp is None or signature is None:
            return "no signature"
        if not _TIMESTAMP.fullmatch(timestamp):
            return "timestamp is not Slack's"
        if abs(now - int(timestamp)) > WINDOW_SECONDS:
            return "timestamp outside the 5-minute window"
        if not _SIGNATURE.fullmatch(signature):
            return "signature is not Slack's"
        return None

    def signed(self, timestamp: str, body: bytes, signature: str) -> bool:
        """Whether `signature` is Slack's for `body` sent at `timestamp` (headers that passed
        `refusal`)."""
        base = b"v0:" + timestamp.encode() + b":" + body
        expected = "v0=" + hmac.new(self._secret, base, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, signature)

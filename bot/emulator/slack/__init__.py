"""A local fake of the Slack Web API, for the test suite and the local sandbox.

Outpost talks to Slack through slack_sdk's ``AsyncWebClient``. Pointing that client at
``FakeSlack``'s aiohttp server (``AsyncWebClient(token=..., base_url=fake.base_url)``)
exercises the real client code while the fake records every call and refuses what Slack
refuses: bad tokens, unknown channels and users, reused triggers, stale view hashes, and Block
Kit payloads over Slack's limits (see ``bot.emulator.block_kit``). A payload Slack would reject
therefore fails in CI instead of in front of a user. Faults (5xx, 429, outages) can be
injected to exercise retry paths. A refused call never changes the fake's state. Where the
fake deliberately differs from Slack, the module of that API area says so.

One workspace state, and one module per API area over it:

- ``workspace``: channels, people, groups, messages, views, files, recorded calls, and the
  rules several areas share; ``model``: the records it holds.
- ``chat``: chat.* and response URLs; ``conversations``: conversations.*; ``people``: users.*
  and usergroups.*; ``files``: files.* and the upload URL; ``views``: views.*, modal stacks
  and App Home; ``auth``: tokens and auth.test; ``socket_mode``: apps.connections.open and the
  WebSocket. ``area``: what every area shares, the Web API methods it serves, each named on
  its handler.
- ``refusals``: what Slack refuses in any method's arguments; ``wire``: how a call's arguments
  and token arrive; ``server``: routes ``/api/<method>`` to its area, behind injected faults.
- ``fake``: ``FakeSlack``, the single entry point.

For the sandbox's page, ``version`` counts the changes and ``wait_changed`` waits for the
next one, so a page can follow the workspace live.
"""

from bot.emulator.slack.fake import FakeSlack
from bot.emulator.slack.model import RecordedCall, RecordedUpload, SlackMessage, UploadedFile
from bot.emulator.slack.refusals import MAX_MESSAGE_TEXT
from bot.emulator.slack.workspace import DEFAULT_SCOPES, SLACKBOT_USER_ID, WORKSPACE_URL

__all__ = [
    "DEFAULT_SCOPES",
    "MAX_MESSAGE_TEXT",
    "SLACKBOT_USER_ID",
    "WORKSPACE_URL",
    "FakeSlack",
    "RecordedCall",
    "RecordedUpload",
    "SlackMessage",
    "UploadedFile",
]

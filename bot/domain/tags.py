"""AWS tag values from free text.

AWS accepts only letters, digits, spaces and `_ . : / = + - @` in a tag value, at most 256 of
them; a purpose such as "payments API, v2!" would make CreateAccount fail. The full text stays
in Outpost's store and card; the tag keeps what AWS accepts.
"""

from __future__ import annotations

import re

TAG_VALUE_LIMIT = 256
_REFUSED = re.compile(r"[^\w\s.:/=+\-@]")


def tag_value(text: str) -> str:
    kept = _REFUSED.sub("", text)
    spaced = " ".join(kept.split())  # newlines and tabs become single spaces
    return spaced[:TAG_VALUE_LIMIT].strip()

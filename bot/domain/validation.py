"""Rules for what a user may type: account names and root emails.

Each rule returns a message that says what is wrong and what is accepted, or None when the
value is fine, so the modal can show it next to the field. Slack shows those inline errors as
plain text, so the messages quote examples instead of marking them as code.
"""

from __future__ import annotations

import re

NAME_MIN, NAME_MAX = 3, 50
EMAIL_MIN, EMAIL_MAX = 6, 64
_NAME = re.compile(r"[a-z0-9-]+")
# Organizations' own pattern for account emails, narrowed to what people mistype.
_EMAIL = re.compile(r"[A-Za-z0-9+=.#|!^$%&*~_{}/`'?-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def account_name_problem(name: str) -> str | None:
    if not NAME_MIN <= len(name) <= NAME_MAX:
        return (
            f"The name has {len(name)} characters; use {NAME_MIN} to {NAME_MAX} "
            "lowercase letters, digits and hyphens."
        )
    if not _NAME.fullmatch(name):
        return "Use only lowercase letters a-z, digits 0-9 and hyphens, e.g. “payments-prod”."
    if name.startswith("-") or name.endswith("-"):
        return "The name cannot start or end with a hyphen."
    return None


def email_problem(email: str) -> str | None:
    if not email.isascii():
        return "The email must use ASCII characters only."
    if not EMAIL_MIN <= len(email) <= EMAIL_MAX:
        return f"The email has {len(email)} characters; AWS accepts {EMAIL_MIN} to {EMAIL_MAX}."
    if not _EMAIL.fullmatch(email):
        return "That is not an email address AWS accepts; use the form “team+name@example.com”."
    return None


def default_email(template: str | None, name: str) -> str | None:
    """The root email a new account gets when the requester leaves the field empty."""
    if not template:
        return None
    return template.replace("{name}", name)

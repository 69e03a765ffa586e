"""What a requester may type as account name and root email, and the default email."""

from __future__ import annotations

import pytest

from bot.domain.validation import account_name_problem, default_email, email_problem


def email_of_length(length: int) -> str:
    domain = "@example.com"
    return "a" * (length - len(domain)) + domain


def assert_refused(problem: str | None, *words: str) -> None:
    """The input is refused, and the problem shown says each of `words`."""
    assert problem is not None
    for word in words:
        assert word in problem


class TestAccountName:
    @pytest.mark.parametrize("name", ["abc", "a" * 50, "payments-staging", "team-42", "a-b"])
    def test_accepted(self, name):
        assert account_name_problem(name) is None

    @pytest.mark.parametrize(("name", "length"), [("ab", 2), ("a" * 51, 51), ("", 0)])
    def test_length_outside_3_to_50_says_how_long_it_is(self, name, length):
        assert_refused(account_name_problem(name), f"has {length} characters", "3 to 50")

    @pytest.mark.parametrize(
        ("name", "why"),
        [
            # Only lowercase letters, digits and hyphens.
            ("Payments", "lowercase"),
            ("PAYMENTS-PROD", "lowercase"),
            ("payments staging", "lowercase"),
            ("pay_ments", "lowercase"),
            # No hyphen at either end.
            ("-payments", "hyphen"),
            ("payments-", "hyphen"),
        ],
    )
    def test_refused_characters_say_what_is_allowed(self, name, why):
        assert_refused(account_name_problem(name), why)

    def test_a_trailing_newline_is_refused(self):
        assert account_name_problem("payments\n") is not None

    def test_the_example_is_quoted_for_a_plain_text_modal_error(self):
        # Slack shows a modal's inline errors as plain text: backticks would show as typed.
        assert account_name_problem("Payments") == (
            "Use only lowercase letters a-z, digits 0-9 and hyphens, e.g. “payments-prod”."
        )


class TestRootEmail:
    @pytest.mark.parametrize(
        ("email", "length"),
        [("a@b.co", 6), ("ab@c.de", 7), (email_of_length(63), 63), (email_of_length(64), 64)],
    )
    def test_lengths_aws_accepts(self, email, length):
        assert len(email) == length
        assert email_problem(email) is None

    @pytest.mark.parametrize("email", ["a@b.c", email_of_length(65)])
    def test_lengths_aws_refuses_say_6_to_64(self, email):
        assert_refused(email_problem(email), f"has {len(email)} characters", "6 to 64")

    @pytest.mark.parametrize("email", ["team+payments@example.com", "a.b_c-d@sub.example.co"])
    def test_usual_addresses(self, email):
        assert email_problem(email) is None

    def test_unicode_is_refused_as_not_ascii(self):
        assert_refused(email_problem("jösé@example.com"), "ASCII")

    @pytest.mark.parametrize(
        "email", ["team.example.com", "teams@", "@example.com", "team@example", "te am@example.com"]
    )
    def test_not_an_address_shows_the_expected_form(self, email):
        assert_refused(email_problem(email), "team+name@example.com")

    def test_a_trailing_newline_is_refused(self):
        assert email_problem("team@example.com\n") is not None

    def test_the_form_is_quoted_for_a_plain_text_modal_error(self):
        assert email_problem("team.example.com") == (
            "That is not an email address AWS accepts; use the form “team+name@example.com”."
        )


class TestDefaultEmail:
    def test_template_gets_the_account_name(self):
        assert default_email("aws+{name}@example.com", "payments") == "aws+payments@example.com"

    @pytest.mark.parametrize("template", [None, ""])
    def test_no_template_no_default(self, template):
        assert default_email(template, "payments") is None

    def test_a_long_name_can_make_a_default_aws_refuses(self):
        # The caller must validate the default like a typed email: 50 + 16 characters.
        email = default_email("aws+{name}@example.com", "a" * 50)
        assert email is not None
        assert email_problem(email) is not None

"""OUTPOST_CHROMIUM names the browser of the browser test: a wrong path is said, not replaced."""

from __future__ import annotations

import re

import pytest

from tests.sandbox.test_browser import chromium_path


def test_a_missing_outpost_chromium_fails_and_names_it(monkeypatch, tmp_path) -> None:
    missing = tmp_path / "nonexistent"
    monkeypatch.setenv("OUTPOST_CHROMIUM", str(missing))
    expected = re.escape(f"OUTPOST_CHROMIUM={missing} is not")
    with pytest.raises(pytest.fail.Exception, match=expected):
        chromium_path()


def test_outpost_chromium_is_used_when_it_is_a_file(monkeypatch, tmp_path) -> None:
    browser = tmp_path / "chrome"
    browser.write_text("")
    browser.chmod(0o755)
    monkeypatch.setenv("OUTPOST_CHROMIUM", str(browser))
    assert chromium_path() == str(browser)

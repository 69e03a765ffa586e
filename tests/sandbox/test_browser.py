"""The sandbox's page in real headless Chromium: what a first-time visitor does, by clicking.

Playwright drives the Chromium installed on the machine (Debian's `chromium` package, or the
binary in `OUTPOST_CHROMIUM`); it never downloads a browser. Without one this test fails and
says how to get one, rather than passing or skipping unnoticed. `OUTPOST_SCREENSHOT=PATH` also
saves the screenshot the README shows.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.sandbox.conftest import Sandbox

pytestmark = pytest.mark.browser

# Without these, Chromium keeps trying to reach Google's servers, and as root it needs
# --no-sandbox.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 20_000


def chromium_path() -> str:
    chosen = os.environ.get("OUTPOST_CHROMIUM")
    if chosen:
        # A browser named on purpose is the one tested, or none: never another one unnoticed.
        if Path(chosen).is_file() and os.access(chosen, os.X_OK):
            return chosen
        pytest.fail(
            f"OUTPOST_CHROMIUM={chosen} is not an executable file; point it at a Chromium or "
            "Chrome binary, or unset it to use the machine's Chromium.",
            pytrace=False,
        )
    candidates = [
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
        shutil.which("google-chrome"),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.fail(
        "the sandbox's browser test needs Chromium and found none (looked at /usr/bin/chromium, "
        "and chromium, chromium-browser, google-chrome on PATH). Install "
        "Debian's: `apt-get install chromium` (.ci/run does), or set OUTPOST_CHROMIUM to a "
        "Chromium or Chrome binary.",
        pytrace=False,
    )


@pytest.fixture
async def page(sandbox: Sandbox, tmp_path: Path) -> AsyncIterator[Any]:
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.fail("the browser test needs Playwright: pip install -e '.[dev]'", pytrace=False)
    executable = chromium_path()
    errors: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        context = await browser.new_context(viewport={"width": 1400, "height": 860})
        opened = await context.new_page()
        opened.set_default_timeout(TIMEOUT_MS)
        opened.on("pageerror", lambda error: errors.append(str(error)))
        opened.on(
            "console",
            lambda message: errors.append(message.text) if message.type == "error" else None,
        )
        await opened.goto(sandbox.url)  # a first visit: nobody chosen yet
        yield opened
        await browser.close()
    assert not errors, f"the page reported errors: {errors}"


async def type_in(page: Any, text: str) -> None:
    composer = page.locator("#composer")
    await composer.fill(text)
    await composer.press("Enter")


async def as_persona(page: Any, user_id: str) -> None:
    await page.select_option("#persona", user_id)
    await page.wait_for_function(
        "id => new URLSearchParams(location.search).get('as') === id", arg=user_id
    )


async def open_channel(page: Any, channel_id: str) -> None:
    await page.locator(f'#channel-list [data-channel="{channel_id}"]').click()


async def test_a_visitor_creates_an_account_then_ops_approve_break_glass(
    page: Any, sandbox: Sandbox, tmp_path: Path
) -> None:
    # A first visit acts as the first persona: Erin, an engineer. She asks for an account.
    await page.wait_for_function("new URLSearchParams(location.search).get('as') === 'UERIN'")
    await open_channel(page, "CPLATFORM")
    await type_in(page, "/account new")
    modal = page.locator("#modal")
    await modal.locator('[data-block-id="account_name"] input').fill("checkout-staging")
    await modal.locator('[data-block-id="organizational_unit"] select').select_option(
        label="Root / Workloads / Staging"
    )
    await modal.locator('[data-block-id="team"] .bk-input').fill("checkout")
    await modal.locator('[data-block-id="purpose"] .bk-input').fill("staging for checkout")
    await page.locator("#modal-submit").click()
    await modal.wait_for(state="hidden")

    card = page.locator("#messages .message.from-bot", has_text="checkout-staging").first
    await card.get_by_text("succeeded").wait_for()
    await card.locator(".replies").click()
    await page.locator("#thread").get_by_text("is ready").wait_for()
    await _screenshot(page, tmp_path)

    await page.locator("#aws-toggle").click()
    await page.locator("#aws .aws-account", has_text="checkout-staging").wait_for()
    # The teams are Identity Center groups; a team's access shows as its group's.
    await page.locator("#aws-teams .aws-team", has_text="team-search").wait_for()
    assert "Omar Okafor" in await page.locator("#aws-teams").inner_text()
    team_access = page.locator("#aws-assignments .aws-assignment-group", has_text="search-prod")
    assert "team-search" in await team_access.inner_text()
    await page.locator("#aws-toggle").click()

    # Omar, another engineer, asks for break-glass access through the form, picking the
    # account from the external select as he types.
    await as_persona(page, "UOMAR")
    await open_channel(page, "CPLATFORM")
    await type_in(page, "/account breakglass")
    account_select = modal.locator('[data-block-id="access_account"] input')
    await account_select.fill("search-pr")
    await modal.locator(".options li[data-value]", has_text="search-prod").click()
    await modal.locator('[data-block-id="access_duration"] .bk-input').fill("30m")
    await modal.locator('[data-block-id="access_justification"] .bk-input').fill(
        "search latency alarm, checking the cluster by hand"
    )
    await page.locator("#modal-submit").click()
    await modal.wait_for(state="hidden")

    # Olga, on call for ops, approves it in #ops-approvals.
    await as_persona(page, "UOLGA")
    await open_channel(page, "CAPPROVALS")
    request = page.locator("#messages .message.from-bot", has_text="Waiting for approval").first
    await request.locator('button[data-action-id="approve_access"]').click()
    await page.locator("#messages .message.from-bot", has_text="Active until").first.wait_for()

    await page.locator("#aws-toggle").click()
    granted = page.locator("#aws-assignments .aws-assignment", has_text="Omar Okafor")
    await granted.wait_for()
    assert "search-prod" in await granted.inner_text()
    assert "BreakGlass" in await granted.inner_text()


async def _screenshot(page: Any, tmp_path: Path) -> None:
    shot = await page.screenshot(full_page=False)
    (tmp_path / "sandbox.png").write_bytes(shot)
    wanted = os.environ.get("OUTPOST_SCREENSHOT")
    if wanted:
        Path(wanted).write_bytes(shot)

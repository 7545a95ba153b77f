"""A real headless Chromium (playwright, sync API) for the tests of pages a person opens.

Needs Debian's Chromium at /usr/bin/chromium (`apt-get install chromium`); playwright never
downloads a browser here. Without it the tests skip, or fail when CAUSA_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 20_000


@pytest.fixture
def chromium_page() -> Iterator[Page]:
    if not CHROMIUM.exists():
        reason = f"Chromium not installed at {CHROMIUM}: run `apt-get install -y chromium`"
        if os.environ.get("CAUSA_REQUIRE_BROWSER") == "1":
            pytest.fail(f"CAUSA_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            context.set_default_timeout(TIMEOUT_MS)
            yield context.new_page()
            context.close()
        finally:
            browser.close()

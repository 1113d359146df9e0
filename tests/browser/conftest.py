"""Browser tests: Playwright's sync API driving Debian's Chromium (never `playwright install`).

Chromium comes from the distribution (`apt-get install chromium`; `make test` and `.ci/run`
install it when missing). Without it these tests skip, saying why — except with
SMS_REQUIRE_BROWSER=1 (CI), where a missing browser is a failure.
"""

from __future__ import annotations

import os

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
# body are still synchronous and safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("SMS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        message = (
            f"Debian's chromium is not installed ({CHROMIUM} missing): run `make test` or `apt-get install chromium`"
        )
        if os.environ.get("SMS_REQUIRE_BROWSER") == "1":
            pytest.fail(message + " (SMS_REQUIRE_BROWSER=1)", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def open_page(browser, transactional_db, live_server):
    """A function giving a fresh page (own cookies) on the live server, at a chosen viewport."""
    contexts = []

    def make(width: int = 1280, height: int = 800):
        context = browser.new_context(
            base_url=live_server.url, locale="vi-VN", viewport={"width": width, "height": height}
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()

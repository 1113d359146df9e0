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
    # Chromium's Local Network Access (142+) refuses a page on a public origin (the portal in
    # `portal_frame`) framing the live server on localhost: the iframe shows chrome-error.
    "--disable-features=LocalNetworkAccessChecks",
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


#: the department portal's origin in browser tests: a page Playwright serves itself (page.route)
PORTAL_ORIGIN = "http://cong.sgd.test"


@pytest.fixture
def portal_frame(open_page, live_server, settings):
    """A function opening ``path`` of the live server inside an iframe on the department
    portal's own page (another origin, listed in PORTAL_ORIGINS), as a portal embeds a lookup.
    Returns (page, frame): fill and read the lookup through ``frame``.

    With ``origin=`` another origin hosts the iframe instead (not listed: the browser must
    refuse to show the lookup; ``frame`` then never shows the form)."""
    settings.PORTAL_ORIGINS = [PORTAL_ORIGIN]

    def make(path: str, *, width: int = 390, height: int = 844, origin: str = PORTAL_ORIGIN):
        page = open_page(width, height)
        src = f"{live_server.url}{path}"
        host = (
            '<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Cổng thông tin Sở GD&amp;ĐT</title>'
            "</head><body><main><h1>Cổng thông tin Sở GD&amp;ĐT</h1>"
            f'<iframe id="lookup" title="Tra cứu" src="{src}" style="width:100%;height:700px;border:0"></iframe>'
            "</main></body></html>"
        )
        page.route(f"{origin}/**", lambda route: route.fulfill(status=200, content_type="text/html", body=host))
        page.goto(f"{origin}/tra-cuu")
        frame_element = page.wait_for_selector("iframe#lookup")
        frame = frame_element.content_frame()
        frame.wait_for_load_state()
        return page, frame

    return make

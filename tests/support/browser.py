"""Headless Chromium driven by Playwright, for tests that use the admin as a person would.

The browser is Debian's Chromium (the Makefile installs it): Playwright's own download needs a
network the platform must not depend on. Each test page saves screenshots under
`var/screenshots/` (INDUS_SCREENSHOT_DIR), which the README's pictures are copied from.
"""
import os
import re
from pathlib import Path

import pytest

from tests.support.workers import REPO_DIR

CHROMIUM = os.environ.get("INDUS_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps calling home, which a closed network
# refuses many times a second.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
SCREENSHOT_DIR = Path(os.environ.get("INDUS_SCREENSHOT_DIR", REPO_DIR / "var" / "screenshots"))
PASSWORD = "correct horse battery"



@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; Django refuses ORM
    # calls when it sees one unless told that they are in fact synchronous, as they are here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


class AdminPage:
    """One signed-in browser tab on the admin of a live server."""

    def __init__(self, page, base_url: str):
        self.page = page
        self.base_url = base_url
        self.requested: list[str] = []
        page.on("request", lambda request: self.requested.append(request.url))
        # Chromium reports what the Content-Security-Policy refused on the console.
        self.refused_by_policy: list[str] = []
        page.on("console", lambda message: self.refused_by_policy.append(f"{page.url}: {message.text}")
                if "Content Security Policy" in message.text else None)

    def requests_elsewhere(self) -> list[str]:
        """URLs the pages asked for beyond the server: none, or the admin needs the internet."""
        return [url for url in self.requested if not url.startswith((self.base_url, "data:", "blob:"))]

    def open(self, path: str):
        self.page.goto(self.base_url + path)
        return self.page

    def sign_in(self, username: str, password: str = PASSWORD) -> None:
        self.open("/admin/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        self.page.click("input[type=submit]")
        self.page.wait_for_url(re.compile(r".*/admin/$"))

    def screenshot(self, name: str) -> Path:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOT_DIR / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def admin_page(chromium, live_server):
    """A factory of signed-in tabs: `admin_page("alice")`; each has its own cookies."""
    tabs: list[AdminPage] = []

    def open_as(username: str) -> AdminPage:
        context = chromium.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        context.set_default_timeout(20_000)
        tabs.append(AdminPage(context.new_page(), live_server.url))
        tabs[-1].sign_in(username)
        return tabs[-1]

    yield open_as
    for tab in tabs:
        tab.page.context.close()
    # The admin works offline: every script, style and image comes from the server itself.
    assert [url for tab in tabs for url in tab.requests_elsewhere()] == []
    # And under the server's Content-Security-Policy, which refused nothing a page uses.
    assert [refusal for tab in tabs for refusal in tab.refused_by_policy] == []

"""Debian's chromium through Playwright, shared by the browser tests."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from conftest import require

# Playwright's sync API runs an event loop in this thread, which Django would
# otherwise take for async code and refuse ORM calls from.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"


@contextmanager
def _chromium_page() -> Iterator:
    require("chromium", os.path.exists(CHROMIUM), f"{CHROMIUM} not found (apt install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()


@pytest.fixture
def chromium_page() -> Callable:
    """``with chromium_page() as page:`` — a page in Debian's chromium. Open it after the
    test data is written: while its event loop runs, ORM calls in the test would open a
    second, never-closed connection."""
    return _chromium_page


def watch_console(page) -> list[str]:
    """The page's console errors from now on (a Content-Security-Policy refusal is one), as a list that grows."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(f"{page.url}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
    return errors


def log_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()

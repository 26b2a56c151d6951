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

"""Screenshots of the demo business as a new user sees it: the dashboard and the customers worklist on a laptop,
the debtor's portal on a phone. With RECOUP_SCREENSHOTS=1 they replace docs/screenshots/dashboard.png,
customers.png and portal-phone.png (an ordinary test run writes them to a temporary folder, leaving the checkout
unchanged). Each page is checked for what the picture is meant to show before it is taken."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.conftest import log_in, watch_console
from tests.browser.test_crawl import PASSWORD, PHONE, demo  # noqa: F401 (the fixture)

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
LAPTOP = {"width": 1366, "height": 900}


def _target(tmp_path: Path, name: str) -> Path:
    folder = SHOTS if os.environ.get("RECOUP_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


@pytest.mark.browser
def test_screenshots_of_the_dashboard_the_worklist_and_the_portal_on_a_phone(live_server, demo, chromium_page,
                                                                             tmp_path):
    from playwright.sync_api import expect

    org, portal = demo
    shots = {name: _target(tmp_path, name) for name in ("dashboard.png", "customers.png", "portal-phone.png")}
    with chromium_page() as page:
        errors = watch_console(page)
        page.set_viewport_size(LAPTOP)
        log_in(page, live_server.url, "owner", PASSWORD)
        page.goto(f"{live_server.url}/o/{org.slug}/")
        expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
        expect(page.locator("svg.chart").first).to_be_visible()
        page.screenshot(path=str(shots["dashboard.png"]), full_page=False)

        page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Customers")
        expect(page.locator("main table tbody tr").first).to_be_visible()
        page.screenshot(path=str(shots["customers.png"]), full_page=False)

        page.set_viewport_size(PHONE)
        page.goto(live_server.url + portal)
        expect(page.get_by_role("heading", name="Your account")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(shots["portal-phone.png"]), full_page=True)
    assert errors == []
    for path in shots.values():
        assert 10_000 < path.stat().st_size < 600_000, path

"""In a real browser: a collector follows the navigation's Inbox link (its badge counts the unhandled
items), sees a reply, a portal message, a dispute and a promise in one list, marks the dispute handled and
sees it leave the unhandled list (and find it under Handled); no console error, the Content-Security-Policy
included.

Takes a screenshot of the inbox; with RECOUP_SCREENSHOTS=1 it replaces docs/screenshots/inbox.png (so an
ordinary test run leaves the checkout unchanged).
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.browser.conftest import log_in, watch_console

SHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "inbox.png"


@pytest.fixture
def inbox_book(org_a, make_customer, make_invoice, system, now):
    from datetime import date

    from recoup.orgs.actions import member_add
    from recoup.web.tests.inbox_world import fill_inbox

    member_add(org=org_a, username="colin", role="collector", password="correct horse battery", actor=system, now=now)
    customer = make_customer(org_a, ref="C001", name="Northwind Traders")
    disputed = make_invoice(org_a, customer, "A-1", "100.00", issue=date(2026, 9, 1), due=date(2026, 10, 1))
    promised = make_invoice(org_a, customer, "A-2", "50.00", issue=date(2026, 10, 1), due=date(2026, 11, 1))
    return fill_inbox(org_a, customer, disputed, promised, datetime.now(timezone.utc))


@pytest.mark.browser
def test_a_collector_reads_the_inbox_and_marks_a_dispute_handled(live_server, inbox_book, chromium_page, tmp_path):
    from playwright.sync_api import expect

    shot = SHOT if os.environ.get("RECOUP_SCREENSHOTS") == "1" else tmp_path / SHOT.name
    with chromium_page() as page:
        page.set_viewport_size({"width": 1280, "height": 900})
        errors = watch_console(page)
        log_in(page, live_server.url, "colin", "correct horse battery")
        inbox_link = page.get_by_role("navigation", name="Main").locator("#nav-inbox")
        expect(inbox_link).to_contain_text("4")
        inbox_link.click()
        expect(page.get_by_role("heading", name="Inbox", level=1)).to_be_visible()

        items = page.get_by_role("list", name="Inbox items").locator("> li")
        expect(items).to_have_count(4)
        expect(items.locator(".tag")).to_have_text(["Promise", "Dispute", "Portal message", "Reply"])
        expect(items.nth(3)).to_contain_text("Re: Your invoice A-1")
        expect(items.nth(2)).to_contain_text("We paid A-2 on Monday")
        expect(items.nth(1)).to_contain_text("Dispute #")
        expect(items.nth(0)).to_contain_text("Promise #")
        expect(items.nth(1).get_by_role("link", name="Northwind Traders", exact=True)).to_have_attribute(
            "href", f"/o/acme/customers/{inbox_book['dispute'].customer_id}/")
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=False)

        dispute = page.locator(f"#inbox-{inbox_book['dispute'].pk}")
        dispute.get_by_label(f"Note on item {inbox_book['dispute'].pk}").fill("Asked the warehouse")
        dispute.get_by_role("button", name="Mark handled: dispute from Northwind Traders").click()
        expect(page.locator("ul.messages")).to_contain_text("Dispute from Northwind Traders marked handled.")
        expect(items).to_have_count(3)
        expect(items.locator(".tag")).to_have_text(["Promise", "Portal message", "Reply"])
        expect(inbox_link).to_contain_text("3")

        page.get_by_label("Show").select_option("handled")
        page.get_by_role("button", name="Show").click()
        expect(items).to_have_count(1)
        expect(items.first).to_contain_text("Dispute #")
        expect(items.first.get_by_role("button")).to_have_count(0)
        assert not errors, errors
    assert 10_000 < shot.stat().st_size < 400_000

"""In a real browser: edit a policy step, preview its e-mail, run the cycle, see the message on the timeline."""

from __future__ import annotations

from datetime import date

import pytest


@pytest.fixture
def owner_with_overdue_customer(org_a, make_customer, make_invoice, system, now):
    from recoup.collections.actions import policies_install_defaults
    from recoup.ledger.models import Contact
    from recoup.orgs.actions import member_add

    member_add(org=org_a, username="olivia", role="owner", password="correct horse battery", actor=system, now=now)
    policies_install_defaults(org=org_a, actor=system, now=now)
    customer = make_customer(org_a, ref="C042", name="Northwind Traders")
    Contact.objects.create(org=org_a, customer=customer, name="Accounts payable", email="ap@northwind.test")
    make_invoice(org_a, customer, "INV-1001", "120.00", issue=date(2026, 1, 1), due=date(2026, 1, 31))
    return customer


@pytest.mark.browser
def test_an_owner_edits_a_step_previews_it_and_runs_the_cycle(live_server, owner_with_overdue_customer, chromium_page):
    from playwright.sync_api import expect

    with chromium_page() as page:
        page.goto(live_server.url + "/")
        page.get_by_label("Username").fill("olivia")
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Log in").click()

        page.get_by_role("navigation", name="Main").get_by_role("link", name="Policies").click()
        page.get_by_role("link", name="business-default").click()
        page.get_by_role("link", name="Edit First reminder").click()
        page.get_by_label("Offset (days)").fill("5")
        page.get_by_role("button", name="Save step").click()
        expect(page.get_by_role("status")).to_contain_text("Step “First reminder” saved.")
        expect(page.locator("#step-first-reminder")).to_contain_text("5 days")

        page.get_by_role("link", name="Preview First reminder").click()
        expect(page.get_by_role("heading", name="To Northwind Traders")).to_be_visible()
        expect(page.locator("#preview-subject")).not_to_be_empty()
        expect(page.frame_locator("iframe[sandbox]").get_by_text("INV-1001").first).to_be_visible()

        page.get_by_role("navigation", name="Main").get_by_role("link", name="Policies").click()
        page.get_by_role("link", name="Run the cycle").click()
        page.get_by_label("Date").fill("2026-02-05")
        page.get_by_label("Dry run").uncheck()
        page.get_by_role("button", name="Run the cycle").click()
        expect(page.get_by_role("status")).to_contain_text("1 message queued")
        row = page.locator("#cycle-result tbody tr")
        expect(row).to_contain_text("first-reminder")
        expect(row).to_contain_text("queued")

        row.get_by_role("link", name="C042").click()
        timeline = page.locator(".timeline")
        expect(timeline).to_contain_text("email to ap@northwind.test")
        expect(timeline).to_contain_text("INV-1001 “First reminder” due")
        expect(timeline).not_to_contain_text("#0")

"""In a real browser: log in, open the dashboard and a customer, record a payment, see the balance fall."""

from __future__ import annotations

from datetime import date

import pytest


@pytest.fixture
def owner_with_customer(org_a, make_customer, make_invoice, system, now):
    from recoup.orgs.actions import member_add

    member_add(org=org_a, username="olivia", role="owner", password="correct horse battery", actor=system, now=now)
    customer = make_customer(org_a, ref="C042", name="Northwind Traders")
    make_invoice(org_a, customer, "INV-1001", "120.00", issue=date(2026, 1, 1), due=date(2026, 1, 31))
    return customer


@pytest.mark.browser
def test_an_owner_records_a_payment_and_sees_the_balance_change(live_server, owner_with_customer, chromium_page):
    from playwright.sync_api import expect

    with chromium_page() as page:
        page.goto(live_server.url + "/")
        page.get_by_label("Username").fill("olivia")
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Log in").click()

        expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
        expect(page.locator(".figures").first).to_contain_text("£120.00")

        page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
        page.get_by_role("link", name="Northwind Traders").click()
        balance = page.locator('#balances dd[data-currency="GBP"]')
        expect(balance).to_have_text("£120.00")

        page.get_by_role("link", name="Record a payment").click()
        page.get_by_label("Amount").fill("45.50")
        page.get_by_label("Reference").fill("BACS 7781")
        page.get_by_role("button", name="Record payment").click()

        expect(page.get_by_role("status")).to_contain_text("Payment of £45.50 recorded.")
        expect(balance).to_have_text("£74.50")

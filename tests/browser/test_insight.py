"""In a real browser: the dashboard's at-a-glance charts, then the cash forecast with its range.

Takes a screenshot of the forecast page as a user sees it; with RECOUP_SCREENSHOTS=1 it replaces
docs/screenshots/insight-forecast.png (so an ordinary test run leaves the checkout unchanged).
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pytest

SHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "insight-forecast.png"


@pytest.fixture
def owner_with_history(org_a, make_customer, make_invoice, system, now):
    """Six customers, half a year of invoices; the slower payers still owe the recent ones."""
    from recoup.ledger.actions import payment_record
    from recoup.orgs.actions import member_add

    member_add(org=org_a, username="olivia", role="owner", password="correct horse battery", actor=system, now=now)
    today = date.today()
    for c in range(6):
        customer = make_customer(org_a, ref=f"C{c:03d}", name=f"Customer {chr(65 + c)} Ltd")
        for k in range(8):
            issued = today - timedelta(days=200 - 24 * k - 3 * c)
            invoice = make_invoice(org_a, customer, f"INV-{c}{k:02d}", f"{400 + 150 * c + 35 * k}.00",
                                   issue=issued, due=issued + timedelta(days=30))
            paid_on = issued + timedelta(days=20 + 9 * c)
            if paid_on < today - timedelta(days=5):
                payment_record(org=org_a, customer=customer, date=paid_on, amount_minor=invoice.total_minor,
                               currency="GBP", invoice=invoice, actor=system, now=now)


@pytest.mark.browser
def test_the_owner_sees_the_charts_and_the_forecast_with_its_range(live_server, owner_with_history, chromium_page,
                                                                   tmp_path):
    shot = SHOT if os.environ.get("RECOUP_SCREENSHOTS") == "1" else tmp_path / SHOT.name
    from playwright.sync_api import expect

    with chromium_page() as page:
        page.set_viewport_size({"width": 1100, "height": 900})
        page.goto(live_server.url + "/")
        page.get_by_label("Username").fill("olivia")
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Log in").click()

        expect(page.get_by_role("heading", name="At a glance (GBP)")).to_be_visible()
        expect(page.locator("svg.stacked")).to_have_count(1)
        expect(page.locator("svg.line")).to_have_count(1)
        expect(page.locator("svg.forecast")).to_have_count(1)

        page.get_by_role("link", name="Forecast and work queue").click()
        expect(page.get_by_role("heading", name="Cash forecast", level=1)).to_be_visible()
        chart = page.locator("#forecast svg.forecast")
        expect(chart).to_be_visible()
        assert chart.locator("line.range").count() == 13
        page.get_by_text("Expected collections by week (GBP) (table)").click()
        expect(page.get_by_role("table", name="Expected collections by week (GBP)")).to_be_visible()
        expect(page.get_by_role("table", name="Work queue by expected value of a call (GBP)")).to_contain_text("Customer")
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=False)
    assert 10_000 < shot.stat().st_size < 400_000


@pytest.mark.browser
def test_the_work_queue_leaves_out_disputed_and_promised_invoices(live_server, owner_with_history, chromium_page,
                                                                  org_a, system):
    from django.utils import timezone
    from playwright.sync_api import expect

    from recoup.arrangements.actions import dispute_open
    from recoup.arrangements.promise_actions import promise_make
    from recoup.ledger.models import Customer, Invoice
    from tests.browser.conftest import log_in

    now = timezone.now()
    held = {}
    for ref in ("C004", "C005"):
        customer = Customer.objects.for_org(org_a).get(ref=ref)
        held[ref] = list(Invoice.objects.for_org(org_a).filter(customer=customer, open_minor__gt=0))
        assert held[ref], f"{ref} owes something in the fixture"
    dispute_open(org=org_a, customer=held["C005"][0].customer, invoices=held["C005"], category="quality",
                 amount_minor=None, message="Wrong goods", actor=system, now=now)
    promise_make(org=org_a, customer=held["C004"][0].customer, invoices=held["C004"],
                 pay_by=now.date() + timedelta(days=10), actor=system, now=now)

    with chromium_page() as page:
        log_in(page, live_server.url, "olivia", "correct horse battery")
        page.goto(live_server.url + "/o/acme/insight/forecast/")
        queue = page.get_by_role("table", name="Work queue by expected value of a call (GBP)")
        expect(queue).to_contain_text("Customer D Ltd")  # still owes, nothing holds it: a call to make
        for invoice in held["C004"] + held["C005"]:
            expect(queue).not_to_contain_text(invoice.number)

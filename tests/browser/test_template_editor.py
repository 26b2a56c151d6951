"""In a real browser: an owner rewords the first reminder's e-mail, watches the live preview on a real
customer follow the typing, saves (version 1 is in force, and version 2 after a second save), and
resets to the shipped text.

With RECOUP_SCREENSHOTS=1 it replaces docs/screenshots/templates.png (an ordinary run leaves the
checkout unchanged).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

SHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "templates.png"


@pytest.fixture
def owner_and_debtor(org_a, make_customer, make_invoice, system, now):
    from django.utils import timezone

    from recoup.orgs.actions import member_add

    member_add(org=org_a, username="olivia", role="owner", password="correct horse battery", actor=system, now=now)
    today = timezone.now().date()
    customer = make_customer(org_a, ref="C100", name="Northwind Traders")
    make_invoice(org_a, customer, "INV-100", "1250.00", issue=today - timedelta(days=45), due=today - timedelta(days=15))
    return customer


@pytest.mark.browser
def test_an_owner_edits_a_reminder_with_a_live_preview_saves_versions_and_resets(
        live_server, owner_and_debtor, chromium_page, org_a, tmp_path):
    from playwright.sync_api import expect

    from recoup.messaging.models import Message
    from tests.browser.conftest import log_in, watch_console

    shot = SHOT if os.environ.get("RECOUP_SCREENSHOTS") == "1" else tmp_path / SHOT.name
    with chromium_page() as page:
        page.set_viewport_size({"width": 1366, "height": 900})
        errors = watch_console(page)
        log_in(page, live_server.url, "olivia", "correct horse battery")
        page.goto(f"{live_server.url}/o/{org_a.slug}/settings/terms/")
        page.get_by_role("link", name="Message templates").click()
        expect(page.get_by_role("heading", name="Message templates", level=1)).to_be_visible()
        page.get_by_role("row").filter(has_text="first-reminder").filter(
            has_not_text="consumer").get_by_role("link", name="E-mail in en").click()

        preview = page.locator("#preview")
        expect(preview).to_contain_text("Preview for Northwind Traders")
        expect(page.locator("#preview-text")).to_contain_text("Dear Northwind Traders,")
        expect(page.locator("#preview-text")).to_contain_text("[portal link]")

        body = page.get_by_label("Plain text")
        body.fill("Hello {{ customer.name }}, invoice {{ invoices.0.number }} is {{ max_days_overdue }} days late.\n"
                  "Pay or talk to us: {{ portal_url }}")
        expect(page.locator("#preview-text")).to_contain_text("Hello Northwind Traders, invoice INV-100 is 15 days late.")
        expect(page.locator("#preview-text")).to_contain_text("[portal link]")

        body.fill("Hello {{ customer.nickname }}")  # a mistake shows in the preview, and on save in the form
        expect(preview).to_contain_text("unknown variable “customer.nickname”")
        page.get_by_role("button", name="Save as a new version").click()
        expect(page.locator(".field.has-error")).to_contain_text("unknown variable “customer.nickname”")

        page.get_by_label("Plain text").fill("Hello {{ customer.name }}, invoice {{ invoices.0.number }} is late.")
        page.get_by_label("Subject").fill("Invoice {{ invoices.0.number }} from {{ org.legal_name }}")
        expect(page.locator("#preview-subject")).to_have_text("Invoice INV-100 from Acme Supplies Ltd")
        page.get_by_role("button", name="Save as a new version").click()
        expect(page.get_by_text("Saved as version 1")).to_be_visible()
        page.get_by_label("Subject").fill("Overdue: {{ invoices.0.number }} from {{ org.legal_name }}")
        page.get_by_role("button", name="Save as a new version").click()
        expect(page.get_by_text("Saved as version 2")).to_be_visible()
        history = page.locator("#template-history")
        expect(history).to_contain_text("2 (in force)")
        expect(history.get_by_role("button", name="Restore version 1")).to_be_visible()
        expect(page.locator("#preview-subject")).to_have_text("Overdue: INV-100 from Acme Supplies Ltd")
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=False)

        page.get_by_role("button", name="Reset to the shipped text").click()
        expect(page.get_by_text("Back to the shipped text (version 3)")).to_be_visible()
        expect(page.locator("#preview-subject")).to_have_text("Reminder: overdue invoice from Acme Supplies Ltd")
        expect(page.locator("#preview-text")).to_contain_text("Dear Northwind Traders,")
        assert errors == []
    assert not Message.objects.exists()  # previews queue nothing
    assert 10_000 < shot.stat().st_size < 400_000

"""In a real browser: Settings -> Connections -> Connect Xero against the local Xero, the first
sync of 2,000 invoices of 500 contacts, and Recoup's aging per customer equal to Xero's amounts due."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

NOW = datetime(2026, 3, 31, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def fake_xero(live_server, settings):
    from recoup.connections.fakes.server import FrozenClock
    from recoup.connections.fakes.testing import specs_or_skip
    from recoup.connections.fakes.xero import FakeXero
    from recoup.connections.fakes.xero_seed import seed_bulk

    specs_or_skip()
    with FakeXero(redirect_uris=[live_server.url + "/connections/callback/"], clock=FrozenClock(NOW)) as xero:
        books = xero.add_tenant("Acme Supplies Ltd", currency="GBP")
        seed_bulk(books, contacts=500, invoices=2000, now=NOW - timedelta(hours=1))
        settings.RECOUP_BOOKS = {**settings.RECOUP_BOOKS, "xero": {
            "client_id": xero.client_id, "client_secret": xero.client_secret, "webhook_key": xero.webhook_key,
            "url": xero.url}}
        yield xero, books


@pytest.mark.browser
def test_connect_xero_and_the_first_sync_make_recoups_aging_equal_xeros_amounts_due(
        live_server, org_a, system, now, fake_xero, chromium_page, monkeypatch):
    from playwright.sync_api import expect

    from recoup.connections import crypto
    from recoup.orgs.actions import member_add
    from recoup.reports.aging import aging

    xero, books = fake_xero
    monkeypatch.setenv(crypto.ENV, crypto.Fernet.generate_key().decode())
    member_add(org=org_a, username="olivia", role="owner", password="correct horse battery", actor=system, now=now)
    with chromium_page() as page:
        page.goto(live_server.url + "/")
        page.get_by_label("Username").fill("olivia")
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{live_server.url}/o/{org_a.slug}/settings/")
        page.get_by_role("navigation", name="Settings").get_by_role("link", name="Connections").click()
        page.get_by_role("button", name="Connect Xero").click()
        expect(page.get_by_text("Acme Supplies Ltd")).to_be_visible()  # the fake's consent page
        page.get_by_role("button", name="Allow access").click()
        expect(page.get_by_role("status")).to_contain_text("Connected Xero Acme Supplies Ltd")
        page.get_by_role("button", name="Sync now").click(timeout=120_000)
        expect(page.get_by_role("status")).to_contain_text("Synced Xero", timeout=120_000)
        expect(page.locator("#synced-xero")).not_to_have_text("never")
    theirs: dict[str, Decimal] = {}
    for inv in books.invoices.values():
        if inv["Type"] == "ACCREC" and inv["Status"] in ("AUTHORISED", "PAID") and inv["AmountDue"]:
            name = books.contacts[inv["Contact"]["ContactID"]]["Name"]
            theirs[name] = theirs.get(name, Decimal(0)) + inv["AmountDue"]
    report = aging(org=org_a, as_of=date(2026, 3, 31))
    ours = {row.customer: Decimal(sum(row.buckets_minor) + row.credit_minor) / 100 for row in report.rows}
    assert len(ours) > 400 and ours == theirs
    xero.check()

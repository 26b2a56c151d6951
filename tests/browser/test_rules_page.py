"""In Chromium: the Rules page warns when a shipped rate series ends before today, the interest calculator shows
amounts as money (never "160.958904"), and a missing rate points the owner at the page's own "Add a rate" form."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import log_in, watch_console


@pytest.fixture
def owner(org_a, system, now, monkeypatch):
    from django.utils import timezone

    from recoup.orgs.actions import member_add

    member_add(org=org_a, username="olivia", role="owner", password="correct horse battery", actor=system, now=now)
    monkeypatch.setattr(timezone, "now", lambda: now)  # the server's today: 31 March 2026
    return org_a


def _calculate(page, **fields) -> None:
    form = page.locator("form", has=page.get_by_role("button", name="Calculate"))
    form.get_by_label("Jurisdiction").select_option(fields["jurisdiction"])
    form.get_by_label("Amount owed").fill(fields["amount"])
    form.get_by_label("Currency").fill(fields["currency"])
    form.get_by_label("Due date").fill(fields["due"])
    form.get_by_label("Paid on (or today)").fill(fields["paid"])
    page.get_by_role("button", name="Calculate").click()
    page.wait_for_load_state()


def _rules_page(page, live_server) -> list[str]:
    errors = watch_console(page)
    log_in(page, live_server.url, "olivia", "correct horse battery")
    page.get_by_role("link", name="Rules").first.click()
    return errors


@pytest.mark.browser
def test_the_rules_page_warns_of_rate_series_that_end_before_today(live_server, owner, chromium_page):
    from playwright.sync_api import expect

    with chromium_page() as page:
        errors = _rules_page(page, live_server)
        stale = page.get_by_role("region", name="Rates that end before today")
        # rates.yaml's series are confirmed to 2026-01-01; the server's today is 2026-03-31.
        expect(stale).to_contain_text("Bank of England Bank Rate: known up to 1 Jan 2026 (89 days ago)")
        expect(stale).to_contain_text("ECB rate: known up to 1 Jan 2026")
        stale.get_by_role("link", name="add the rate in force").click()
        expect(page.get_by_role("button", name="Add rate")).to_be_in_viewport()
        assert errors == []


@pytest.mark.browser
def test_the_interest_calculator_shows_money_not_raw_decimals(live_server, owner, chromium_page):
    from playwright.sync_api import expect

    with chromium_page() as page:
        errors = _rules_page(page, live_server)
        _calculate(page, jurisdiction="GB", amount="1000.00", currency="GBP", due="2025-03-31", paid="2025-04-30")
        result = page.locator("#interest-result")
        expect(result).to_contain_text("£10.48")
        expect(result).to_contain_text("£80.48")
        assert not re.search(r"\d\.\d{3,}", result.inner_text()), result.inner_text()
        assert errors == []


@pytest.mark.browser
def test_a_missing_rate_points_at_the_pages_own_add_a_rate_form(live_server, owner, chromium_page):
    from playwright.sync_api import expect

    with chromium_page() as page:
        errors = _rules_page(page, live_server)
        _calculate(page, jurisdiction="EU", amount="100", currency="EUR", due="2026-06-01", paid="2026-08-01")
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("No ECB rate is known for 1 Jul 2026")
        expect(alert).not_to_contain_text("recoup rates add")
        alert.get_by_role("link", name="Add a rate").click()
        expect(page.get_by_label("Series")).to_have_value("ecb-mro")
        assert errors == []

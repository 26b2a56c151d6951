"""In a real browser: the customers worklist. A collector sorts by days late, ticks two customers (the
live search must not wipe the ticks), assigns them to themself in bulk, and finds them under "My accounts";
the page raises no console error (the Content-Security-Policy included)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.browser.conftest import log_in, watch_console


@pytest.fixture
def worklist_book(org_a, make_customer, make_invoice, system, now):
    from recoup.collections.actions import policies_install_defaults
    from recoup.orgs.actions import member_add

    member_add(org=org_a, username="colin", role="collector", password="correct horse battery", actor=system, now=now)
    policies_install_defaults(org=org_a, actor=system, now=now)
    for ref, name, due in [("C1", "Alder Ltd", date(2026, 3, 20)), ("C2", "Birch plc", date(2026, 1, 10)),
                           ("C3", "Cedar & Co", date(2026, 2, 15))]:
        customer = make_customer(org_a, ref=ref, name=name)
        make_invoice(org_a, customer, f"{ref}-1", "100.00", issue=date(2026, 1, 1), due=due)


@pytest.mark.browser
def test_a_collector_sorts_ticks_and_assigns_customers_to_themself(live_server, worklist_book, chromium_page):
    from playwright.sync_api import expect

    with chromium_page() as page:
        errors = watch_console(page)
        log_in(page, live_server.url, "colin", "correct horse battery")
        page.goto(live_server.url + "/o/acme/customers/")
        page.get_by_role("link", name="Days late").click()  # most days late first
        names = page.locator("table.worklist tbody th[scope=row] a")
        expect(names).to_have_text(["Birch plc", "Cedar & Co", "Alder Ltd"])

        page.get_by_label("Select Birch plc").check()
        page.get_by_label("Select Cedar & Co").check()
        page.get_by_label("Action").select_option("assign")
        page.get_by_label("Collector").select_option(label="colin")
        # Choosing in the bulk form is not a search: the ticks stay.
        expect(page.get_by_label("Select Birch plc")).to_be_checked()
        page.get_by_role("button", name="Apply").click()
        expect(page.locator("ul.messages")).to_contain_text("Assigned: C2, C3")

        page.get_by_role("link", name="My accounts").click()
        expect(names).to_have_text(["Birch plc", "Cedar & Co"])
        expect(page.locator("td.assignee").first).to_have_text("colin")
        assert not errors, errors

"""In a real browser: upload a camt.053, review an uncertain match, confirm it, see the invoice
paid, and the collections cycle of a later day sends it no reminder."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

LATER = date(2026, 4, 20)


@pytest.fixture
def overdue_invoice(org_a, make_customer, make_invoice, system, now):
    from recoup.collections.actions import policies_install_defaults
    from recoup.ledger.models import Contact
    from recoup.orgs.actions import member_add

    member_add(org=org_a, username="olivia", role="owner", password="correct horse battery", actor=system, now=now)
    org_a.bank_iban = "GB33BUKB20201555555555"  # the account of the statement below: imported without a question
    org_a.save(update_fields=["bank_iban"])
    policies_install_defaults(org=org_a, actor=system, now=now)
    customer = make_customer(org_a, ref="C042", name="Northwind Traders")
    Contact.objects.create(org=org_a, customer=customer, name="Accounts payable", email="ap@northwind.test")
    return make_invoice(org_a, customer, "INV-1001", "120.00", issue=date(2026, 1, 1), due=date(2026, 1, 31))


def _reminded(org, on: date) -> set[str]:
    from recoup.collections.cycle import cycle_run

    result = cycle_run(org=org, on=on, now=datetime(2026, 4, 20, 7, tzinfo=timezone.utc), dry_run=True)
    return {number for action in result.actions if action.status != "skipped" for number in action.invoices}


@pytest.mark.browser
def test_an_operator_confirms_an_uncertain_payment_and_the_reminders_stop(
        live_server, org_a, overdue_invoice, chromium_page, tmp_path):
    from playwright.sync_api import expect

    from recoup.banking.tests.builders import Entry, camt053
    from recoup.collections.cycle import cycle_run

    assert "INV-1001" in _reminded(org_a, LATER)  # overdue: the cycle would chase it
    statement = tmp_path / "april.camt053.xml"
    # No invoice number, a shortened name: a likely match, not a sure one.
    statement.write_bytes(camt053([Entry("120.00", date(2026, 4, 3), name="NORTHWIND", text="Thanks for the goods")]))

    with chromium_page() as page:
        page.goto(live_server.url + "/")
        page.get_by_label("Username").fill("olivia")
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Log in").click()

        page.get_by_role("navigation", name="Main").get_by_role("link", name="Bank").click()
        page.get_by_label("Statement file").set_input_files(str(statement))
        page.get_by_role("button", name="Import statement").click()
        expect(page.get_by_role("status")).to_contain_text("1 line(s) imported, 0 matched automatically, 1 to review")
        expect(page.get_by_role("row", name="NORTHWIND")).to_contain_text("To review")

        page.get_by_role("navigation", name="Main").get_by_role("link", name="Bank").click()
        page.get_by_role("link", name="Review queue").click()
        payment = page.get_by_role("article", name="Payment of 3 Apr 2026")
        expect(payment).to_contain_text("confidence 0.80")
        expect(payment).to_contain_text("payer name 'NORTHWIND' ~ 'Northwind Traders'")
        payment.get_by_role("button", name="Confirm INV-1001").click()
        expect(page.get_by_role("status")).to_contain_text("confirmed for INV-1001")
        expect(page.get_by_text("Nothing to review.")).to_be_visible()

        page.get_by_role("navigation", name="Main").get_by_role("link", name="Invoices").click()
        page.get_by_role("link", name="INV-1001").click()
        expect(page.get_by_text("Paid · issued 1 Jan 2026")).to_be_visible()

    overdue_invoice.refresh_from_db()
    assert overdue_invoice.open_minor == 0
    result = cycle_run(org=org_a, on=LATER, now=datetime(2026, 4, 20, 7, tzinfo=timezone.utc))
    assert not any("INV-1001" in action.invoices for action in result.actions)

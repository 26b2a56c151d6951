"""In a real browser: the Bank page offers the organization's own account from Settings for a statement
that does not name its account (a CSV), recognises that account in a statement that does, and asks
before importing a statement of an account that is not the organization's, naming that account."""

from __future__ import annotations

from datetime import date

import pytest

OWN_IBAN, FOREIGN_IBAN = "GB33BUKB20201555555555", "GB29NWBK60161331926819"


@pytest.fixture
def operator(org_a, system, now):
    from recoup.orgs.actions import member_add

    member_add(org=org_a, username="olivia", role="owner", password="correct horse battery", actor=system, now=now)
    org_a.bank_name, org_a.bank_iban = "Barclays", OWN_IBAN
    org_a.save(update_fields=["bank_name", "bank_iban"])
    return org_a


@pytest.mark.browser
def test_the_settings_account_is_offered_and_a_foreign_statement_is_asked_about(
        live_server, operator, chromium_page, tmp_path):
    from playwright.sync_api import expect

    from recoup.banking.models import BankAccount, Statement
    from recoup.banking.tests.builders import Entry, camt053

    csv = tmp_path / "april.csv"  # odoo-sheet-en: no account in the file
    csv.write_text('"Date","Label","Currency","Amount","Partner Name","Bank Account"\n'
                   '"04/02/2026","Transfer","GBP","120.00","Northwind Traders",""\n')
    foreign = tmp_path / "other-business.xml"
    foreign.write_bytes(camt053([Entry("75.00", date(2026, 4, 3), name="Someone")], iban=FOREIGN_IBAN))
    own = tmp_path / "barclays-april.xml"
    own.write_bytes(camt053([Entry("50.00", date(2026, 4, 6), name="Contoso")], iban=OWN_IBAN, statement_id="S-2"))

    with chromium_page() as page:
        page.goto(live_server.url + "/")
        page.get_by_label("Username").fill("olivia")
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Log in").click()
        bank = page.get_by_role("navigation", name="Main").get_by_role("link", name="Bank")

        # 1. A CSV does not say its account: the account from Settings is offered.
        bank.click()
        page.get_by_label("Bank account", exact=True).select_option(label="Barclays · GB33 BUKB 2020 1555 5555 55 (from Settings)")
        page.get_by_label("Statement file").set_input_files(str(csv))
        page.get_by_role("button", name="Import statement").click()
        expect(page.get_by_role("status")).to_contain_text("1 line(s) imported")
        expect(page.get_by_role("definition").first).to_have_text("Barclays")

        # 2. A statement of another account: asked, naming it; "Don't import" imports nothing.
        bank.click()
        page.get_by_label("Statement file").set_input_files(str(foreign))
        page.get_by_role("button", name="Import statement").click()
        expect(page.get_by_role("heading", name="Is this Acme Supplies Ltd's account?")).to_be_visible()
        expect(page.get_by_role("main")).to_contain_text(
            "other-business.xml is a statement of account GB29 NWBK 6016 1331 9268 19, which is not one of "
            "Acme Supplies Ltd's accounts")
        expect(page.get_by_role("main")).to_contain_text("Barclays · GB33 BUKB 2020 1555 5555 55")
        page.get_by_role("button", name="Don't import").click()
        expect(page.get_by_role("status")).to_contain_text("other-business.xml was not imported")
        assert not Statement.objects.filter(file_name="other-business.xml").exists()

        # ... and confirmed, the account is added and the statement imported.
        page.get_by_label("Statement file").set_input_files(str(foreign))
        page.get_by_role("button", name="Import statement").click()
        page.get_by_role("button", name="Add account GB29 NWBK 6016 1331 9268 19 and import").click()
        expect(page.get_by_role("status")).to_contain_text("1 line(s) imported")

        # 3. A statement naming the account from Settings goes into it without a question.
        bank.click()
        page.get_by_label("Statement file").set_input_files(str(own))
        page.get_by_role("button", name="Import statement").click()
        expect(page.get_by_role("status")).to_contain_text("1 line(s) imported")
        expect(page.get_by_role("definition").first).to_have_text("Barclays")

    barclays = BankAccount.objects.for_org(operator).get(name="Barclays")
    assert barclays.iban == OWN_IBAN
    assert sorted(barclays.statements.values_list("file_name", flat=True)) == ["april.csv", "barclays-april.xml"]
    assert BankAccount.objects.for_org(operator).get(iban=FOREIGN_IBAN).statements.count() == 1

"""In a real browser: upload a CSV of invoices, check the guessed columns, see every error marked on
its cell (a row with too many cells does not hide the others; a negative amount is flagged), then
import a corrected file whose customer column is mapped by hand."""

from __future__ import annotations

import pytest

BAD = (b"number,customer_ref,issue_date,amount\n"
       b"A-1,C042,2026-01-05,10.00,oops\n"
       b"A-2,C042,2026-01-05,-25.00\n"
       b"A-3,C042,2026-02-30,5.00\n"
       b"A-4,C042,2026-02-01,7.00\n")
GOOD = b"Invoice No,Client,Dated,Total\nA-5,Northwind Traders,05/02/2026,\"1,250.00\"\n"


@pytest.fixture
def collector(org_a, make_customer, system, now):
    from recoup.orgs.actions import member_add

    member_add(org=org_a, username="cole", role="collector", password="correct horse battery", actor=system, now=now)
    return make_customer(org_a, ref="C042", name="Northwind Traders")


def _upload(page, name: str, data: bytes) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Imports").click()
    page.get_by_label("What the file holds").select_option("invoices")
    page.get_by_label("CSV file").set_input_files({"name": name, "mimeType": "text/csv", "buffer": data})
    page.get_by_role("button", name="Check the file").click()


@pytest.mark.browser
def test_a_collector_sees_each_bad_cell_marked_then_imports_a_mapped_file(live_server, collector, chromium_page,
                                                                          settings, tmp_path):
    from playwright.sync_api import expect

    settings.VAR_DIR = tmp_path
    with chromium_page() as page:
        page.goto(live_server.url + "/")
        page.get_by_label("Username").fill("cole")
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Log in").click()

        _upload(page, "invoices.csv", BAD)
        expect(page.get_by_role("heading", level=1)).to_have_text("Import invoices from invoices.csv")
        expect(page.get_by_label("amount", exact=True)).to_have_value("amount")
        page.get_by_role("button", name="Check the file").click()

        expect(page.get_by_role("alert")).to_contain_text("3 errors: nothing was imported")
        expect(page.locator("#line-2")).to_contain_text("5 cells but the header has 4")
        bad = page.locator("td.cell-error")
        expect(bad).to_have_count(2)
        expect(page.locator("#line-3 td.cell-error")).to_contain_text("-25.00")
        expect(page.locator("#line-3 td.cell-error")).to_contain_text("is negative")
        expect(page.locator("#line-4 td.cell-error")).to_contain_text("'2026-02-30' is not a date")
        expect(page.locator("#line-5 td.cell-error")).to_have_count(0)

        page.get_by_role("link", name="Upload another file").click()
        _upload(page, "march.csv", GOOD)
        expect(page.get_by_label("Client")).to_have_value("customer_name")
        page.get_by_label("Dated").select_option("issue_date")
        page.get_by_label("Dates like 03/04/2026 are").select_option("dmy")
        page.get_by_role("button", name="Check the file").click()
        expect(page.get_by_role("status")).to_contain_text("1 row checked, no errors: 1 to create")
        page.get_by_role("button", name="Import 1 row").click()
        expect(page.get_by_role("status")).to_contain_text("Imported 1 invoices from march.csv: 1 created")

"""Every shared e-invoice sample (../shared/data/ubl and facturx) imported or refused.

Expected values were read from each file by hand: number (BT-1), amount due
(BT-115: PayableAmount / DuePayableAmount), currency (BT-5), issue and due dates
(BT-2, BT-9) and the buyer's name (BT-44).
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from recoup.audit.models import AuditEvent
from recoup.ledger.imports.einvoice import import_einvoices
from recoup.ledger.models import CreditNote, Customer, Invoice

# file, number, amount due, currency, issue date, due date, buyer legal name, VAT total
GOOD = [
    ("ubl/ubl-tc434-example1.xml", "12115118", "250.33", "EUR", "2015-01-09", "2015-01-09", "ODIN 59", "20.73"),
    ("ubl/ubl-tc434-example2.xml", "TOSL108", "801.78", "NOK", "2013-06-30", "2013-07-20", "The Buyercompany", "365.28"),
    ("ubl/ubl-tc434-example3.xml", "TOSL108", "2005.00", "DKK", "2013-04-10", "2013-05-10", "Buyercompany ltd", "305.00"),
    ("ubl/ubl-tc434-example5.xml", "TOSL110", "2337.50", "DKK", "2013-04-10", "2013-05-10", "Buyercompany ltd", "675.00"),
    # no DueDate: "Payment within 30 days" (BT-20)
    ("ubl/ubl-tc434-example7.xml", "INVOICE_test_7", "3200.00", "SEK", "2013-03-11", "2013-04-10", "THe Buyercompany", "0.00"),
    ("ubl/ubl-tc434-example8.xml", "1100512149", "1099.78", "EUR", "2014-11-10", "2014-11-24", "Klant", "190.87"),
    ("ubl/ubl-tc434-example9.xml", "20150483", "177.87", "EUR", "2015-04-01", "2015-04-14", "Provide Verzekeringen", "30.87"),
    ("ubl/issue116.xml", "2018210", "830.00", "SEK", "2018-02-08", "2018-03-07", "Project services AB", "130.00"),
    ("ubl/sample-discount-price.xml", "test decimal 1", "15.15", "EUR", "2018-02-05", "2018-02-28",
     "HEP-OPERATOR DISTRIBUCIJSKOG SUSTAVA D.O.O. ZA DISTRIBUCIJU I OPSKRBU ELEKTRICNE ENERGIJE", "3.03"),
    ("ubl/peppol-base-example.xml", "Snippet1", "1656.25", "EUR", "2017-11-13", "2017-12-01", "Buyer Official Name", "331.25"),
    # 7125.00 with VAT, 1000.00 paid in advance (BT-113)
    ("ubl/peppol-Allowance-example.xml", "Snippet1", "6125.00", "EUR", "2017-11-13", "2017-12-01", "Buyer Official Name", "1225.00"),
    ("ubl/peppol-vat-category-Z.xml", "Vat-Z", "1200.00", "GBP", "2018-08-30", "2018-09-29", "The Buyercompany", "0.00"),
    ("ubl/cii-CII_example1.xml", "12115118", "250.33", "EUR", "2015-01-09", "2015-01-09", "ODIN 59", "20.73"),
    ("ubl/cii-CII_example3.xml", "TOSL108", "1125.00", "DKK", "2013-04-10", "2013-05-10", "Buyercompany ltd", "225.00"),
    # due date 2013-05-10 is before the issue date: taken as due on the issue date
    ("ubl/cii-CII_business_example_02.xml", "INV000013", "11.90", "EUR", "2013-08-25", "2013-08-25", "Buyercompany ltd", "1.90"),
    ("ubl/cii-XRechnung-O.xml", "150377292", "385544.60", "EUR", "2021-01-14", "2021-01-14", "XX", "0.00"),
    # MINIMUM: no due date, no terms: the organization's Net 30
    ("facturx/factur-x-minimum.xml", "F20260023", "104.90", "EUR", "2026-01-31", "2026-03-02", "LE CLIENT", "4.90"),
    ("facturx/factur-x-basicwl.xml", "F20260023", "104.90", "EUR", "2026-01-31", "2026-03-02", "LE CLIENT", "4.90"),
    ("facturx/factur-x-en16931.xml", "F20260023", "104.90", "EUR", "2026-01-31", "2026-03-02", "LE CLIENT", "4.90"),
    # ZUGFeRD 1.0 BASIC without terms: Net 30
    ("facturx/zugferd-basic.xml", "471102", "235.62", "EUR", "2013-03-05", "2013-04-04", "Kunden AG Mitte", "37.62"),
    ("facturx/invoice_EN16931.pdf", "F20260023", "104.90", "EUR", "2026-01-31", "2026-03-02", "LE CLIENT", "4.90"),
    # "Zahlbar innerhalb 30 Tagen netto ..." (BT-20)
    ("facturx/EN16931_Einfach.pdf", "471102", "529.87", "EUR", "2024-11-15", "2024-12-15", "Kunden AG Mitte", "56.87"),
    ("facturx/EN16931_1_Teilrechnung.pdf", "471102", "147.65", "EUR", "2018-06-05", "2018-07-05", "Kunden AG Mitte", "20.16"),
    ("facturx/EXTENDED_Fremdwaehrung_wdis_fx-pdfa4.pdf", "47110815", "521.91", "GBP", "2025-12-01", "2025-12-31",
     "Metallbau Leipzig GmbH & Co. KG", "163.16"),
    ("facturx/MustangGnuaccountingBeispielRE-20170509_505.pdf", "RE-20170509/505", "571.04", "EUR", "2017-05-09",
     "2017-05-30", "Theodor Est", "75.04"),
    ("facturx/zugferd_invoice.pdf", "2014-03", "1005.55", "EUR", "2014-07-11", "2014-08-10",
     "Papierflieger-Vertriebs-GmbH", "160.55"),
    ("facturx/validV2PDF.pdf", "RE-20171118/506", "571.04", "EUR", "2017-11-18", "2017-12-09", "Theodor Est", "75.04"),
    ("facturx/validXRechnung.pdf", "RE-20190610/507", "571.04", "EUR", "2019-06-10", "2019-07-01", "Theodor Est", "75.04"),
]


def run(org, shared_data, *names, system, now, dry_run=False):
    files = [(Path(n).name, (shared_data / n).read_bytes()) for n in names]
    return import_einvoices(org=org, files=files, actor=system, now=now, dry_run=dry_run)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.parametrize("name,number,total,currency,issued,due,buyer,vat", GOOD, ids=[g[0] for g in GOOD])
def test_each_good_file_is_imported_with_the_figures_it_states(org_a, shared_data, system, now,
                                                                name, number, total, currency, issued, due, buyer, vat):
    result = run(org_a, shared_data, name, system=system, now=now)
    assert result.ok, result.files[0].error
    assert result.files[0].status == "created"
    invoice = Invoice.objects.for_org(org_a).select_related("customer").get(number=number)
    assert (str(invoice.total), invoice.currency) == (total, currency)
    assert (invoice.issue_date, invoice.due_date) == (date.fromisoformat(issued), date.fromisoformat(due))
    assert invoice.customer.legal_name == buyer
    assert str(invoice.open_amount) == total
    lines = list(invoice.lines.all())
    assert sum(x.net_minor + x.tax_minor for x in lines) == invoice.total_minor
    assert sum(x.tax_minor for x in lines) == invoice.tax_minor
    assert f"{invoice.tax_minor / 100:.2f}" == vat
    if name.endswith(".pdf"):
        assert invoice.pdf.read() == (shared_data / name).read_bytes()
    # The same file again creates nothing.
    again = run(org_a, shared_data, name, system=system, now=now)
    assert again.files[0].status == "skipped"
    assert Invoice.objects.for_org(org_a).count() == 1 and Customer.objects.for_org(org_a).count() == 1


def test_the_buyer_becomes_a_customer_with_a_billing_contact(org_a, shared_data, system, now):
    result = run(org_a, shared_data, "ubl/peppol-base-example.xml", system=system, now=now)
    customer = Customer.objects.for_org(org_a).get()
    assert result.files[0].customer_created and customer.ref == "SE4598375937"  # the buyer's VAT ID (BT-48)
    assert (customer.legal_name, customer.display_name, customer.country) == (
        "Buyer Official Name", "BuyerTradingName AS", "SE")
    contact = customer.contacts.get()
    assert (contact.name, contact.email, contact.phone, contact.is_billing) == ("Lisa Johnson", "lj@buyer.se", "23434234", True)
    assert contact.postal_address == "Hovedgatan 32\nPo box 878\n456 34 Stockholm\nSE"
    invoice = Invoice.objects.for_org(org_a).get()
    assert [(x.description, x.quantity, x.net_minor, x.tax_minor) for x in invoice.lines.all()] == [
        ("item name", 7, 280000, 70000), ("item name 2", -3, -150000, -37500), ("Charge: Insurance", 1, 2500, 625)]


def test_a_credit_note_is_linked_to_the_invoice_it_corrects(org_a, shared_data, system, now):
    result = run(org_a, shared_data, "ubl/peppol-base-creditnote-correction.xml", "ubl/peppol-base-example.xml",
                 system=system, now=now)
    assert [f.status for f in result.files] == ["created", "created"]  # invoices go first whatever the order
    note = CreditNote.objects.for_org(org_a).get()
    invoice = Invoice.objects.for_org(org_a).get(number="Snippet1")
    assert (note.number, note.amount_minor, note.currency, note.named_invoice) == ("Snippet1", 165625, "EUR", invoice)
    invoice.refresh_from_db()
    assert (invoice.open_minor, invoice.status) == (0, "credited")
    assert result.files[0].invoice == "Snippet1"


def test_an_invoice_with_a_negative_amount_due_credits_the_invoice_it_names(org_a, shared_data, system, now):
    result = run(org_a, shared_data, "ubl/peppol-base-example.xml", "ubl/peppol-base-negative-inv-correction.xml",
                 system=system, now=now)
    assert result.ok
    note = CreditNote.objects.for_org(org_a).get(number="Correction1")
    assert (note.amount_minor, note.named_invoice.number) == (165625, "Snippet1")
    assert any("negative" in n for n in result.files[1].notes)


def test_a_negative_invoice_naming_an_unknown_invoice_is_refused(org_a, shared_data, system, now):
    result = run(org_a, shared_data, "ubl/peppol-base-negative-inv-correction.xml", system=system, now=now)
    error = result.files[0].error
    assert error.startswith("peppol-base-negative-inv-correction.xml:/Invoice/cac:BillingReference/"
                            "cac:InvoiceDocumentReference/cbc:ID:preceding invoice reference (BT-25):")
    assert "Snippet1, which is not in the ledger: import that invoice first" in error
    assert not CreditNote.objects.exists() and not Customer.objects.exists()


def test_a_negative_invoice_naming_no_invoice_is_refused(org_a, shared_data, system, now):
    result = run(org_a, shared_data, "ubl/BIS3_Invoice_negativ.XML", system=system, now=now)
    assert not result.ok
    assert "BIS3_Invoice_negativ.XML:/Invoice/cac:BillingReference" in result.files[0].error
    assert "-782179.43 DKK" in result.files[0].error and "names no invoice it corrects" in result.files[0].error
    assert not Invoice.objects.exists() and not CreditNote.objects.exists() and not Customer.objects.exists()


def test_a_french_avoir_issued_as_a_negative_invoice_credits_the_named_invoice(org_a, shared_data, system, now,
                                                                                make_customer, make_invoice):
    refused = run(org_a, shared_data, "facturx/validAvoir_FR_type380_BASICWL.pdf", system=system, now=now)
    assert "validAvoir_FR_type380_BASICWL.pdf!factur-x.xml:" in refused.files[0].error
    assert "ram:InvoiceReferencedDocument/ram:IssuerAssignedID" in refused.files[0].error
    assert "FA-2017-0010, which is not in the ledger" in refused.files[0].error
    shop = make_customer(org_a, ref="JOLIE", name="Ma jolie boutique")
    invoice = make_invoice(org_a, shop, "FA-2017-0010", "500.00", issue=date(2017, 11, 1), currency="EUR")
    result = run(org_a, shared_data, "facturx/validAvoir_FR_type380_BASICWL.pdf", system=system, now=now)
    assert result.files[0].status == "created"
    note = CreditNote.objects.for_org(org_a).get()
    assert (note.number, note.amount_minor, note.named_invoice) == ("AV-2017-0005", 23347, invoice)
    invoice.refresh_from_db()
    assert invoice.open_minor == 50000 - 23347
    assert any("PDF is not kept" in n for n in result.files[0].notes)


def test_a_credit_note_naming_no_invoice_is_credit_for_the_buyer(org_a, shared_data, system, now):
    result = run(org_a, shared_data, "ubl/ubl-tc434-creditnote1.xml", system=system, now=now)
    note = CreditNote.objects.for_org(org_a).select_related("customer").get()
    assert (note.number, note.amount_minor, note.currency, note.unapplied_minor) == ("018304 / 28865", 10011, "EUR", 10011)
    assert note.customer.legal_name == "My Customer Company" and note.customer.ref == "BE0000000295"
    assert run(org_a, shared_data, "ubl/ubl-tc434-creditnote1.xml", system=system, now=now).files[0].status == "skipped"
    assert result.ok and CreditNote.objects.count() == 1


def test_a_pdf_without_embedded_xml_is_refused(org_a, shared_data, system, now):
    name = "facturx/MustangGnuaccountingBeispielRE-20201121_508blanko.pdf"
    error = run(org_a, shared_data, name, system=system, now=now).files[0].error
    assert error.startswith("MustangGnuaccountingBeispielRE-20201121_508blanko.pdf:/Root/Names/EmbeddedFiles:"
                            "embedded invoice XML: the PDF carries no e-invoice XML")
    assert not Invoice.objects.exists()


def test_a_truncated_pdf_is_refused(org_a, shared_data, system, now):
    error = run(org_a, shared_data, "facturx/corrupt-factur-x-waytoosmall.pdf", system=system, now=now).files[0].error
    assert error == ("corrupt-factur-x-waytoosmall.pdf:byte 0:file: not a readable PDF (15 bytes; "
                     "the file is truncated or not a PDF)")


def test_a_pdf_with_two_xmls_for_the_same_invoice_reads_the_factur_x_one(org_a, shared_data, system, now):
    result = run(org_a, shared_data, "facturx/validV2PDF.pdf", system=system, now=now)
    assert result.files[0].notes == [
        "the PDF carries both factur-x.xml and ZUGFeRD-invoice.xml for the same invoice; factur-x.xml was read"]


def test_a_pdf_with_two_different_invoices_is_refused(org_a, shared_data, system, now):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(shared_data / "facturx/MustangGnuaccountingBeispielRE-20201121_508blanko.pdf"))
    writer.add_attachment("factur-x.xml", (shared_data / "facturx/factur-x-en16931.xml").read_bytes())
    writer.add_attachment("ZUGFeRD-invoice.xml", (shared_data / "facturx/zugferd-basic.xml").read_bytes())
    out = io.BytesIO()
    writer.write(out)
    result = import_einvoices(org=org_a, files=[("two.pdf", out.getvalue())], actor=system, now=now)
    assert result.files[0].error.startswith("two.pdf:/Root/Names/EmbeddedFiles:embedded invoice XML: "
                                            "the PDF carries two different invoices")
    assert not Invoice.objects.exists()


def test_files_in_one_batch_are_each_all_or_nothing(org_a, shared_data, system, now):
    names = ["ubl/ubl-tc434-example9.xml", "facturx/corrupt-factur-x-waytoosmall.pdf", "ubl/ubl-tc434-example8.xml",
             "ubl/ubl-tc434-example3.xml", "ubl/cii-CII_example3.xml"]
    result = run(org_a, shared_data, *names, system=system, now=now)
    assert [f.status for f in result.files] == ["created", "failed", "created", "created", "failed"]
    # Same number, same buyer, another amount: refused, naming both.
    assert "invoice TOSL108 already exists for customer NO987654321MVA (Buyercompany ltd, 2005.00 DKK)" in \
        result.files[4].error
    assert sorted(Invoice.objects.for_org(org_a).values_list("number", flat=True)) == ["1100512149", "20150483", "TOSL108"]
    assert AuditEvent.objects.filter(org=org_a, verb="invoice.created").count() == 3


# Samples whose outcome the tests above state one by one (credit notes, corrections, refusals).
ELSEWHERE = {
    "ubl/BIS3_Invoice_negativ.XML", "ubl/peppol-base-creditnote-correction.xml",
    "ubl/peppol-base-negative-inv-correction.xml", "ubl/ubl-tc434-creditnote1.xml",
    "facturx/MustangGnuaccountingBeispielRE-20201121_508blanko.pdf", "facturx/corrupt-factur-x-waytoosmall.pdf",
    "facturx/validAvoir_FR_type380_BASICWL.pdf",
}


def test_every_shared_sample_has_a_stated_outcome(shared_data):
    """A sample added to ../shared/data/ubl or facturx needs a line here: imported with its figures, or
    refused (or linked) with its reason."""
    found = {f"{folder}/{p.name}" for folder in ("ubl", "facturx") for p in (shared_data / folder).iterdir()}
    assert found == {g[0] for g in GOOD} | ELSEWHERE

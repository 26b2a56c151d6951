"""E-invoice import rules: amounts and their precision, due dates, customers, organizations, the command."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from recoup.ledger.imports.einvoice import EInvoiceError, import_einvoices, parse_document
from recoup.ledger.imports.einvoice.terms import net_days_from_text
from recoup.ledger.models import CreditNote, Customer, Invoice
from recoup.ledger.terms_actions import terms_create

BASE = "ubl/peppol-base-example.xml"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def one(org, name, data, system, now, **kw):
    return import_einvoices(org=org, files=[(name, data)], actor=system, now=now, **kw).files[0]


@pytest.mark.parametrize("text,days", [
    ("30 days net", 30), ("Net 30", 30), ("Payment within 30 days", 30), ("30 dagar netto. Dröjsmålsränta:12 %", 30),
    ("Zahlbar innerhalb 30 Tagen netto bis 04.04.2013, 3% Skonto innerhalb 10 Tagen", 30),
    ("PAIEMENT 30 JOURS NET", 30), ("Zahlbar sofort ohne Abzug.", 0), ("Due on receipt", 0),
    ("2 % discount if paid within 2 days", None), ("50% prepaid, 50% within one month", None), ("", None),
])
def test_payment_terms_texts_give_net_days(text, days):
    assert net_days_from_text(text) == days


def test_a_total_with_more_decimals_than_the_currency_has_is_refused(shared_data):
    data = (shared_data / BASE).read_bytes().replace(b'"EUR">1656.25</cbc:PayableAmount>', b'"EUR">1656.255</cbc:PayableAmount>')
    with pytest.raises(EInvoiceError) as exc:
        parse_document("x.xml", data)
    assert str(exc.value) == ("x.xml:/Invoice/cac:LegalMonetaryTotal/cbc:PayableAmount:amount due for payment "
                              "(BT-115): 1656.255 has more decimals than EUR allows (2)")


def test_yen_amounts_may_not_have_decimals(shared_data):
    data = (shared_data / BASE).read_bytes().replace(b"EUR", b"JPY")
    with pytest.raises(EInvoiceError) as exc:
        parse_document("x.xml", data)
    assert "has more decimals than JPY allows (0)" in str(exc.value)


def test_unit_prices_may_have_more_decimals_than_the_currency(org_a, shared_data, system, now):
    result = one(org_a, "p.xml", (shared_data / "ubl/sample-discount-price.xml").read_bytes(), system, now)
    line = Invoice.objects.for_org(org_a).get().lines.get()
    assert result.status == "created" and line.unit_price == Decimal("0.1212") and line.net_minor == 1212


def test_totals_that_do_not_add_up_are_refused_naming_the_total(shared_data):
    data = (shared_data / BASE).read_bytes().replace(b'"EUR">1656.25</cbc:TaxInclusiveAmount>',
                                                    b'"EUR">1656.35</cbc:TaxInclusiveAmount>')
    with pytest.raises(EInvoiceError) as exc:
        parse_document("x.xml", data)
    assert str(exc.value).startswith("x.xml:/Invoice/cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount:invoice total "
                                     "amount with VAT (BT-112): is 1656.35 but")


def test_a_document_type_declaration_is_refused_so_no_entity_reads_a_file():
    data = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    with pytest.raises(EInvoiceError) as exc:
        parse_document("evil.xml", data)
    assert "DTD" in str(exc.value) or "root" in str(exc.value)
    assert "root:" not in str(exc.value)  # nothing of /etc/passwd


def test_xml_that_is_no_invoice_is_refused_naming_the_root():
    with pytest.raises(EInvoiceError) as exc:
        parse_document("order.xml", b"<Order xmlns='urn:x'/>")
    assert str(exc.value).startswith("order.xml:/Order:root element:")


def test_without_due_date_or_terms_the_customers_terms_apply_and_the_result_says_so(org_a, shared_data, system, now):
    net60 = terms_create(org=org_a, name="Net 60", net_days=60, actor=system, now=now)
    Customer.objects.create(org=org_a, ref="CLIENT", legal_name="LE CLIENT", default_terms=net60)
    result = one(org_a, "min.xml", (shared_data / "facturx/factur-x-minimum.xml").read_bytes(), system, now)
    assert result.due_date == "2026-04-01" and result.customer == "CLIENT" and not result.customer_created
    assert "no due date in the document: due date from the customer's terms (Net 60)" in result.notes


def test_customers_are_matched_by_vat_id_before_name_and_only_in_their_organization(org_a, org_b, shared_data,
                                                                                     system, now):
    mine = Customer.objects.create(org=org_a, ref="SE4598375937", legal_name="Buyer AB (renamed)")
    Customer.objects.create(org=org_b, ref="X1", legal_name="Buyer Official Name")
    data = (shared_data / BASE).read_bytes()
    assert one(org_a, "a.xml", data, system, now).customer == mine.ref
    in_b = one(org_b, "a.xml", data, system, now)
    assert in_b.customer == "X1" and not in_b.customer_created  # by name, in org_b only
    assert Invoice.objects.for_org(org_a).get().customer == mine
    assert Invoice.objects.for_org(org_b).get().customer.ref == "X1"


def test_a_correction_cannot_reach_another_organizations_invoice(org_a, org_b, shared_data, system, now):
    assert one(org_a, "a.xml", (shared_data / BASE).read_bytes(), system, now).status == "created"
    data = (shared_data / "ubl/peppol-base-creditnote-correction.xml").read_bytes()
    result = one(org_b, "c.xml", data, system, now)
    assert "Snippet1, which is not in the ledger" in result.error
    assert not CreditNote.objects.exists()


def test_a_dry_run_stores_nothing_but_reports_what_would_happen(org_a, shared_data, system, now):
    files = [(n, (shared_data / n).read_bytes()) for n in (BASE, "ubl/peppol-base-negative-inv-correction.xml",
                                                          "facturx/validXRechnung.pdf")]
    result = import_einvoices(org=org_a, files=files, actor=system, now=now, dry_run=True)
    assert [f.status for f in result.files] == ["created", "created", "created"] and result.dry_run
    assert result.files[1].invoice == "Snippet1" and not result.files[2].pdf_kept
    assert not Invoice.objects.exists() and not Customer.objects.exists() and not CreditNote.objects.exists()


def call(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), err.getvalue() + str(exc)
    return 0, out.getvalue(), err.getvalue()


def test_the_command_imports_several_files_and_reports_each(org_a, shared_data):
    good, bad = shared_data / "facturx/validXRechnung.pdf", shared_data / "facturx/corrupt-factur-x-waytoosmall.pdf"
    code, out, err = call("import", "einvoice", str(good), str(bad), "--format", "json")
    assert code == 1 and "1 of 2 file(s) failed" in err
    assert f"{bad}:byte 0:file: not a readable PDF" in err
    report = json.loads(out)
    assert [(f["status"], f["number"], f["total"], f["currency"], f["due_date"]) for f in report["files"]] == [
        ("created", "RE-20190610/507", "571.04", "EUR", "2019-07-01"), ("failed", "", "", "", "")]
    code, out, _ = call("import", "einvoice", str(good))
    assert code == 0 and "skipped" in out and Invoice.objects.count() == 1
    assert Invoice.objects.get().issue_date == date(2019, 6, 10)


def test_the_command_still_takes_one_csv_file(org_a, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("ref,name\nC1,One\n")
    assert call("import", "customers", str(path), str(path))[0] != 0
    assert call("import", "customers", str(path))[0] == 0 and Customer.objects.count() == 1
    assert "CSV files only" in call("import", "einvoice", str(path), "--map", "a=b")[2]

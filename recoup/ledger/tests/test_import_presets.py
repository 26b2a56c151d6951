"""The tools' real exports (../shared/data/csv, read in place) import with --from and no --map."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

from recoup.ledger.imports import import_csv
from recoup.ledger.models import Contact, Customer, Invoice, Payment
from recoup.ledger.tests.test_import_command import call


def run(org, kind, data, system, now, **kw):
    return import_csv(org=org, kind=kind, name=f"{kind}.csv", data=data, actor=system, now=now, **kw)


def edited(path: Path, change) -> str:
    """The real export with some cells changed (``change(row)`` edits a row dict in place)."""
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=reader.fieldnames, lineterminator="\n")
    writer.writeheader()
    for row in reader:
        change(row)
        writer.writerow(row)
    return out.getvalue()


def test_freshbooks_clients_and_invoices_import_with_from_and_no_map(org_b, shared_data):
    csv_dir = shared_data / "csv"
    status, out, err = call("import", "customers", str(csv_dir / "freshbooks_clients.csv"), "--from", "freshbooks",
                            "--format", "json")
    assert status == 0, err
    assert json.loads(out)["created"] == 2
    marge = Customer.objects.get(org=org_b, legal_name="Marge Simpson")
    billing = Contact.objects.get(customer=marge)
    assert (marge.ref, marge.country, billing.email, billing.phone) == (
        "Marge Simpson", "US", "marge@simpsons.com", "867-5309")
    assert billing.postal_address == "2587 Sesame Street\nSpringfield\nIllinois"
    status, out, err = call("import", "invoices", str(csv_dir / "freshbooks_invoices.csv"), "--from", "freshbooks",
                            "--format", "json")
    assert status == 0, err
    assert (json.loads(out)["created"], json.loads(out)["customers_created"]) == (1, 0)
    invoice = Invoice.objects.get(org=org_b, number="0000001")
    assert (invoice.customer.legal_name, invoice.currency, invoice.total_minor, invoice.open_minor) == (
        "X-Men", "USD", 789000, 789000)  # 650.00 + 490.00 + 6750.00, one row per line
    assert invoice.issue_date == date(2021, 1, 28)


def test_a_paid_freshbooks_invoice_is_stored_with_nothing_open_and_its_payment_dated(org_b, shared_data, system, now):
    def paid(row):
        row["Invoice Status"], row["Date Paid"] = "paid", "2021-02-15"

    data = edited(shared_data / "csv" / "freshbooks_invoices.csv", paid)
    result = run(org_b, "invoices", data, system, now, source="freshbooks")
    assert result.ok, result.errors
    assert result.customers_created == 1  # no client file: the customer comes from "Client Name"
    invoice = Invoice.objects.get(org=org_b, number="0000001")
    assert (invoice.open_minor, invoice.status) == (0, "paid")
    assert list(Payment.objects.filter(org=org_b).values_list("date", "amount_minor")) == [(date(2021, 2, 15), 789000)]
    again = run(org_b, "invoices", data, system, now, source="freshbooks")
    assert (again.created, again.unchanged, Payment.objects.count()) == (0, 1, 1)


def test_wave_clients_and_the_account_transactions_export_import_with_their_payment_lines(org_b, shared_data):
    csv_dir = shared_data / "csv"
    status, out, err = call("import", "customers", str(csv_dir / "wave_clients.csv"), "--from", "wave",
                            "--format", "json")
    assert status == 0, err
    assert json.loads(out)["created"] == 4
    jessica = Customer.objects.get(org=org_b, legal_name="Jessica Jones")
    assert jessica.country == "AU"
    assert Contact.objects.get(customer=jessica).postal_address == "6548 Sesame Street\nApt 4\nNYC\nQueensland\n11213"
    status, out, err = call("import", "invoices", str(csv_dir / "wave_invoices.csv"), "--from", "wave",
                            "--format", "json")
    assert status == 0, err
    assert (json.loads(out)["created"], json.loads(out)["customers_created"]) == (3, 0)
    invoices = {i.number: (i.customer.legal_name, i.total_minor, i.open_minor)
                for i in Invoice.objects.for_org(org_b)}
    assert invoices == {"2": ("Mark Walberg", 497400, 497400), "3": ("Lucas Cage", 59050, 0),
                        "4": ("Jessica Jones", 350041, 350041)}
    payment = Payment.objects.get(org=org_b)
    assert (payment.date, payment.amount_minor, payment.customer.legal_name) == (date(2021, 1, 28), 59050, "Lucas Cage")


def test_a_bracketed_negative_payment_line_imports_as_a_payment(org_b, shared_data, system, now):
    def bracketed(row):
        if row["Amount (One column)"] == "-590.50":
            row["Amount (One column)"] = "(590.50)"

    data = edited(shared_data / "csv" / "wave_invoices.csv", bracketed)
    assert "(590.50)" in data
    result = run(org_b, "invoices", data, system, now, source="wave")
    assert result.ok and result.customers_created == 3, result.errors
    assert Invoice.objects.get(org=org_b, number="3").open_minor == 0


def test_zoho_drafts_are_not_imported_as_debts(org_b, shared_data):
    status, out, err = call("import", "invoices", str(shared_data / "csv" / "zoho_invoices.csv"), "--from", "zoho",
                            "--format", "json")
    assert status == 0, err
    assert (json.loads(out)["created"], json.loads(out)["skipped"]) == (0, 3)
    assert "a draft or void invoice is not a debt" in err
    assert not Invoice.objects.exists() and not Customer.objects.exists()


def test_zohos_balance_is_the_open_amount_of_each_invoice(org_b, shared_data, system, now):
    def statuses(row):
        if row["Invoice Number"] == "INV-000001":
            row["Invoice Status"] = "Overdue"
        elif row["Invoice Number"] == "INV-000002":
            row["Invoice Status"], row["Balance"], row["Last Payment Date"] = "PartiallyPaid", "60.00", "2021-02-10"
        else:
            row["Invoice Status"], row["Balance"], row["Last Payment Date"] = "Void", "0.00", ""

    result = run(org_b, "invoices", edited(shared_data / "csv" / "zoho_invoices.csv", statuses), system, now,
                 source="zoho")
    assert result.ok, result.errors
    assert (result.created, result.skipped, result.customers_created) == (2, 1, 2)
    stored = {i.number: (i.total_minor, i.open_minor, i.due_date, i.po_number)
              for i in Invoice.objects.for_org(org_b)}
    assert stored == {"INV-000001": (48975, 48975, date(2021, 1, 28), ""),
                      "INV-000002": (46000, 6000, date(2021, 1, 28), "654")}
    assert Payment.objects.get(org=org_b).date == date(2021, 2, 10)


def test_invoice2go_unsent_documents_are_drafts_and_its_balance_due_decides_what_is_open(org_b, shared_data,
                                                                                            system, now):
    path = shared_data / "csv" / "invoice2go_invoices.csv"
    result = run(org_b, "invoices", path.read_bytes(), system, now, source="invoice2go")
    assert result.ok and (result.created, result.skipped) == (0, 4)

    def sent(row):
        row["DocumentStatus"] = "sent"
        if row["DocumentNumber"] == "2":
            row["BalanceDueAmount"], row["AmountPaidAmount"], row["DatePaid"] = "20.2", "50", "2021-02-01"

    result = run(org_b, "invoices", edited(path, sent), system, now, source="invoice2go")
    assert result.ok and result.created == 4, result.errors
    stored = {i.number: (i.currency, i.total_minor, i.open_minor) for i in Invoice.objects.for_org(org_b)}
    assert stored == {"1": ("ILS", 95355, 95355), "2": ("USD", 7020, 2020), "3": ("USD", 36720, 36720),
                      "4": ("USD", 7290, 7290)}
    gordon = Customer.objects.get(org=org_b, legal_name="James Gordon")
    assert Contact.objects.get(customer=gordon).email == "commissionon@gotham.gov"


def test_invoice_ninja_payments_with_title_lines_and_dollar_amounts_settle_their_invoices(org_b, shared_data,
                                                                                           system, now):
    path = shared_data / "csv" / "invoiceninja_v4_payments.csv"
    rows = list(csv.reader(path.read_text().splitlines()[3:]))[1:]
    invoices: dict[str, tuple[str, str]] = {}
    for client, number, amount, _ in rows:
        if not amount.startswith("("):
            invoices.setdefault(number, (client, amount.strip().lstrip("$")))
    data = "number,customer_name,issue_date,amount,currency\n" + "".join(
        f'{n},"{c}",2019-10-01,{a},USD\n' for n, (c, a) in invoices.items())
    assert run(org_b, "invoices", data, system, now).ok
    result = run(org_b, "payments", path.read_bytes(), system, now, source="invoiceninja")
    assert result.ok, result.errors[:3]
    # One payment is in the file twice; the refund of $400.00, written in brackets, is left out, twice.
    assert (result.created, result.unchanged, result.skipped) == (len(rows) - 3, 1, 2)
    assert "($400.00)" in path.read_text() and "a negative payment (a refund or reversal) is not imported" in str(
        result.notes[0])
    assert not Invoice.objects.for_org(org_b).exclude(open_minor=0).exists()
    assert Payment.objects.get(org=org_b, named_invoice__number="2").date == date(2020, 2, 29)


def test_a_tool_without_a_preset_for_the_kind_is_refused_naming_those_that_have_one(org_b, shared_data):
    status, _, err = call("import", "payments", str(shared_data / "csv" / "zoho_invoices.csv"), "--from", "zoho")
    assert status != 0 and "Zoho Books has no preset for payments; for payments use one of:" in err


def test_invoicelys_export_imports_with_the_mapping_the_docs_give(org_b, shared_data):
    maps = ["Date=issue_date", "Due=due_date", "Details=number", "Client=customer_name", "Status=status",
            "Total=amount"]
    status, out, err = call("import", "invoices", str(shared_data / "csv" / "invoicely_invoices.csv"),
                            *sum([["--map", m] for m in maps], []), "--format", "json")
    assert status == 0, err
    invoice = Invoice.objects.get(org=org_b, number="INV-1")
    assert (invoice.customer.legal_name, invoice.issue_date, invoice.total_minor) == (
        "Bruce Wayne", date(2021, 1, 28), 102000)

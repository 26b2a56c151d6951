import csv
import io
import json
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from recoup.core.aging import bucket_index, bucket_labels
from recoup.ledger.models import Customer, Invoice, Payment



def call(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), err.getvalue() + str(exc)
    return 0, out.getvalue(), err.getvalue()


def write(path: Path, header: list[str], rows: list[list]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def customers_csv(tmp_path):
    return write(tmp_path / "customers.csv", ["ref", "name"], [[f"C{i:03}", f"Customer {i}"] for i in range(50)])


def test_a_thousand_rows_with_one_bad_date_and_one_unknown_customer_store_nothing(org_a, customers_csv, tmp_path):
    assert call("import", "customers", str(customers_csv))[0] == 0
    rows = [[f"INV-{i:04}", f"C{i % 50:03}", "2026-01-15", "", f"{i}.50"] for i in range(1000)]
    rows[417][2] = "2026-13-01"
    rows[802][1] = "C999"
    path = write(tmp_path / "invoices.csv", ["number", "customer_ref", "issue_date", "due_date", "amount"], rows)
    status, _, err = call("import", "invoices", str(path))
    assert status == 1
    assert f"{path}:419:issue_date: '2026-13-01' is not a date (use YYYY-MM-DD)" in err
    assert f"{path}:804:customer_ref: unknown customer 'C999' (import customers first)" in err
    assert "2 error(s); nothing was stored" in err
    assert not Invoice.objects.exists()
    rows[417][2], rows[802][1] = "2026-01-15", "C001"
    write(path, ["number", "customer_ref", "issue_date", "due_date", "amount"], rows)
    status, out, _ = call("import", "invoices", str(path), "--format", "json")
    assert status == 0 and json.loads(out)["created"] == 1000
    assert Invoice.objects.for_org(org_a).count() == 1000
    status, out, _ = call("import", "invoices", str(path), "--format", "json")
    assert (json.loads(out)["created"], json.loads(out)["unchanged"]) == (0, 1000)


def test_dry_run_stores_nothing(org_a, customers_csv):
    status, out, _ = call("import", "customers", str(customers_csv), "--dry-run", "--format", "json")
    assert status == 0 and json.loads(out)["created"] == 50 and json.loads(out)["dry_run"] is True
    assert not Customer.objects.exists()


def test_it_picks_the_org_by_slug_and_refuses_ambiguity(org_a, org_b, customers_csv):
    status, _, err = call("import", "customers", str(customers_csv))
    assert status == 1 and "several organizations exist; choose one with --org (acme, bolt)" in err
    assert call("import", "customers", str(customers_csv), "--org", "bolt")[0] == 0
    assert Customer.objects.filter(org=org_b).count() == 50 and not Customer.objects.filter(org=org_a).exists()


def test_a_foreign_file_is_refused_until_its_columns_are_mapped(org_b, shared_data):
    wave_clients = shared_data / "csv" / "wave_clients.csv"
    status, _, err = call("import", "customers", str(wave_clients))
    assert status == 1
    assert f"{wave_clients}:1:customer_name: unknown column 'customer_name' for customers" in err
    assert f"{wave_clients}:1:delivery_instructions: unknown column" in err
    assert f"{wave_clients}:1:name: required column 'name' is missing" in err
    keep = {"customer_name": "name", "email": "ref", "phone": "phone", "address_line_1": "address"}
    with wave_clients.open(newline="") as f:
        header = next(csv.reader(f))
    maps = [f"{src}={keep.get(src, '-')}" for src in header]
    status, out, err = call("import", "customers", str(wave_clients), *sum([["--map", m] for m in maps], []),
                            "--format", "json")
    assert status == 0, err
    assert json.loads(out)["created"] == 4
    homer = Customer.objects.get(org=org_b, ref="homer@simpsons.com")
    assert homer.legal_name == "Homer Simpson" and homer.contacts.get().phone == "555-875-5245"


def _us(text: str) -> date:
    return datetime.strptime(text, "%m/%d/%Y").date()


def test_the_ibm_receivables_data_set_imports_and_ages_as_computed_from_the_source(org_b, tmp_path, shared_data):
    ar_dataset = shared_data / "ar-dataset" / "WA_Fn-UseC_-Accounts-Receivable.csv"
    source = list(csv.DictReader(ar_dataset.open(newline="")))
    refs = sorted({r["customerID"] for r in source})
    write(tmp_path / "customers.csv", ["ref", "name"], [[ref, f"Customer {ref}"] for ref in refs])
    write(tmp_path / "invoices.csv", ["number", "customer_ref", "issue_date", "due_date", "amount", "currency"],
          [[r["invoiceNumber"], r["customerID"], _us(r["InvoiceDate"]), _us(r["DueDate"]), r["InvoiceAmount"], "USD"]
           for r in source])
    write(tmp_path / "payments.csv", ["date", "customer_ref", "amount", "reference", "invoice_number"],
          [[_us(r["SettledDate"]), r["customerID"], r["InvoiceAmount"], f"settles {r['invoiceNumber']}",
            r["invoiceNumber"]] for r in source])
    for kind in ("customers", "invoices", "payments"):
        status, out, err = call("import", kind, str(tmp_path / f"{kind}.csv"), "--format", "json")
        assert status == 0, err
        assert json.loads(out)["created"] == len(refs) if kind == "customers" else len(source)

    as_of = date(2013, 6, 30)
    labels = bucket_labels()
    expected: dict[str, Decimal] = defaultdict(Decimal)
    for r in source:
        if _us(r["InvoiceDate"]) <= as_of < _us(r["SettledDate"]):
            days = (as_of - _us(r["DueDate"])).days
            expected[labels[bucket_index(days)]] += Decimal(r["InvoiceAmount"])
    status, out, _ = call("aging", "--as-of", as_of.isoformat(), "--format", "json")
    totals = json.loads(out)["totals"]["USD"]
    assert {label: Decimal(totals[label]) for label in labels} == {label: expected[label] for label in labels}
    assert Decimal(totals["total"]) == sum(expected.values()) and totals["credit"] == "0.00"

    status, out, _ = call("check")
    assert (status, out) == (0, f"ledger OK ({len(source)} invoices, {len(source)} payments checked)\n")
    assert Payment.objects.filter(org=org_b, unapplied_minor=0).count() == len(source)

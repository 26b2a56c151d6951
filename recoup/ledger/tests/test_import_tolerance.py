"""Imports read dates in the organization's locale and amounts as exports write them, refuse what
they cannot read exactly, report every error of a file, and stay within their limits."""

from __future__ import annotations

from datetime import date

import pytest

from recoup.ledger.imports import Limits, import_csv
from recoup.ledger.models import CreditNote, Customer, Invoice
from recoup.orgs.models import Organization

CUSTOMERS = "ref,name\nC1,Alpha Ltd\nC2,Bravo Ltd\n"


def run(org, kind, data, system, now, **kw):
    return import_csv(org=org, kind=kind, name=f"{kind}.csv", data=data, actor=system, now=now, **kw)


@pytest.fixture
def uk(org_a, system, now):
    Organization.objects.filter(pk=org_a.pk).update(locale="en_GB")
    org_a.refresh_from_db()
    assert run(org_a, "customers", CUSTOMERS, system, now).ok
    return org_a


def test_a_row_with_too_many_cells_does_not_hide_the_files_other_errors(uk, system, now):
    data = ("number,customer_ref,issue_date,amount\n"
            "A-1,C1,2026-01-05,10.00,oops\n"
            "A-2,C1,2026-01-05,-25.00\n"
            "A-3,C2,2026-02-30,5.00\n")
    result = run(uk, "invoices", data, system, now)
    assert [(e.row, e.column) for e in result.errors] == [(2, ""), (3, "amount"), (4, "issue_date")]
    assert "5 cells but the header has 4" in result.errors[0].message
    assert "'-25.00' is negative: an invoice amount must be zero or more" in result.errors[1].message
    assert not Invoice.objects.exists()


def test_a_negative_invoice_amount_in_brackets_is_flagged_not_read_as_positive(uk, system, now):
    result = run(uk, "invoices", "number,customer_ref,issue_date,amount\nA-1,C1,2026-01-05,\"(1,250.00)\"\n", system,
                 now)
    assert [str(e) for e in result.errors] == [
        "invoices.csv:2:amount: '(1,250.00)' is negative: an invoice amount must be zero or more"
        " (import a credit as a credit note)"]


def test_a_day_first_file_imports_right_in_a_day_first_locale(uk, system, now):
    data = ("number,customer_ref,issue_date,due_date,amount\n"
            "A-1,C1,03/04/2026,25/04/2026,\"£1,250.50\"\n"
            "A-2,C2,1.2.2026,,99\n")
    result = run(uk, "invoices", data, system, now)
    assert result.ok, result.errors
    stored = {i.number: (i.issue_date, i.due_date, i.total_minor) for i in Invoice.objects.for_org(uk)}
    assert stored == {"A-1": (date(2026, 4, 3), date(2026, 4, 25), 125050),
                      "A-2": (date(2026, 2, 1), date(2026, 3, 3), 9900)}


def test_an_ambiguous_date_is_refused_with_the_row_named_not_guessed(uk, system, now):
    data = "number,customer_ref,issue_date,amount\nA-1,C1,03/04/2026,10\nA-2,C1,2026-04-05,10\nA-3,C2,05/06/2026,10\n"
    result = run(uk, "invoices", data, system, now)
    assert [(e.row, e.column) for e in result.errors] == [(2, "issue_date"), (4, "issue_date")]
    assert "'03/04/2026' is ambiguous: no date in this file has a day above 12" in result.errors[0].message
    chosen = run(uk, "invoices", data, system, now, date_order="mdy")
    assert chosen.ok and Invoice.objects.get(number="A-1").issue_date == date(2026, 3, 4)


def test_a_date_impossible_in_the_locales_order_is_an_error_naming_the_row(org_b, system, now):
    assert run(org_b, "customers", CUSTOMERS, system, now).ok
    data = "number,customer_ref,issue_date,amount\nB-1,C1,12/20/2026,10\nB-2,C1,25/12/2026,10\n"
    result = run(org_b, "invoices", data, system, now)  # locale "en": month first
    assert [str(e) for e in result.errors] == [
        "invoices.csv:3:issue_date: '25/12/2026' is not a date in month/day/year order (the organization's locale"
        " en); if the file writes them the other way round, choose that date order for this import"]


def test_currency_symbols_must_fit_the_amounts_currency(org_b, system, now):
    assert run(org_b, "customers", CUSTOMERS, system, now).ok
    data = "number,customer_ref,issue_date,amount\nB-1,C1,2026-01-05,\"$1,250.00\"\nB-2,C1,2026-01-05,€5.00\n"
    result = run(org_b, "invoices", data, system, now)
    assert [str(e) for e in result.errors] == [
        "invoices.csv:3:amount: '€5.00' is written in €, but the amount is in USD"]
    assert run(org_b, "invoices", data.replace("€", "$"), system, now).ok
    assert Invoice.objects.get(number="B-1").total_minor == 125000


def test_a_credit_note_written_as_a_negative_credits_its_size(uk, system, now):
    assert run(uk, "invoices", "number,customer_ref,issue_date,amount\nA-1,C1,2026-01-05,100\n", system, now).ok
    result = run(uk, "credit-notes", "number,customer_ref,date,amount,invoice_number\nCN-1,C1,06/01/2026,(20.00),A-1\n"
                 "CN-2,C1,13/01/2026,-5,A-1\n", system, now)
    assert result.ok, result.errors
    assert sorted(CreditNote.objects.values_list("number", "amount_minor")) == [("CN-1", 2000), ("CN-2", 500)]
    assert Invoice.objects.get(number="A-1").open_minor == 7500


def test_a_file_over_the_row_limit_is_refused_and_nothing_stored(uk, system, now):
    data = "ref,name\n" + "".join(f"N{i},Name {i}\n" for i in range(6))
    result = run(uk, "customers", data, system, now, limits=Limits(max_rows=5))
    assert [str(e) for e in result.errors] == [
        "customers.csv:7:: more than 5 rows, the most one import takes (RECOUP_IMPORT_MAX_ROWS): split the file"]
    assert run(uk, "customers", data, system, now, limits=Limits(max_rows=6)).ok


def test_a_file_over_the_byte_limit_is_refused_and_nothing_stored(uk, system, now):
    data = "ref,name\n" + "".join(f"N{i},Name {i}\n" for i in range(2000))
    result = run(uk, "customers", data.encode(), system, now, limits=Limits(max_bytes=10_000))
    assert len(result.errors) == 1 and "larger than 0.01 MB, the most one import takes" in result.errors[0].message
    assert result.errors[0].row > 500  # read up to the limit, as a stream, not refused from the start
    assert not Customer.objects.filter(org=uk, ref="N0").exists()


def test_errors_are_listed_up_to_the_limit_and_counted_beyond_it(uk, system, now):
    data = "number,customer_ref,issue_date,amount\n" + "".join(f"A-{i},NOPE,2026-01-01,1\n" for i in range(8))
    result = run(uk, "invoices", data, system, now, limits=Limits(max_errors=3))
    assert result.error_count == 8 and len(result.errors) == 4
    assert str(result.errors[-1]) == "invoices.csv:4:: ... and 5 more errors (the first 3 are listed)"


def test_an_amount_too_large_for_the_ledger_is_refused_before_anything_is_written(uk, system, now):
    data = "number,customer_ref,issue_date,amount\nA-1,C1,2026-01-05,99999999999999999999\n"
    result = run(uk, "invoices", data, system, now)
    assert [str(e) for e in result.errors] == ["invoices.csv:2:amount: '99999999999999999999' is too large an amount"]


def test_new_customers_named_alike_are_created_once_or_refused_before_writing(org_b, system, now):
    long = "A" * 64
    data = ("number,customer_name,issue_date,amount\n"
            "B-1,Harbour Cafe,2026-01-05,10\nB-2,HARBOUR CAFE,2026-01-06,10\n"
            f"B-3,{long}x,2026-01-05,10\nB-4,{long}y,2026-01-05,10\n")
    result = run(org_b, "invoices", data, system, now)
    assert [(e.row, e.column) for e in result.errors] == [(5, "customer_name")]
    assert "would both be new customers with the reference" in result.errors[0].message
    result = run(org_b, "invoices", "\n".join(data.splitlines()[:3]) + "\n", system, now)
    assert result.ok and result.customers_created == 1
    assert Invoice.objects.filter(customer__legal_name="Harbour Cafe").count() == 2

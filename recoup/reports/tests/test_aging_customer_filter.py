"""aging(customer_id=...): one customer's rows, exactly as in the whole organization's report."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from recoup.ledger.actions import credit_apply, credit_note_record, payment_record
from recoup.reports.aging import aging

DATES = [date(2026, 1, 15), date(2026, 2, 20), date(2026, 3, 31)]


@pytest.fixture
def two_customers(org_a, make_customer, make_invoice, system, now):
    north = make_customer(org_a, ref="N1", name="Northwind")
    south = make_customer(org_a, ref="S1", name="Southwind")
    for customer, prefix in ((north, "N"), (south, "S")):
        make_invoice(org_a, customer, f"{prefix}-1", "100.00", issue=date(2026, 1, 1), due=date(2026, 1, 31))
        make_invoice(org_a, customer, f"{prefix}-2", "40.00", issue=date(2026, 2, 1), due=date(2026, 4, 30))
        make_invoice(org_a, customer, f"{prefix}-USD", "25.00", issue=date(2026, 1, 10), currency="USD")
    payment_record(org=org_a, customer=north, date=date(2026, 2, 10), amount_minor=12000, currency="GBP",
                   actor=system, now=now)
    note = credit_note_record(org=org_a, customer=south, number="CN-1", date=date(2026, 1, 5), amount_minor=500,
                              currency="USD", actor=system, now=now, invoice=None)
    return {"north": north, "south": south, "note": note}


def _rows(report, customer_id):
    return [r for r in report.rows if r.customer_id == customer_id]


@pytest.mark.parametrize("by", ["customer", "invoice"])
def test_a_customer_filter_gives_that_customers_rows_of_the_whole_report(org_a, two_customers, by):
    for as_of in DATES:
        whole = aging(org=org_a, as_of=as_of, by=by)
        for customer in (two_customers["north"], two_customers["south"]):
            one = aging(org=org_a, as_of=as_of, by=by, customer_id=customer.pk)
            assert one.rows == _rows(whole, customer.pk), (as_of, customer.ref)
            assert one.rows, "each customer owes something on every date"


def test_it_keeps_credit_on_account_and_credit_applied_later(org_a, two_customers, system, now):
    south, note = two_customers["south"], two_customers["note"]
    # Dated before S-USD was issued, the credit note stays on account until applied on 2026-03-01.
    usd_invoice = south.invoices.get(number="S-USD")
    credit_apply(org=org_a, source=note, invoice=usd_invoice, on=date(2026, 3, 1), actor=system, now=now)
    before = aging(org=org_a, as_of=date(2026, 2, 28), customer_id=south.pk)
    usd = next(r for r in before.rows if r.currency == "USD")
    assert str(usd.credit) == "-5.00" and str(usd.total) == "20.00"
    after = aging(org=org_a, as_of=date(2026, 3, 31), customer_id=south.pk)
    usd = next(r for r in after.rows if r.currency == "USD")
    assert usd.credit == 0 and str(usd.total) == "20.00"


def test_the_filter_is_applied_in_the_database(org_a, two_customers):
    north = two_customers["north"]
    with CaptureQueriesContext(connection) as queries:
        aging(org=org_a, as_of=date(2026, 3, 31), by="invoice", customer_id=north.pk)
    report_sql = [q["sql"] for q in queries.captured_queries if "ledger_invoice" in q["sql"] or "ledger_payment" in q["sql"]]
    assert len(report_sql) == 2
    assert all("customer_id = " in sql for sql in report_sql)
    with CaptureQueriesContext(connection) as queries:
        aging(org=org_a, as_of=date(2026, 3, 31), by="invoice")
    assert not any(".customer_id = " in q["sql"] for q in queries.captured_queries)


def test_another_organizations_customer_gives_an_empty_report(org_a, org_b, two_customers, make_customer, make_invoice):
    bolt = make_customer(org_b, ref="B1", name="Bolt customer")
    make_invoice(org_b, bolt, "B-1", "10.00")
    assert aging(org=org_a, as_of=date(2026, 3, 31), customer_id=bolt.pk).rows == []
    assert aging(org=org_b, as_of=date(2026, 3, 31), customer_id=two_customers["north"].pk).rows == []
    assert aging(org=org_b, as_of=date(2026, 3, 31), customer_id=bolt.pk).rows

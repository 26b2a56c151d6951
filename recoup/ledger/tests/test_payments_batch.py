"""Many named payments at once leave the ledger exactly as one payment_record after another."""

from __future__ import annotations

from datetime import date

import pytest

from recoup.ledger.actions import LedgerError, invoice_write_off, payment_record
from recoup.ledger.bulk_actions import NamedPayment, payments_record_named
from recoup.ledger.checks import check_ledger
from recoup.ledger.models import Allocation, Invoice, Payment

NOW_DAY = date(2026, 3, 10)


def _book(org, make_customer, make_invoice, system, now):
    a, b = make_customer(org, ref="A"), make_customer(org, ref="B")
    invoices = [make_invoice(org, a, "INV-1", "100.00", due=date(2026, 2, 1)),
                make_invoice(org, a, "INV-2", "250.00", due=date(2026, 2, 15)),
                make_invoice(org, b, "INV-3", "80.00", due=date(2026, 2, 20))]
    invoice_write_off(org=org, invoice=invoices[2], amount_minor=3000, on=date(2026, 3, 1), reason="goodwill",
                      actor=system, now=now)
    return invoices


def _state(org):
    invoices = sorted(Invoice.objects.for_org(org).values_list("number", "open_minor", "status"))
    allocations = sorted(Allocation.objects.for_org(org).values_list("invoice__number", "amount_minor", "date"))
    payments = sorted(Payment.objects.for_org(org).values_list("named_invoice__number", "amount_minor",
                                                                "unapplied_minor", "reference"))
    return invoices, allocations, payments


PLAN = [("INV-1", 4000, "first half"), ("INV-1", 6000, "the rest"), ("INV-2", 10000, "part"), ("INV-3", 5000, "all")]


def test_a_batch_leaves_the_ledger_as_payments_one_by_one(org_a, org_b, make_customer, make_invoice, system, now):
    batch, single = _book(org_a, make_customer, make_invoice, system, now), _book(org_b, make_customer, make_invoice, system, now)
    by_number = {i.number: i for i in batch}
    payments_record_named(org=org_a, items=[NamedPayment(invoice=by_number[n], date=NOW_DAY, amount_minor=m, reference=r)
                                            for n, m, r in PLAN], actor=system, now=now)
    by_number = {i.number: i for i in single}
    for number, minor, reference in PLAN:
        invoice = Invoice.objects.get(pk=by_number[number].pk)
        payment_record(org=org_b, customer=invoice.customer, date=NOW_DAY, amount_minor=minor, currency=invoice.currency,
                       reference=reference, invoice=invoice, actor=system, now=now)
    assert _state(org_a) == _state(org_b)
    assert dict((n, s) for n, _, s in _state(org_a)[0]) == {"INV-1": "paid", "INV-2": "open", "INV-3": "written_off"}
    assert check_ledger(org=org_a).ok


def test_a_payment_larger_than_what_is_open_stops_the_whole_batch(org_a, make_customer, make_invoice, system, now):
    invoices = {i.number: i for i in _book(org_a, make_customer, make_invoice, system, now)}
    items = [NamedPayment(invoice=invoices["INV-2"], date=NOW_DAY, amount_minor=5000),
             NamedPayment(invoice=invoices["INV-1"], date=NOW_DAY, amount_minor=6000),
             NamedPayment(invoice=invoices["INV-1"], date=NOW_DAY, amount_minor=6000)]
    with pytest.raises(LedgerError, match="INV-1: 60.00 GBP is more than the 40.00 GBP still open"):
        payments_record_named(org=org_a, items=items, actor=system, now=now)
    assert not Payment.objects.exists()


def test_another_organizations_invoice_is_refused(org_a, org_b, make_customer, make_invoice, system, now):
    theirs = make_invoice(org_b, make_customer(org_b, ref="X"), "INV-X", "10.00", due=date(2026, 2, 1))
    with pytest.raises(LedgerError, match="INV-X belongs to another organization"):
        payments_record_named(org=org_a, items=[NamedPayment(invoice=theirs, date=NOW_DAY, amount_minor=100)],
                              actor=system, now=now)

"""Aging as of a past date puts back a charge waived after it: the report matches the ledger on that day."""

from __future__ import annotations

from datetime import date

from recoup.ledger.actions import charge_add
from recoup.ledger.charge_actions import charge_waive
from recoup.reports.aging import aging


def test_a_waiver_counts_from_its_own_date(org_a, make_customer, make_invoice, system, now):
    customer = make_customer(org_a, ref="W1", name="Waived Ltd")
    invoice = make_invoice(org_a, customer, "W-1", "100.00", issue=date(2026, 1, 1), due=date(2026, 1, 31))
    fee = charge_add(org=org_a, invoice=invoice, kind="late_fee", on=date(2026, 2, 10), amount_minor=2500,
                     actor=system, now=now, description="Late fee")
    charge_waive(org=org_a, charge=fee, on=date(2026, 3, 1), reason="goodwill", actor=system, now=now,
                 amount_minor=1000)

    def total(as_of):
        return sum(sum(r.buckets_minor) for r in aging(org=org_a, as_of=as_of, by="invoice").rows)

    assert (total(date(2026, 2, 5)), total(date(2026, 2, 20)), total(date(2026, 3, 5))) == (10000, 12500, 11500)

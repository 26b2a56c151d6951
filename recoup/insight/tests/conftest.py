"""The worked example of docs/metrics.md written through the real ledger, in org_a; a decoy in org_b."""

from __future__ import annotations

from datetime import date

import pytest


@pytest.fixture
def example(org_a, org_b, make_customer, make_invoice, system, now):
    from recoup.ledger.actions import payment_record

    a = make_customer(org_a, ref="A", name="Alder Ltd")
    b = make_customer(org_a, ref="B", name="Birch Ltd", credit_limit_minor=300000)
    inv = {}
    for key, cust, issued, due, amount in [
        ("INV-1", a, date(2025, 12, 15), date(2026, 1, 14), "1000.00"),
        ("INV-2", a, date(2026, 1, 10), date(2026, 2, 9), "2000.00"),
        ("INV-3", b, date(2026, 1, 31), date(2026, 3, 2), "3000.00"),
        ("INV-4", b, date(2026, 2, 20), date(2026, 3, 22), "1500.00"),
        ("INV-5", a, date(2026, 3, 5), date(2026, 4, 4), "2500.00"),
        ("INV-6", a, date(2026, 3, 20), date(2026, 4, 19), "1000.00"),
    ]:
        inv[key] = make_invoice(org_a, cust, key, amount, issue=issued, due=due)
    for key, on, minor in [("INV-1", date(2026, 1, 20), 100000), ("INV-2", date(2026, 2, 9), 200000),
                           ("INV-3", date(2026, 3, 10), 100000), ("INV-6", date(2026, 3, 30), 100000)]:
        invoice = inv[key]
        payment_record(org=org_a, customer=invoice.customer, date=on, amount_minor=minor, currency="GBP",
                       invoice=invoice, actor=system, now=now)
    # org_b owes a lot in GBP too: nothing of it may show in org_a's figures.
    decoy = make_customer(org_b, ref="A", name="Decoy")
    make_invoice(org_b, decoy, "INV-1", "99999.00", issue=date(2026, 3, 1), due=date(2026, 3, 2), currency="GBP")
    return {"a": a, "b": b, **inv}

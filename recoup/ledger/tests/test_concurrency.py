"""Two payments for one customer arriving at once must not both take the same open invoice."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection

from recoup.ledger.actions import payment_record
from recoup.ledger.models import Allocation, Invoice, Payment

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_unnamed_payments_never_over_allocate(org_a, make_customer, make_invoice, system, now):
    customer = make_customer(org_a)
    make_invoice(org_a, customer, "INV-1", "100.00", issue=date(2026, 1, 1), due=date(2026, 1, 31))
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def pay() -> None:
        try:
            barrier.wait()
            payment_record(org=org_a, customer=customer, date=date(2026, 2, 1), amount_minor=6000,
                           currency="GBP", actor=system, now=now)
        except BaseException as exc:  # reported below; a thread's exception is otherwise lost
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    invoice = Invoice.objects.get(number="INV-1")
    assert invoice.open_minor == 0
    assert sum(Allocation.objects.filter(invoice=invoice).values_list("amount_minor", flat=True)) == 10000
    # 4 x 60.00 received against 100.00 owed: 140.00 stays on account, not a cent lost.
    assert sum(Payment.objects.values_list("unapplied_minor", flat=True)) == 14000

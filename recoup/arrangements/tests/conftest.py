"""Fixtures for arrangements: org_a with the five-step policy and a debtor with two overdue invoices."""

from __future__ import annotations

from datetime import date

import pytest

# Fixtures reused as is: the five-step policy and debtors with contacts; users of every role.
from recoup.collections.tests.conftest import at, debtor, five_step  # noqa: F401
from recoup.web.tests.conftest import as_user, frozen_clock, members  # noqa: F401


@pytest.fixture
def owed(org_a, debtor, make_invoice, five_step):  # noqa: F811
    """C001 owes INV-1 (600.00, due 2026-03-01) and INV-2 (300.00, due 2026-03-20); today is 2026-03-31."""
    customer = debtor(org_a, "C001")
    return {
        "customer": customer,
        "inv1": make_invoice(org_a, customer, "INV-1", "600.00", due=date(2026, 3, 1)),
        "inv2": make_invoice(org_a, customer, "INV-2", "300.00", due=date(2026, 3, 20)),
    }


@pytest.fixture
def debtor_of(org_a):
    from recoup.arrangements.actions import debtor_actor

    return debtor_actor


def day(d: date, hour: int = 9):
    return at(d, hour)

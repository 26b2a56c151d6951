"""The hand-worked example of docs/metrics.md, figure by figure."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from recoup.core import metrics as m

D = date(2026, 3, 31)


def inv(key, customer, issued, due, total, paid=(), **kw):
    return m.InvoiceFacts(key=key, customer=customer, issue_date=issued, due_date=due,
                          total_minor=total, reductions=tuple(paid), **kw)


# docs/metrics.md, "The worked example" (amounts in pence: 100000 = 1,000.00 GBP)
EXAMPLE = [
    inv("INV-1", "A", date(2025, 12, 15), date(2026, 1, 14), 100000, [(date(2026, 1, 20), 100000)]),
    inv("INV-2", "A", date(2026, 1, 10), date(2026, 2, 9), 200000, [(date(2026, 2, 9), 200000)]),
    inv("INV-3", "B", date(2026, 1, 31), date(2026, 3, 2), 300000, [(date(2026, 3, 10), 100000)]),
    inv("INV-4", "B", date(2026, 2, 20), date(2026, 3, 22), 150000),
    inv("INV-5", "A", date(2026, 3, 5), date(2026, 4, 4), 250000),
    inv("INV-6", "A", date(2026, 3, 20), date(2026, 4, 19), 100000, [(date(2026, 3, 30), 100000)]),
]


def test_receivables_current_and_sales_of_the_example():
    assert m.receivables(EXAMPLE, D) == 600000
    assert m.current_receivables(EXAMPLE, D) == 250000
    assert m.sales(EXAMPLE, date(2025, 12, 31), D) == 1000000


def test_dso_best_possible_dso_and_average_days_delinquent():
    assert m.dso(EXAMPLE, D) == Decimal("54.0")
    assert m.best_possible_dso(EXAMPLE, D) == Decimal("22.5")
    assert m.average_days_delinquent(EXAMPLE, D) == Decimal("31.5")


def test_countback_dso_walks_back_whole_months_then_a_share_of_one():
    assert m.countback_dso(EXAMPLE, D) == Decimal("65.2")


def test_cei_over_march():
    assert m.cei(EXAMPLE, date(2026, 2, 28), D) == Decimal("36.4")


def test_percent_current():
    assert m.percent_current(EXAMPLE, D) == Decimal("41.7")


def test_aging_trend_month_by_month():
    trend = m.aging_trend(EXAMPLE, D, months=2)
    assert [p.on for p in trend] == [date(2026, 1, 31), date(2026, 2, 28), D]
    # 31 Jan: INV-2 current, INV-3 current (issued that day) -> 5,000.00 current.
    assert trend[0].buckets_minor == [500000, 0, 0, 0, 0]
    # 28 Feb: INV-3 and INV-4 current.
    assert trend[1].buckets_minor == [450000, 0, 0, 0, 0]
    assert trend[2].buckets_minor == [250000, 350000, 0, 0, 0]
    assert trend[2].dso == Decimal("54.0")


def test_customer_habits_average_days_late_and_on_time_rate():
    a = m.customer_habits(EXAMPLE, D, customer="A", broken_promises=1, disputes=0)
    assert (a.paid_count, a.average_days_late, a.on_time_rate) == (3, Decimal("2.0"), Decimal("66.7"))
    assert a.trend == "unknown" and a.broken_promises == 1
    b = m.customer_habits(EXAMPLE, D, customer="B")
    assert (b.paid_count, b.average_days_late, b.on_time_rate) == (0, None, None)


def test_the_trend_compares_the_last_90_days_with_the_90_before():
    late_now = [inv("X1", "C", date(2025, 10, 1), date(2025, 10, 31), 100, [(date(2025, 11, 5), 100)]),
                inv("X2", "C", date(2026, 1, 1), date(2026, 1, 31), 100, [(date(2026, 3, 2), 100)])]
    h = m.customer_habits(late_now, D, customer="C")
    assert (h.earlier_days_late, h.recent_days_late, h.trend) == (Decimal("5.0"), Decimal("30.0"), "worse")
    assert m.trend_word(Decimal(2), Decimal(10)) == "better"
    assert m.trend_word(Decimal(9), Decimal(10)) == "steady"


def test_written_off_and_partly_paid_invoices_are_not_paid():
    w = inv("W", "A", date(2026, 1, 1), date(2026, 1, 31), 100, [(date(2026, 2, 10), 100)], written_off=True)
    assert m.customer_habits([w], D, customer="A").paid_count == 0
    assert EXAMPLE[2].settled_on(D) is None


def test_a_charge_after_payment_reopens_the_invoice():
    i = m.InvoiceFacts("C", "A", date(2026, 1, 1), date(2026, 1, 31), 100,
                       reductions=((date(2026, 2, 1), 100), (date(2026, 2, 20), 10)),
                       charges=((date(2026, 2, 10), 10),))
    assert i.settled_on(date(2026, 2, 5)) == date(2026, 2, 1)
    assert i.settled_on(date(2026, 2, 15)) is None
    assert i.settled_on(D) == date(2026, 2, 20)


@pytest.mark.parametrize("fn", [m.dso, m.best_possible_dso, m.countback_dso, m.percent_current])
def test_no_sales_and_nothing_owed_give_no_figure(fn):
    assert fn([], D) is None

"""The cash forecast spreads each open invoice over the weeks its residuals allow."""

from __future__ import annotations

from datetime import date, timedelta

from recoup.core import forecast as f

AS_OF = date(2026, 3, 31)


def test_with_no_uncertainty_each_invoice_lands_in_its_predicted_week():
    items = [f.OpenItem("A", "c1", 1000, AS_OF + timedelta(days=3)),
             f.OpenItem("B", "c1", 500, AS_OF + timedelta(days=10)),
             f.OpenItem("C", "c2", 200, AS_OF + timedelta(days=200))]
    fc = f.forecast(items, [0.0], as_of=AS_OF)
    assert len(fc.weeks) == 13 and fc.weeks[0].start == date(2026, 4, 1)
    assert [w.expected_minor for w in fc.weeks[:3]] == [1000, 500, 0]
    assert fc.weeks[0].low_minor == fc.weeks[0].high_minor == 1000
    assert fc.later_minor == 200
    assert fc.p_late == {"A": 0.0, "B": 0.0, "C": 1.0}


def test_money_is_conserved_and_the_range_brackets_the_expectation():
    items = [f.OpenItem(str(i), "c", 10000 + i, AS_OF + timedelta(days=i % 40)) for i in range(60)]
    fc = f.forecast(items, [-10, -3, 0, 2, 5, 9, 20, 45], as_of=AS_OF, seed=1)
    total = sum(w.expected_minor for w in fc.weeks) + fc.later_minor
    assert abs(total - sum(i.open_minor for i in items)) <= 14  # rounding of 14 means
    assert all(w.low_minor <= w.expected_minor <= w.high_minor for w in fc.weeks)
    assert any(w.low_minor < w.high_minor for w in fc.weeks)


def test_an_invoice_already_past_its_prediction_is_expected_later_not_yesterday():
    fc = f.forecast([f.OpenItem("old", "c", 700, AS_OF - timedelta(days=60))], [-5.0, 0.0, 5.0], as_of=AS_OF)
    assert fc.weeks[0].expected_minor == 700  # within the coming week, never in the past


def test_the_work_queue_puts_the_largest_amount_at_risk_first():
    items = [f.OpenItem("small-risky", "c", 1000, AS_OF), f.OpenItem("big-safe", "c", 100000, AS_OF),
             f.OpenItem("big-risky", "c", 50000, AS_OF)]
    q = f.work_queue(items, {"small-risky": 1.0, "big-safe": 0.0, "big-risky": 0.8}, call_lift=0.5)
    assert [i.key for i in q] == ["big-risky", "small-risky", "big-safe"]
    assert q[0].value_minor == 20000

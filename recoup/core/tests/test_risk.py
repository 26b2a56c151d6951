"""The risk score's factors add up as docs/metrics.md says; the credit warning warns, never refuses."""

from __future__ import annotations

from decimal import Decimal

from recoup.core import risk


def test_a_late_payer_over_its_limit_scores_high_with_every_factor_shown():
    s = risk.score(paid_count=4, average_days_late=Decimal("12.0"), on_time_rate=Decimal("50.0"), trend="worse",
                   open_minor=350000, overdue_minor=350000, credit_limit_minor=300000, broken_promises=1, disputes=0)
    points = {f.name: f.points for f in s.factors}
    assert points == {"average days late": 6, "pays late often": 10, "getting later": 10, "overdue now": 15,
                      "broken promises": 5, "over credit limit": 10}
    assert (s.score, s.band) == (56, "high")


def test_a_good_payer_scores_zero_and_a_new_customer_has_one_explained_factor():
    good = risk.score(paid_count=10, average_days_late=Decimal(0), on_time_rate=Decimal(100), trend="steady",
                      open_minor=1000, overdue_minor=0, credit_limit_minor=None, broken_promises=0, disputes=0)
    assert (good.score, good.band, good.factors) == (0, "low", [])
    new = risk.score(paid_count=0, average_days_late=None, on_time_rate=None, trend="unknown",
                     open_minor=0, overdue_minor=0, credit_limit_minor=None, broken_promises=0, disputes=0)
    assert new.score == 15 and [f.name for f in new.factors] == ["no payment history"]


def test_caps_keep_each_factor_and_the_total_bounded():
    s = risk.score(paid_count=1, average_days_late=Decimal(400), on_time_rate=Decimal(0), trend="worse",
                   open_minor=10, overdue_minor=10, credit_limit_minor=0, broken_promises=9, disputes=9)
    assert max(f.points for f in s.factors) == 30 and s.score == 100


def test_limit_use_and_the_new_invoice_warning():
    assert risk.limit_use(150000, 200000) == Decimal("75.0")
    assert risk.limit_use(1, None) is None
    assert risk.credit_warning(open_minor=150000, new_minor=50000, credit_limit_minor=200000, on_hold=False) == []
    assert risk.credit_warning(open_minor=150000, new_minor=50001, credit_limit_minor=200000, on_hold=True) == [
        "This customer is on credit hold.", "This invoice takes the customer's balance over its credit limit."]

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recoup.core.instalments import (
    InstalmentError,
    Limits,
    build_schedule,
    limit_breaches,
    months_spanned,
    plan_progress,
    schedule_dates,
    split_total,
)

FREQUENCIES = ["weekly", "fortnightly", "monthly"]
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))


@given(total=st.integers(0, 10**12), count=st.integers(1, 120))
def test_instalments_always_sum_to_the_total_to_the_cent(total, count):
    parts = split_total(total, count)
    assert sum(parts) == total
    assert len(parts) == count
    # All equal but the last, which carries the rounding (less than one minor unit per instalment).
    assert len(set(parts[:-1])) <= 1
    assert 0 <= parts[-1] - parts[0] < count


@given(total=st.integers(1, 10**10), count=st.integers(1, 60), freq=st.sampled_from(FREQUENCIES), first=days,
       down=st.integers(0, 10**10))
def test_a_schedule_with_a_down_payment_sums_to_the_total(total, count, freq, first, down):
    down = down % total
    plan = build_schedule(total_minor=total, count=count, frequency=freq, first_date=first,
                          down_payment_minor=down, down_payment_date=first - timedelta(days=3))
    assert sum(s.amount_minor for s in plan) == total
    assert [s.number for s in plan] == ([0] if down else []) + list(range(1, count + 1))
    dates = [s.due_date for s in plan]
    assert dates == sorted(dates) and len(set(dates)) == len(dates)


def test_the_rounding_goes_to_the_last_instalment():
    assert split_total(10000, 3) == [3333, 3333, 3334]
    assert split_total(2, 3) == [0, 0, 2]


@pytest.mark.parametrize("first, expected", [
    (date(2026, 1, 31), [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]),
    (date(2026, 1, 30), [date(2026, 1, 30), date(2026, 2, 28), date(2026, 3, 30), date(2026, 4, 30)]),
    (date(2026, 2, 28), [date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31)]),
    (date(2027, 12, 15), [date(2027, 12, 15), date(2028, 1, 15), date(2028, 2, 15), date(2028, 3, 15)]),
    (date(2028, 1, 29), [date(2028, 1, 29), date(2028, 2, 29), date(2028, 3, 29), date(2028, 4, 29)]),
])
def test_monthly_dates_handle_month_ends(first, expected):
    assert schedule_dates(first, 4, "monthly") == expected


@given(first=days, count=st.integers(1, 36))
def test_monthly_dates_fall_once_in_each_consecutive_month(first, count):
    dates = schedule_dates(first, count, "monthly")
    months = [(d.year * 12 + d.month) for d in dates]
    assert months == list(range(months[0], months[0] + count))
    for d in dates:
        last = calendar.monthrange(d.year, d.month)[1]
        month_end = first.day == calendar.monthrange(first.year, first.month)[1]
        assert d.day == (last if month_end else min(first.day, last))


def test_weekly_and_fortnightly_dates():
    assert schedule_dates(date(2026, 4, 1), 3, "weekly") == [date(2026, 4, 1), date(2026, 4, 8), date(2026, 4, 15)]
    assert schedule_dates(date(2026, 4, 1), 2, "fortnightly") == [date(2026, 4, 1), date(2026, 4, 15)]


@pytest.mark.parametrize("kwargs, message", [
    ({"count": 0}, "between 1 and"),
    ({"frequency": "daily"}, "frequency must be"),
    ({"total_minor": 0}, "nothing to pay"),
    ({"down_payment_minor": 1000}, "down payment"),
])
def test_nonsense_plans_are_refused(kwargs, message):
    args = {"total_minor": 1000, "count": 2, "frequency": "monthly", "first_date": date(2026, 4, 1)} | kwargs
    with pytest.raises(InstalmentError, match=message):
        build_schedule(**args)


LIMITS = Limits(max_months=6, min_instalment_minor=2500, max_balance_minor=500000)


def test_a_plan_within_the_limits_has_no_breach():
    plan = build_schedule(total_minor=60000, count=6, frequency="monthly", first_date=date(2026, 4, 30))
    assert limit_breaches(limits=LIMITS, schedule=plan, today=date(2026, 3, 31)) == []


def test_each_limit_is_named():
    too_long = build_schedule(total_minor=60000, count=12, frequency="monthly", first_date=date(2026, 4, 30))
    assert limit_breaches(limits=LIMITS, schedule=too_long, today=date(2026, 3, 31)) == [
        "The plan runs 12 months; plans online may run up to 6."]
    too_small = build_schedule(total_minor=6000, count=3, frequency="weekly", first_date=date(2026, 4, 3))
    assert limit_breaches(limits=LIMITS, schedule=too_small, today=date(2026, 3, 31)) == [
        "Each instalment must be at least the minimum instalment."]
    too_big = build_schedule(total_minor=600000, count=1, frequency="weekly", first_date=date(2026, 4, 3))
    assert limit_breaches(limits=LIMITS, schedule=too_big, today=date(2026, 3, 31)) == [
        "The balance is larger than can be arranged online."]


def test_months_spanned_counts_started_months():
    assert months_spanned(date(2026, 3, 31), date(2026, 3, 31)) == 0
    assert months_spanned(date(2026, 3, 31), date(2026, 4, 30)) == 1
    assert months_spanned(date(2026, 3, 1), date(2026, 4, 2)) == 2


def test_progress_covers_payments_in_order_and_finds_the_missed():
    plan = build_schedule(total_minor=30000, count=3, frequency="monthly", first_date=date(2026, 4, 1))
    on_time = plan_progress(schedule=plan, paid_minor=10000, today=date(2026, 5, 5), grace_days=5)
    assert on_time.covered == (True, False, False) and on_time.missed == () and not on_time.broken
    late = plan_progress(schedule=plan, paid_minor=10000, today=date(2026, 5, 7), grace_days=5)
    assert late.missed == (2,) and late.broken
    done = plan_progress(schedule=plan, paid_minor=30000, today=date(2026, 9, 1), grace_days=5)
    assert done.completed and not done.broken


@given(total=st.integers(1, 10**8), count=st.integers(1, 24), paid=st.integers(0, 10**8), offset=st.integers(0, 800))
def test_a_plan_fully_paid_is_never_broken(total, count, paid, offset):
    plan = build_schedule(total_minor=total, count=count, frequency="monthly", first_date=date(2026, 4, 1))
    progress = plan_progress(schedule=plan, paid_minor=paid, today=date(2026, 4, 1) + timedelta(days=offset),
                             grace_days=3)
    assert progress.completed == (paid >= total)
    if progress.completed:
        assert not progress.broken and all(progress.covered)

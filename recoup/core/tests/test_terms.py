import json
from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from recoup.core.money import D
from recoup.core.terms import (
    LateFeeKind,
    Terms,
    discount_deadline,
    due_date,
    early_payment_discount,
    late_fee_minor,
    months_started,
)

dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@pytest.mark.parametrize("issue, terms, due", [
    (date(2026, 1, 15), Terms(), date(2026, 2, 14)),
    (date(2026, 1, 15), Terms(name="Due on receipt", net_days=0), date(2026, 1, 15)),
    (date(2026, 1, 15), Terms(name="EOM", net_days=0, end_of_month=True), date(2026, 1, 31)),
    (date(2026, 1, 31), Terms(name="Net 30 EOM", end_of_month=True), date(2026, 3, 2)),
    (date(2026, 2, 1), Terms(name="Net 30 EOM", end_of_month=True), date(2026, 3, 30)),
    (date(2024, 2, 10), Terms(name="EOM", net_days=0, end_of_month=True), date(2024, 2, 29)),
    (date(2026, 12, 5), Terms(name="Net 15 EOM", net_days=15, end_of_month=True), date(2027, 1, 15)),
])
def test_it_computes_due_dates(issue, terms, due):
    assert due_date(issue, terms) == due


@given(issue=dates, net=st.integers(0, 365), eom=st.booleans())
def test_a_due_date_is_never_before_the_issue_date(issue, net, eom):
    terms = Terms(name="t", net_days=net, end_of_month=eom)
    due = due_date(issue, terms)
    assert due >= issue
    if eom:
        assert (due - timedelta(days=net) + timedelta(days=1)).day == 1
    else:
        assert (due - issue).days == net


def test_it_gives_the_discount_deadline_counting_from_the_issue_date():
    terms = Terms(name="2/10 Net 30", discount_percent=D("2"), discount_days=10)
    assert discount_deadline(date(2026, 1, 25), terms) == date(2026, 2, 4)
    assert discount_deadline(date(2026, 1, 25), Terms()) is None


def test_the_discount_is_earned_up_to_and_including_the_last_day():
    terms = Terms(name="2/10 Net 30", discount_percent=D("2"), discount_days=10)
    issue = date(2026, 1, 1)
    assert early_payment_discount(10000, issue, date(2026, 1, 11), terms, "USD") == 200
    assert early_payment_discount(10000, issue, date(2026, 1, 12), terms, "USD") == 0
    assert early_payment_discount(10000, issue, issue, Terms(), "USD") == 0


@pytest.mark.parametrize("total, percent, expected", [(12345, "2", 247), (25, "2", 1), (24, "2", 0), (999, "1.5", 15)])
def test_the_discount_is_rounded_half_up_to_the_minor_unit(total, percent, expected):
    terms = Terms(name="d", discount_percent=D(percent), discount_days=10)
    assert early_payment_discount(total, date(2026, 1, 1), date(2026, 1, 2), terms, "USD") == expected


def test_the_discount_refuses_a_negative_total_or_bad_currency():
    terms = Terms(name="d", discount_percent=D("2"), discount_days=10)
    with pytest.raises(ValueError):
        early_payment_discount(-1, date(2026, 1, 1), date(2026, 1, 2), terms, "USD")
    with pytest.raises(ValueError):
        early_payment_discount(100, date(2026, 1, 1), date(2026, 1, 2), terms, "usd")


DUE = date(2026, 1, 31)


def fee(terms, as_of, principal=10000, already=0, currency="USD"):
    return late_fee_minor(principal_minor=principal, currency=currency, due_date=DUE, as_of=as_of,
                          terms=terms, already_charged_minor=already)


def test_no_late_fee_without_a_rule_or_before_the_day_after_due_plus_grace():
    assert fee(Terms(), date(2027, 1, 1)) == 0
    flat = Terms(name="f", late_fee_kind=LateFeeKind.FLAT, late_fee_flat=D("25"), grace_days=5)
    assert fee(flat, DUE + timedelta(days=5)) == 0
    assert fee(flat, DUE + timedelta(days=6)) == 2500
    assert fee(flat, DUE + timedelta(days=6), principal=0) == 0


def test_a_flat_late_fee_is_charged_once_in_the_currencys_minor_unit():
    flat = Terms(name="f", late_fee_kind="flat", late_fee_flat=D("25.005"))
    assert fee(flat, date(2026, 2, 1)) == 2501
    assert fee(flat, date(2026, 2, 1), currency="KWD") == 25005
    assert fee(flat, date(2026, 2, 1), currency="JPY") == 25
    assert fee(flat, date(2026, 9, 1), already=2501) == 0


def test_a_percent_once_late_fee_is_a_rounded_share_of_the_principal():
    once = Terms(name="p", late_fee_kind=LateFeeKind.PERCENT_ONCE, late_fee_percent=D("1.5"))
    assert fee(once, date(2026, 2, 1), principal=12345) == 185
    assert fee(once, date(2027, 2, 1), principal=12345, already=185) == 0


def test_a_monthly_late_fee_accrues_per_started_month_after_grace():
    monthly = Terms(name="m", late_fee_kind=LateFeeKind.PERCENT_MONTHLY, late_fee_percent=D("2"), grace_days=0)
    assert fee(monthly, date(2026, 2, 1)) == 200
    assert fee(monthly, date(2026, 2, 28)) == 200
    assert fee(monthly, date(2026, 3, 1)) == 400
    assert fee(monthly, date(2026, 3, 31)) == 400
    assert fee(monthly, date(2026, 4, 1)) == 600
    assert fee(monthly, date(2026, 4, 1), already=400) == 200
    assert fee(monthly, date(2026, 4, 1), already=1000) == 0


def test_late_fee_refuses_negative_amounts():
    with pytest.raises(ValueError):
        fee(Terms(), date(2026, 3, 1), principal=-1)
    with pytest.raises(ValueError):
        fee(Terms(), date(2026, 3, 1), already=-1)


@pytest.mark.parametrize("start, as_of, months", [
    (date(2026, 1, 31), date(2026, 1, 31), 0), (date(2026, 1, 31), date(2026, 2, 1), 1),
    (date(2026, 1, 31), date(2026, 2, 28), 1), (date(2026, 1, 31), date(2026, 3, 1), 2),
    (date(2026, 1, 15), date(2026, 2, 15), 1), (date(2026, 1, 15), date(2026, 2, 16), 2),
    (date(2025, 12, 20), date(2026, 1, 5), 1), (date(2025, 1, 1), date(2026, 1, 2), 13),
])
def test_it_counts_started_months_of_lateness(start, as_of, months):
    assert months_started(start, as_of) == months


@given(start=dates, later=st.integers(1, 2000))
def test_started_months_grow_with_time_and_match_their_definition(start, later):
    as_of = start + timedelta(days=later)
    k = months_started(start, as_of)
    assert k >= 1
    assert months_started(start, as_of - timedelta(days=1)) <= k
    assert start + relativedelta(months=k - 1) < as_of <= start + relativedelta(months=k)


@given(
    due=dates, grace=st.integers(0, 30), days=st.integers(-40, 800), principal=st.integers(0, 10**9),
    kind=st.sampled_from(list(LateFeeKind)),
)
def test_a_late_fee_is_never_negative_and_never_before_grace_ends(due, grace, days, principal, kind):
    terms = Terms(name="t", late_fee_kind=kind, late_fee_flat=D("10"), late_fee_percent=D("1.25"), grace_days=grace)
    as_of = due + timedelta(days=days)
    owed = late_fee_minor(principal_minor=principal, currency="USD", due_date=due, as_of=as_of, terms=terms)
    assert owed >= 0
    if days <= grace or principal == 0 or kind is LateFeeKind.NONE:
        assert owed == 0


terms_strategy = st.builds(
    Terms,
    name=st.text(min_size=1, max_size=20).filter(str.strip),
    net_days=st.integers(30, 120),
    end_of_month=st.booleans(),
    discount_percent=st.decimals(min_value=0, max_value=100, places=2),
    discount_days=st.integers(0, 30),
    late_fee_kind=st.sampled_from(list(LateFeeKind)),
    late_fee_flat=st.decimals(min_value=1, max_value=1000, places=3),
    late_fee_percent=st.decimals(min_value=D("0.001"), max_value=100, places=3),
    grace_days=st.integers(0, 60),
)


@given(terms_strategy)
def test_terms_round_trip_through_a_json_safe_dict(terms):
    data = json.loads(json.dumps(terms.to_dict()))
    assert Terms.from_dict(data) == terms


def test_terms_from_dict_fills_defaults_and_refuses_unknown_fields():
    assert Terms.from_dict({"name": "Net 14", "net_days": 14}) == Terms(name="Net 14", net_days=14)
    with pytest.raises(ValueError, match="unknown terms fields: colour"):
        Terms.from_dict({"colour": "red"})


@pytest.mark.parametrize("kwargs, message", [
    ({"name": " "}, "name"),
    ({"net_days": -1}, "net_days"),
    ({"net_days": 1.5}, "net_days"),
    ({"grace_days": True}, "grace_days"),
    ({"end_of_month": "yes"}, "end_of_month"),
    ({"discount_percent": D("-1")}, "discount_percent"),
    ({"discount_percent": D("101"), "discount_days": 1}, "at most 100"),
    ({"discount_percent": D("2"), "discount_days": 40}, "discount_days"),
    ({"late_fee_kind": "flat"}, "late_fee_flat"),
    ({"late_fee_kind": "percent_monthly"}, "late_fee_percent"),
    ({"late_fee_kind": "weekly"}, "weekly"),
])
def test_terms_refuse_invalid_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Terms(**kwargs)


def test_terms_refuse_float_percentages():
    with pytest.raises(TypeError):
        Terms(discount_percent=2.0)


@pytest.mark.parametrize("text, name, net, eom, pct, ddays", [
    ("Net 30", "Net 30", 30, False, "0", 0),
    ("net30", "Net 30", 30, False, "0", 0),
    ("30", "Net 30", 30, False, "0", 0),
    ("n/45", "Net 45", 45, False, "0", 0),
    ("Due on receipt", "Due on receipt", 0, False, "0", 0),
    ("EOM", "EOM", 0, True, "0", 0),
    ("Net 30 EOM", "Net 30 EOM", 30, True, "0", 0),
    ("2/10 Net 30", "2/10 Net 30", 30, False, "2", 10),
    ("1.5/10 n/30", "1.5/10 Net 30", 30, False, "1.5", 10),
    ("  NET   60  ", "Net 60", 60, False, "0", 0),
])
def test_it_parses_common_terms(text, name, net, eom, pct, ddays):
    terms = Terms.parse(text)
    assert (terms.name, terms.net_days, terms.end_of_month, terms.discount_percent, terms.discount_days) == (
        name, net, eom, D(pct), ddays)


@pytest.mark.parametrize("text", ["", "net", "2/10", "thirty days", "Net -5", "Net 30 EOM please"])
def test_it_refuses_unknown_terms_with_examples(text):
    with pytest.raises(ValueError, match="unknown payment terms"):
        Terms.parse(text)

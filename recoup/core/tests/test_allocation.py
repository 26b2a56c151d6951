from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recoup.core.allocation import OpenItem, allocate, natural_key

START = date(2026, 1, 1)


def item(id, number, issue_day, due_day, open_minor):
    return OpenItem(id=id, number=number, issue_date=START + timedelta(days=issue_day),
                    due_date=START + timedelta(days=due_day), open_minor=open_minor)


@st.composite
def open_items(draw):
    count = draw(st.integers(0, 8))
    items = []
    for i in range(count):
        issue = draw(st.integers(0, 60))
        items.append(item(i + 1, draw(st.sampled_from(["INV-", "inv-", "A", ""])) + str(draw(st.integers(0, 20))),
                          issue, issue + draw(st.integers(0, 60)), draw(st.integers(-500, 10_000))))
    return items


@given(
    items=open_items(), amount=st.integers(1, 50_000), pay_day=st.integers(0, 90),
    name_index=st.none() | st.integers(0, 7), data=st.data(),
)
def test_allocation_never_loses_a_cent_nor_overpays_nor_goes_negative(items, amount, pay_day, name_index, data):
    named = items[name_index].id if name_index is not None and name_index < len(items) else None
    paid_on = START + timedelta(days=pay_day)
    plan = allocate(amount_minor=amount, items=items, payment_date=paid_on, named_id=named)
    by_id = {i.id: i for i in items}

    assert plan.applied_minor + plan.unapplied_minor == amount
    assert plan.unapplied_minor >= 0
    assert len({i for i, _ in plan.parts}) == len(plan.parts)
    for invoice_id, minor in plan.parts:
        assert 0 < minor <= by_id[invoice_id].open_minor
        if invoice_id != named:
            assert by_id[invoice_id].issue_date <= paid_on
    eligible = [i for i in items if i.open_minor > 0 and (i.issue_date <= paid_on or i.id == named)]
    if plan.unapplied_minor:
        # Money is left only when every eligible invoice is paid in full.
        assert dict(plan.parts) == {i.id: i.open_minor for i in eligible}
    # The order of the input does not matter.
    shuffled = data.draw(st.permutations(items))
    assert allocate(amount_minor=amount, items=shuffled, payment_date=paid_on, named_id=named) == plan


@given(items=open_items(), amount=st.integers(1, 50_000))
def test_unnamed_allocation_pays_in_order_and_only_the_last_one_partly(items, amount):
    plan = allocate(amount_minor=amount, items=items, payment_date=START + timedelta(days=90))
    by_id = {i.id: i for i in items}
    touched = [by_id[i] for i, _ in plan.parts]
    keys = [(i.due_date, i.issue_date, natural_key(i.number)) for i in touched]
    assert keys == sorted(keys)
    for invoice_id, minor in plan.parts[:-1]:
        assert minor == by_id[invoice_id].open_minor
    if touched:
        # Nothing still open sorts before the last invoice touched, other than those paid.
        last = keys[-1]
        skipped = [i for i in items if i.open_minor > 0 and i.id not in dict(plan.parts)]
        assert all((i.due_date, i.issue_date, natural_key(i.number)) >= last for i in skipped)


def test_it_pays_the_oldest_due_date_first_then_issue_date_then_number_naturally():
    items = [
        item(1, "INV-10", 5, 30, 100),
        item(2, "INV-9", 5, 30, 100),
        item(3, "INV-1", 6, 30, 100),
        item(4, "INV-2", 0, 20, 100),
    ]
    plan = allocate(amount_minor=350, items=items, payment_date=START + timedelta(days=40))
    assert plan.parts == ((4, 100), (2, 100), (1, 100), (3, 50))
    assert plan.unapplied_minor == 0


def test_a_named_invoice_is_paid_first_and_the_excess_follows_the_rule():
    items = [item(1, "INV-1", 0, 10, 100), item(2, "INV-2", 5, 40, 100), item(3, "INV-3", 6, 50, 100)]
    plan = allocate(amount_minor=150, items=items, payment_date=START + timedelta(days=60), named_id=3)
    assert plan.parts == ((3, 100), (1, 50))


def test_a_named_invoice_issued_after_the_payment_is_still_paid_but_no_other():
    items = [item(1, "INV-1", 30, 60, 100), item(2, "INV-2", 31, 61, 100)]
    plan = allocate(amount_minor=500, items=items, payment_date=START + timedelta(days=10), named_id=2)
    assert plan.parts == ((2, 100),)
    assert plan.unapplied_minor == 400


def test_invoices_issued_after_the_payment_date_are_left_alone():
    items = [item(1, "INV-1", 0, 30, 100), item(2, "INV-2", 11, 12, 100)]
    plan = allocate(amount_minor=500, items=items, payment_date=START + timedelta(days=10))
    assert plan.parts == ((1, 100),)
    assert plan.unapplied_minor == 400


def test_closed_or_overpaid_invoices_are_never_touched():
    items = [item(1, "INV-1", 0, 1, 0), item(2, "INV-2", 0, 2, -50), item(3, "INV-3", 0, 3, 70)]
    plan = allocate(amount_minor=100, items=items, payment_date=START + timedelta(days=5), named_id=1)
    assert plan.parts == ((3, 70),)
    assert plan.unapplied_minor == 30


def test_without_open_invoices_everything_stays_on_account():
    plan = allocate(amount_minor=100, items=[], payment_date=START)
    assert plan.parts == () and plan.unapplied_minor == 100 and plan.applied_minor == 0


@pytest.mark.parametrize("kwargs, error", [
    ({"amount_minor": 0}, ValueError),
    ({"amount_minor": -5}, ValueError),
    ({"amount_minor": 1.5}, TypeError),
    ({"amount_minor": True}, TypeError),
    ({"amount_minor": 10, "named_id": 99}, ValueError),
    ({"amount_minor": 10, "items": [item(1, "A", 0, 0, 5), item(1, "B", 0, 0, 5)]}, ValueError),
])
def test_it_refuses_bad_requests(kwargs, error):
    kwargs = {"items": [item(1, "A", 0, 0, 5)], "payment_date": START, **kwargs}
    with pytest.raises(error):
        allocate(**kwargs)


@pytest.mark.parametrize("smaller, larger", [
    ("INV-9", "INV-10"), ("INV-2", "inv-3"), ("A1", "B0"), ("2026-9", "2026-10"), ("INV-9", "INV-9a"), ("9", "A"),
])
def test_natural_key_compares_digit_runs_as_numbers(smaller, larger):
    assert natural_key(smaller) < natural_key(larger)


@given(st.lists(st.text(max_size=8), max_size=10))
def test_natural_key_sorts_any_invoice_numbers_without_error(numbers):
    sorted(numbers, key=natural_key)

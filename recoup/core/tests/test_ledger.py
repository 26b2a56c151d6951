from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recoup.core.ledger import Movement, MovementKind, open_balance_minor

START = date(2026, 1, 1)
movements = st.lists(st.builds(
    Movement,
    kind=st.sampled_from(list(MovementKind)),
    on=st.integers(0, 120).map(lambda d: START + timedelta(days=d)),
    minor=st.integers(1, 100_000),
), max_size=20)


def total_of(moves, kind, as_of=None):
    return sum(m.minor for m in moves if m.kind is kind and (as_of is None or m.on <= as_of))


@given(total=st.integers(0, 10**9), moves=movements)
def test_open_balance_is_total_plus_charges_minus_allocations_credits_and_write_offs(total, moves):
    expected = (total + total_of(moves, MovementKind.CHARGE) - total_of(moves, MovementKind.ALLOCATION)
                - total_of(moves, MovementKind.CREDIT) - total_of(moves, MovementKind.WRITEOFF))
    assert open_balance_minor(total_minor=total, movements=moves) == expected


@given(total=st.integers(0, 10**9), moves=movements, as_of_day=st.integers(-1, 121))
def test_as_of_a_date_only_movements_dated_on_or_before_it_count(total, moves, as_of_day):
    as_of = START + timedelta(days=as_of_day)
    kept = [m for m in moves if m.on <= as_of]
    assert open_balance_minor(total_minor=total, movements=moves, as_of=as_of) == open_balance_minor(
        total_minor=total, movements=kept)
    later = Movement(kind=MovementKind.ALLOCATION, on=as_of + timedelta(days=1), minor=1)
    assert open_balance_minor(total_minor=total, movements=[*moves, later], as_of=as_of) == open_balance_minor(
        total_minor=total, movements=moves, as_of=as_of)


def test_it_computes_a_worked_example():
    moves = [
        Movement(MovementKind.CHARGE, date(2026, 2, 15), 500),
        Movement(MovementKind.ALLOCATION, date(2026, 2, 1), 4000),
        Movement("credit", date(2026, 2, 10), 1000),
        Movement(MovementKind.WRITEOFF, date(2026, 3, 1), 5500),
    ]
    assert open_balance_minor(total_minor=10000, movements=moves) == 0
    assert open_balance_minor(total_minor=10000, movements=moves, as_of=date(2026, 2, 10)) == 5000
    assert open_balance_minor(total_minor=10000, movements=moves, as_of=date(2026, 1, 31)) == 10000


@pytest.mark.parametrize("minor", [0, -1, 1.5, True])
def test_a_movement_refuses_a_non_positive_or_non_integer_amount(minor):
    with pytest.raises(ValueError):
        Movement(MovementKind.CHARGE, START, minor)


def test_a_movement_refuses_an_unknown_kind():
    with pytest.raises(ValueError):
        Movement("refund", START, 1)

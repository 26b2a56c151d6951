from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recoup.core.calendar import WEEKDAYS_ONLY, BusinessCalendar

GB = BusinessCalendar("GB")
DE = BusinessCalendar("DE")
US = BusinessCalendar("US")
FR = BusinessCalendar("FR")

dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
known = st.sampled_from([GB, DE, US, FR, BusinessCalendar("DE", "BY"), BusinessCalendar("GB", "SCT")])


@pytest.mark.parametrize("calendar, day, business", [
    (GB, date(2026, 12, 25), False),  # Christmas Day, a Friday
    (GB, date(2026, 12, 28), False),  # Boxing Day (Saturday) observed on Monday
    (GB, date(2026, 12, 29), True),
    (GB, date(2026, 5, 4), False),  # Early May bank holiday
    (DE, date(2026, 5, 14), False),  # Ascension Day
    (DE, date(2026, 12, 28), True),  # Germany does not move holidays off weekends
    (US, date(2026, 7, 3), False),  # Independence Day (Saturday) observed on Friday
    (US, date(2026, 1, 19), False),  # Martin Luther King Jr. Day
    (FR, date(2026, 5, 8), False),  # Victoire 1945
    (FR, date(2026, 5, 7), True),
    (GB, date(2026, 3, 7), False),  # a plain Saturday
    (GB, date(2026, 3, 9), True),  # a plain Monday
])
def test_it_knows_weekends_and_public_holidays(calendar, day, business):
    assert calendar.is_business_day(day) is business


def test_it_counts_a_subdivisions_own_holidays():
    assert DE.is_business_day(date(2026, 1, 6))
    assert not BusinessCalendar("DE", "BY").is_business_day(date(2026, 1, 6))  # Epiphany in Bavaria
    assert GB.is_business_day(date(2026, 1, 2))
    assert not BusinessCalendar("GB", "SCT").is_business_day(date(2026, 1, 2))


def test_an_unknown_country_counts_weekends_only():
    nowhere = BusinessCalendar("XX")
    assert nowhere.is_business_day(date(2026, 12, 25))
    assert not nowhere.is_business_day(date(2026, 12, 26))
    assert nowhere.add_business_days(date(2026, 12, 24), 1) == date(2026, 12, 25)
    assert WEEKDAYS_ONLY.add_business_days(date(2026, 12, 25), 1) == date(2026, 12, 28)


def test_an_unknown_subdivision_counts_the_countrys_holidays():
    assert not BusinessCalendar("GB", "ZZ").is_business_day(date(2026, 12, 28))
    assert BusinessCalendar("GB", "ZZ").is_business_day(date(2026, 1, 2))


def test_country_codes_are_case_insensitive():
    assert not BusinessCalendar("gb", "sct").is_business_day(date(2026, 1, 2))


@pytest.mark.parametrize("calendar, start, n, expected", [
    (GB, date(2026, 12, 25), 1, date(2026, 12, 29)),
    (GB, date(2026, 12, 24), 1, date(2026, 12, 29)),
    (GB, date(2026, 12, 24), 3, date(2026, 12, 31)),
    (GB, date(2026, 12, 29), -1, date(2026, 12, 24)),
    (DE, date(2026, 12, 24), 1, date(2026, 12, 28)),
    (US, date(2026, 7, 2), 1, date(2026, 7, 6)),
    (FR, date(2026, 5, 7), 1, date(2026, 5, 11)),
    (FR, date(2026, 5, 13), 1, date(2026, 5, 15)),
    (GB, date(2026, 3, 6), 5, date(2026, 3, 13)),
    (GB, date(2026, 12, 25), 0, date(2026, 12, 25)),
])
def test_it_adds_business_days(calendar, start, n, expected):
    assert calendar.add_business_days(start, n) == expected


def test_it_finds_the_next_business_day():
    assert GB.next_business_day(date(2026, 12, 25)) == date(2026, 12, 29)
    assert GB.next_business_day(date(2026, 12, 29)) == date(2026, 12, 29)
    assert US.next_business_day(date(2026, 7, 3)) == date(2026, 7, 6)


@given(calendar=known, start=dates, n=st.integers(-40, 40).filter(bool))
def test_adding_business_days_lands_on_a_business_day_and_counts_exactly(calendar, start, n):
    end = calendar.add_business_days(start, n)
    assert calendar.is_business_day(end)
    low, high = sorted((start, end))
    between = [low + timedelta(days=i) for i in range(1, (high - low).days + 1)]
    if n < 0:
        between = [low + timedelta(days=i) for i in range((high - low).days)]
    assert sum(calendar.is_business_day(d) for d in between) == abs(n)
    assert (end > start) == (n > 0)


@given(calendar=known, start=dates, n=st.integers(1, 30))
def test_going_forward_then_back_returns_to_a_business_day_start(calendar, start, n):
    begin = calendar.next_business_day(start)
    assert calendar.add_business_days(calendar.add_business_days(begin, n), -n) == begin

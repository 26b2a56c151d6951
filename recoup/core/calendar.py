"""Business days: Monday to Friday, less the public holidays of a country.

Holidays come from the ``holidays`` package (public holidays only, including
"observed" days such as Boxing Day moved to Monday). A country the package does
not know counts weekends only; a subdivision it does not know for a known
country counts the country's nationwide holidays. Neither is an error: a
customer's country is data, and reminders must still go out.

No clock is read here: every date is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays

_SATURDAY = 5


@lru_cache(maxsize=1)
def _supported() -> dict[str, list[str]]:
    return holidays.list_supported_countries()


@lru_cache(maxsize=4096)
def holiday_dates(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """The public holidays of one country (and subdivision) in one year.

    Args: country: ISO 3166-1 code such as "GB" (case-insensitive);
        subdivision: ISO 3166-2 subdivision code such as "SCT" or "BY", or None;
        year: the calendar year.
    Returns: the holiday dates; empty for a country the ``holidays`` package
        does not know. An unknown subdivision falls back to the whole country.
    """
    code = (country or "").upper()
    subdivisions = _supported().get(code)
    if subdivisions is None:
        return frozenset()
    subdiv = subdivision.upper() if subdivision else None
    if subdiv not in subdivisions:
        subdiv = None
    return frozenset(holidays.country_holidays(code, subdiv=subdiv, years=year).keys())


@dataclass(frozen=True)
class BusinessCalendar:
    """The working days of a customer's country and, optionally, subdivision."""

    country: str
    subdivision: str | None = None

    def is_holiday(self, d: date) -> bool:
        """Whether ``d`` is a public holiday here (weekends aside)."""
        return d in holiday_dates(self.country, self.subdivision, d.year)

    def is_business_day(self, d: date) -> bool:
        """Whether ``d`` is a Monday to Friday that is not a public holiday.

        Args: d: the date.
        Returns: True for a business day.
        """
        return d.weekday() < _SATURDAY and not self.is_holiday(d)

    def next_business_day(self, d: date) -> date:
        """The first business day on or after ``d``.

        Args: d: the date.
        Returns: ``d`` itself when it is a business day, else the next one.
        """
        while not self.is_business_day(d):
            d += timedelta(days=1)
        return d

    def add_business_days(self, start: date, n: int) -> date:
        """Move ``n`` business days from ``start`` (``start`` itself not counted).

        Args: start: the date to count from (may itself be a holiday);
            n: business days to move; negative moves backwards.
        Returns: the n-th business day after (or, for negative n, before)
            ``start``; ``start`` unchanged when n is 0, even on a holiday.
        """
        step = timedelta(days=1 if n > 0 else -1)
        remaining = abs(n)
        current = start
        while remaining:
            current += step
            if self.is_business_day(current):
                remaining -= 1
        return current


WEEKDAYS_ONLY = BusinessCalendar(country="")
"""A calendar without holidays: Monday to Friday are business days."""

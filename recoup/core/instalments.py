"""Payment plans: split a total into instalments, date them, check an organization's limits,
and tell how far a plan has been kept.

Pure: no Django, no clock; dates and amounts come in as arguments. Amounts are integer
minor units of one currency.

Rounding rule: every regular instalment is ``floor(rest / count)`` and the last one takes
what is left, so the instalments (plus any down payment) always sum to the total to the
cent, and the last instalment is the largest (by less than ``count`` minor units).

Dating rule: weekly and fortnightly instalments fall every 7 and 14 days from the first
date. Monthly instalments fall on the first date's day of the month, clamped to the month's
end (the 31st gives Feb 28/29, Apr 30, ...); a first date on the last day of its month
keeps every instalment on the last day of its month (Feb 28 -> Mar 31 -> Apr 30).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

from dateutil.relativedelta import relativedelta


class Frequency(str, Enum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"


MAX_INSTALMENTS = 120


class InstalmentError(ValueError):
    """A plan that cannot be scheduled at all (not a limit: a nonsense request)."""


@dataclass(frozen=True)
class Scheduled:
    """One payment of a plan: number 0 is the down payment, 1.. the instalments."""

    number: int
    due_date: date
    amount_minor: int


@dataclass(frozen=True)
class Limits:
    """What a debtor may arrange without the operator (all in the plan's currency's minor units)."""

    max_months: int
    min_instalment_minor: int
    max_balance_minor: int


def split_total(total_minor: int, count: int) -> list[int]:
    """Split ``total_minor`` into ``count`` instalments; the rounding goes to the last.

    Args: total_minor: amount to split, >= 0; count: number of instalments, 1..MAX_INSTALMENTS.
    Returns: ``count`` ints summing exactly to ``total_minor``, all equal but the last,
        which is larger by less than ``count``.
    Raises: InstalmentError for a negative total or a count out of range.
    """
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_INSTALMENTS:
        raise InstalmentError(f"the number of instalments must be between 1 and {MAX_INSTALMENTS}")
    if total_minor < 0:
        raise InstalmentError("the amount to split cannot be negative")
    each = total_minor // count
    return [each] * (count - 1) + [total_minor - each * (count - 1)]


def _is_month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def schedule_dates(first_date: date, count: int, frequency: str) -> list[date]:
    """The due dates of ``count`` instalments starting on ``first_date`` (see the dating rule).

    Raises: InstalmentError for an unknown frequency or a count out of range.
    """
    try:
        freq = Frequency(frequency)
    except ValueError:
        raise InstalmentError(f"frequency must be one of {', '.join(f.value for f in Frequency)}") from None
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_INSTALMENTS:
        raise InstalmentError(f"the number of instalments must be between 1 and {MAX_INSTALMENTS}")
    if freq is Frequency.WEEKLY:
        return [first_date + timedelta(days=7 * k) for k in range(count)]
    if freq is Frequency.FORTNIGHTLY:
        return [first_date + timedelta(days=14 * k) for k in range(count)]
    # Always from the first date, never from the previous instalment: Jan 31 -> Feb 28 -> Mar 31.
    if _is_month_end(first_date):
        return [first_date + relativedelta(months=k, day=31) for k in range(count)]
    return [first_date + relativedelta(months=k) for k in range(count)]


def build_schedule(*, total_minor: int, count: int, frequency: str, first_date: date,
                   down_payment_minor: int = 0, down_payment_date: date | None = None) -> list[Scheduled]:
    """The whole plan: an optional down payment (number 0) then ``count`` instalments.

    Args: total_minor: what the plan covers; down_payment_minor: paid first, on
        ``down_payment_date`` (default: ``first_date``), 0 for none.
    Returns: Scheduled payments whose amounts sum exactly to ``total_minor``.
    Raises: InstalmentError for a total of zero or less, a down payment below zero or not
        below the total, or a down payment dated after the first instalment.
    """
    if total_minor <= 0:
        raise InstalmentError("there is nothing to pay in instalments")
    if down_payment_minor < 0 or down_payment_minor >= total_minor:
        raise InstalmentError("the down payment must be at least zero and less than the total")
    dates = schedule_dates(first_date, count, frequency)
    amounts = split_total(total_minor - down_payment_minor, count)
    plan = [Scheduled(number=k, due_date=d, amount_minor=a) for k, (d, a) in enumerate(zip(dates, amounts), 1)]
    if down_payment_minor:
        on = down_payment_date or first_date
        if on > first_date:
            raise InstalmentError("the down payment cannot fall after the first instalment")
        plan.insert(0, Scheduled(number=0, due_date=on, amount_minor=down_payment_minor))
    return plan


def months_spanned(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end``, counting a started month as one (0 when end <= start)."""
    if end <= start:
        return 0
    delta = relativedelta(end, start)
    return delta.years * 12 + delta.months + (1 if delta.days else 0)


def limit_breaches(*, limits: Limits, schedule: list[Scheduled], today: date) -> list[str]:
    """Why a plan needs the operator, one sentence per limit it passes; empty when within limits.

    The length counts from ``today`` to the last payment; the minimum applies to the
    instalments (the down payment may be any size).
    """
    reasons = []
    total = sum(s.amount_minor for s in schedule)
    if total > limits.max_balance_minor:
        reasons.append("The balance is larger than can be arranged online.")
    months = months_spanned(today, schedule[-1].due_date)
    if months > limits.max_months:
        reasons.append(f"The plan runs {months} months; plans online may run up to {limits.max_months}.")
    regular = [s.amount_minor for s in schedule if s.number > 0]
    if regular and min(regular) < limits.min_instalment_minor:
        reasons.append("Each instalment must be at least the minimum instalment.")
    return reasons


@dataclass(frozen=True)
class Progress:
    """How a plan stands on a day, given what has been paid towards it."""

    covered: tuple[bool, ...]  # per scheduled payment, in order
    missed: tuple[int, ...]  # numbers of payments past due + grace and not covered
    completed: bool

    @property
    def broken(self) -> bool:
        return bool(self.missed) and not self.completed


def plan_progress(*, schedule: list[Scheduled], paid_minor: int, today: date, grace_days: int) -> Progress:
    """Apply ``paid_minor`` to the payments in order (cumulatively) and find the missed ones.

    A payment is covered once everything paid reaches the running total through it; it is
    missed when ``today`` is more than ``grace_days`` past its due date and it is not covered.
    """
    running = 0
    covered, missed = [], []
    for s in schedule:
        running += s.amount_minor
        ok = paid_minor >= running
        covered.append(ok)
        if not ok and today > s.due_date + timedelta(days=grace_days):
            missed.append(s.number)
    return Progress(covered=tuple(covered), missed=tuple(missed), completed=paid_minor >= running)

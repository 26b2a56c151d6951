"""Payment terms: due dates, early-payment discounts and late fees.

Day counts are calendar days. "Net N" is due N days after the issue date;
"Net N EOM" is due N days after the last day of the month of issue, so
"EOM" alone (net 0 EOM) is due on the last day of that month. A discount
("2/10 Net 30": 2 % if paid within 10 days) is counted from the issue date
and includes its last day. All fees and discounts are rounded half up to the
currency's minor unit (see ``recoup.core.money``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import Any

from dateutil.relativedelta import relativedelta

from recoup.core.money import D, minor_exponent, quantize, to_minor


class LateFeeKind(str, Enum):
    """How a late fee is computed once an invoice is past due plus grace."""

    NONE = "none"
    FLAT = "flat"
    PERCENT_ONCE = "percent_once"
    PERCENT_MONTHLY = "percent_monthly"


_DECIMAL_FIELDS = ("discount_percent", "late_fee_flat", "late_fee_percent")
_INT_FIELDS = ("net_days", "discount_days", "grace_days")
_PARSE = re.compile(
    r"(?:(?P<pct>\d+(?:\.\d+)?)\s*%?\s*/\s*(?P<ddays>\d+)\s*)?"
    r"(?:(?:net\s*/?\s*|n\s*/\s*)?(?P<net>\d+)(?:\s*days)?)?"
    r"\s*(?P<eom>eom)?"
)
_UNKNOWN = "unknown payment terms {!r}; use e.g. 'Net 30', '2/10 Net 30', 'Net 30 EOM', 'Due on receipt'"


@dataclass(frozen=True)
class Terms:
    """Payment terms of an invoice. Percentages are in percent (2 = 2 %)."""

    name: str = "Net 30"
    net_days: int = 30
    end_of_month: bool = False
    discount_percent: Decimal = D("0")
    discount_days: int = 0
    late_fee_kind: LateFeeKind = LateFeeKind.NONE
    late_fee_flat: Decimal = D("0")  # major units of the invoice currency
    late_fee_percent: Decimal = D("0")
    grace_days: int = 0

    def __post_init__(self) -> None:
        # Frozen: coerce with object.__setattr__ so "2" and Decimal("2") are equal terms.
        for name in _DECIMAL_FIELDS:
            object.__setattr__(self, name, D(getattr(self, name)))
        object.__setattr__(self, "late_fee_kind", LateFeeKind(self.late_fee_kind))
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError("name: give the terms a name")
        if not isinstance(self.end_of_month, bool):
            raise ValueError("end_of_month must be true or false")
        for name in _INT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole number of days, 0 or more")
        for name in _DECIMAL_FIELDS:
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        for name in ("discount_percent", "late_fee_percent"):
            if getattr(self, name) > 100:
                raise ValueError(f"{name} must be at most 100")
        if self.discount_percent > 0 and self.discount_days > self.net_days:
            raise ValueError("discount_days must not exceed net_days")
        if self.late_fee_kind is LateFeeKind.FLAT and self.late_fee_flat == 0:
            raise ValueError("late_fee_flat must be positive for a flat late fee")
        percent_kinds = (LateFeeKind.PERCENT_ONCE, LateFeeKind.PERCENT_MONTHLY)
        if self.late_fee_kind in percent_kinds and self.late_fee_percent == 0:
            raise ValueError("late_fee_percent must be positive for a percentage late fee")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict: Decimals as strings, the fee kind as its value."""
        data = asdict(self)
        for name in _DECIMAL_FIELDS:
            data[name] = str(data[name])
        data["late_fee_kind"] = self.late_fee_kind.value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Terms:
        """Inverse of ``to_dict``; missing keys take defaults, unknown keys raise ValueError."""
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown terms fields: {', '.join(sorted(unknown))}")
        return cls(**data)

    @classmethod
    def parse(cls, text: str) -> Terms:
        """Parse common short forms, case-insensitively.

        Accepted: "Net 30", "net30", "30", "n/30", "Due on receipt", "EOM",
        "Net 30 EOM", "2/10 Net 30", "2/10 n/30". The result gets a canonical name.

        Args: text: the terms as typed.
        Returns: Terms without late fees.
        Raises: ValueError for text that is not one of the forms above.
        """
        cleaned = " ".join(text.split()).lower()
        if cleaned in ("due on receipt", "due upon receipt", "on receipt", "receipt"):
            return cls(name="Due on receipt", net_days=0)
        match = _PARSE.fullmatch(cleaned)
        if not cleaned or not match or not (match["net"] or match["eom"]):
            raise ValueError(_UNKNOWN.format(text))
        net_days = int(match["net"] or 0)
        eom = bool(match["eom"])
        pct = D(match["pct"] or "0")
        ddays = int(match["ddays"] or 0)
        parts = [f"{pct.normalize():f}/{ddays}"] if match["pct"] else []
        if match["net"] or not eom:
            parts.append(f"Net {net_days}")
        if eom:
            parts.append("EOM")
        return cls(name=" ".join(parts), net_days=net_days, end_of_month=eom,
                   discount_percent=pct, discount_days=ddays)


def due_date(issue_date: date, terms: Terms) -> date:
    """Due date of an invoice issued on ``issue_date`` (see module docstring).

    Args: issue_date: the invoice date; terms: the payment terms.
    Returns: issue + net_days, or last day of the issue month + net_days with EOM.
    """
    start = issue_date + relativedelta(day=31) if terms.end_of_month else issue_date
    return start + timedelta(days=terms.net_days)


def discount_deadline(issue_date: date, terms: Terms) -> date | None:
    """Last day on which the early-payment discount applies, or None without one."""
    if terms.discount_percent == 0:
        return None
    return issue_date + timedelta(days=terms.discount_days)


def _percent_of(minor: int, percent: Decimal) -> int:
    return int((Decimal(minor) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def early_payment_discount(total_minor: int, issue_date: date, paid_on: date,
                           terms: Terms, currency: str) -> int:
    """Discount earned by paying in full on ``paid_on``.

    Args: total_minor: invoice total in minor units (>= 0); issue_date: the
        invoice date; paid_on: the payment date; terms; currency: ISO 4217 code.
    Returns: the discount in minor units; 0 after the deadline or without one.
    """
    minor_exponent(currency)
    if total_minor < 0:
        raise ValueError("total_minor must not be negative")
    deadline = discount_deadline(issue_date, terms)
    if deadline is None or paid_on > deadline:
        return 0
    return _percent_of(total_minor, terms.discount_percent)


def months_started(start: date, as_of: date) -> int:
    """Number of started months of lateness after ``start`` (0 if as_of <= start).

    Month k ends on ``start + relativedelta(months=k)`` (clamped to month end,
    always from ``start``), inclusive: with start Jan 31, Feb 1..Feb 28 is
    month 1, Mar 1..Mar 31 is month 2.
    """
    if as_of <= start:
        return 0
    k = max(1, (as_of.year - start.year) * 12 + as_of.month - start.month)
    while start + relativedelta(months=k) < as_of:
        k += 1
    while k > 1 and start + relativedelta(months=k - 1) >= as_of:
        k -= 1
    return k


def late_fee_minor(*, principal_minor: int, currency: str, due_date: date, as_of: date,
                   terms: Terms, already_charged_minor: int = 0) -> int:
    """Late fee due now, in addition to what has already been charged.

    Nothing is due until ``as_of`` is after ``due_date + grace_days``. Then
    FLAT charges ``late_fee_flat`` once; PERCENT_ONCE charges the percentage
    of the principal once; PERCENT_MONTHLY charges the percentage of the
    principal (rounded per month) for each started month counted from
    ``due_date + grace_days`` (see ``months_started``). No fee on a principal of 0.

    Args:
        principal_minor: the overdue principal in minor units (>= 0).
        currency: ISO 4217 code.
        due_date: the invoice's due date.
        as_of: the date the fee is assessed on.
        terms: the payment terms.
        already_charged_minor: late fees already charged, in minor units.
    Returns:
        The additional fee in minor units, never negative.
    """
    minor_exponent(currency)
    if principal_minor < 0 or already_charged_minor < 0:
        raise ValueError("principal_minor and already_charged_minor must not be negative")
    start = due_date + timedelta(days=terms.grace_days)
    if principal_minor == 0 or as_of <= start:
        return 0
    kind = terms.late_fee_kind
    if kind is LateFeeKind.FLAT:
        owed = to_minor(quantize(terms.late_fee_flat, currency), currency)
    elif kind is LateFeeKind.PERCENT_ONCE:
        owed = _percent_of(principal_minor, terms.late_fee_percent)
    elif kind is LateFeeKind.PERCENT_MONTHLY:
        owed = months_started(start, as_of) * _percent_of(principal_minor, terms.late_fee_percent)
    else:
        owed = 0
    return max(0, owed - already_charged_minor)

"""Dates and amounts as accounting tools export them, read exactly. Pure.

Amounts: ``read_amount("($1,234.50)", decimal=".")`` is ``-1234.50`` with the marker
``"$"``. Accepted: a sign ('-' before or after, U+2212) or brackets for a negative;
a currency symbol or ISO code before or after; thousands separators (',' '.' space,
no-break space, apostrophe) in well-formed groups of three. Which of '.' and ','
is the decimal separator: the last of the two when both appear; a separator that
appears twice groups thousands; a single one followed by exactly three digits
(``1,250`` or ``1.250``) is ambiguous and read as the locale writes it; any other
single one is the decimal separator. Never a float; more decimals than the currency
allows are refused by the caller (``core.money``).

Dates: ISO 8601 (``2026-03-31``, also with a time after it), year first with
slashes or dots (``2026/03/31``), a month name (``Jan 28 2021``, ``28 January
2021``, in English or the locale's language), and day and month as numbers before
the year (``03/04/2026``, ``3.4.26``: two-digit years are 2000-2099). For the last
form the order of day and month is decided once per file by ``date_reading``:
an explicit choice, else the locale's order (``locale_date_order``). A date that
is impossible in that order is refused, and so is an ambiguous one (both numbers
12 or less and different) when no date in the file shows a day above 12 in that
order: the file does not say which it is, so it is not guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import get_date_format, get_month_names
from babel.numbers import get_currency_symbol, get_decimal_symbol


class ValueProblem(ValueError):
    """A cell that is not what its column needs; the message is fit to show to the user."""


class DateOrder(StrEnum):
    DMY = "dmy"
    MDY = "mdy"
    YMD = "ymd"


ORDER_WORDS = {DateOrder.DMY: "day/month/year", DateOrder.MDY: "month/day/year", DateOrder.YMD: "year/month/day"}


@lru_cache(maxsize=64)
def _locale(locale: str) -> Locale:
    try:
        return Locale.parse((locale or "en").replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse("en")


def locale_date_order(locale: str) -> DateOrder:
    """The order of day, month and year in the locale's short date (CLDR): en MDY, en_GB DMY, sv YMD."""
    pattern = get_date_format("short", locale=_locale(locale)).pattern
    positions = {k: pattern.find(k) for k in "dMy"}
    if positions["y"] < positions["M"]:
        return DateOrder.YMD
    return DateOrder.DMY if positions["d"] < positions["M"] else DateOrder.MDY


def locale_decimal(locale: str) -> str:
    """The locale's decimal separator, '.' or ',' (anything else counts as '.')."""
    symbol = get_decimal_symbol(_locale(locale))
    return "," if symbol == "," else "."


# --- amounts ---------------------------------------------------------------------------------

_MINUS = "-\u2212"
_GROUPS = "., '\u2019\u00a0\u202f"
_BODY = re.compile(r"[0-9][0-9.,' \u2019\u00a0\u202f]*")


@dataclass(frozen=True)
class Amount:
    value: Decimal
    marker: str = ""  # the currency symbol or code written with the amount, "" if none


def _strip_marker(text: str) -> tuple[str, str]:
    """(rest, marker): a currency symbol or code taken off either end."""
    match = re.fullmatch(r"([^\d\s()\-\u2212+.,]*)\s*(.*?)\s*([^\d\s()\-\u2212+.,]*)", text)
    if match is None:  # pragma: no cover - the pattern matches any text
        return text, ""
    before, rest, after = match.groups()
    if before and after:
        raise ValueProblem(f"two currency markers ({before!r} and {after!r})")
    return rest, before or after


def _number(body: str, decimal: str, shown: str) -> Decimal:
    separators = [c for c in body if not c.isdigit()]
    if not separators:
        return Decimal(body)
    last = separators[-1]
    point: int | None = None
    if last in ".,":
        index = body.rindex(last)
        after = body[index + 1:]
        if separators.count(last) == 1:
            before = body[:index]
            if any(c != last for c in separators):
                point = index
            elif len(after) == 3 and before.isdigit() and before != "0" and len(before) <= 3:
                point = index if last == decimal else None  # 1,250 or 1.250: as the locale writes it
            else:
                point = index
    whole, fraction = (body, "") if point is None else (body[:point], body[point + 1:])
    if point is not None and (not fraction.isdigit() or not whole):
        raise ValueProblem(f"{shown!r} is not an amount")
    groups = [g for g in re.split(r"[.,' \u2019\u00a0\u202f]", whole)]
    marks = {c for c in whole if not c.isdigit()}
    if len(groups) > 1 and (len(marks) > 1 or not (1 <= len(groups[0]) <= 3)
                            or any(len(g) != 3 for g in groups[1:])):
        raise ValueProblem(f"{shown!r} is not an amount (thousands must be grouped by three)")
    return Decimal("".join(groups) + ("." + fraction if fraction else ""))


def read_amount(text: str, *, decimal: str = ".") -> Amount:
    """An amount as written in an export (see the module's docstring).

    Args: text: the cell; decimal: the locale's decimal separator, for ``1,250`` / ``1.250``.
    Returns: the exact value and the currency marker written with it.
    Raises: ValueProblem naming the text.
    """
    shown = text
    s = text.strip().replace("\u00a0", " ")
    if not s:
        raise ValueProblem("is empty")
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1].strip()
    try:
        rest, marker = _strip_marker(s)
    except ValueProblem as exc:
        raise ValueProblem(f"{shown!r} is not an amount: {exc}") from None
    minus = False
    if rest[:1] in _MINUS:
        minus, rest = True, rest[1:].lstrip()
    elif rest[-1:] in _MINUS:
        minus, rest = True, rest[:-1].rstrip()
    elif rest[:1] == "+":
        rest = rest[1:].lstrip()
    if minus and negative:
        raise ValueProblem(f"{shown!r} is not an amount (brackets and a minus sign)")
    negative = negative or minus
    if not marker:
        rest, marker = _strip_marker(rest)
    if not _BODY.fullmatch(rest) or rest[-1] in _GROUPS:
        raise ValueProblem(f"{shown!r} is not an amount")
    value = _number(rest, decimal, shown)
    return Amount(-value if negative and value else value, marker)


def _base(symbol: str) -> str:
    return re.sub(r"[A-Za-z.]", "", symbol)


def marker_fits(marker: str, currency: str, locale: str = "en") -> bool:
    """Whether a currency marker written with an amount (``$``, ``€``, ``USD``) can mean ``currency``."""
    m = marker.strip()
    if not m or m.upper() == currency:
        return True
    symbols = {get_currency_symbol(currency, _locale(name)) for name in ("en", locale or "en")}
    if m in symbols:
        return True
    # A bare symbol ("$", "¥") fits every currency written with it ("CA$", "JP¥"); "US$" only USD.
    return not re.search(r"[A-Za-z]", m) and bool(_base(m)) and any(_base(m) == _base(s) for s in symbols)


# --- dates -----------------------------------------------------------------------------------

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?")
_YEAR_FIRST = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})\.?")
_YEAR_LAST = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})\.?")
_TIME = re.compile(r"\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp][Mm])?$")
_WORD_DATE = re.compile(r"[^\W\d_]+|\d+")


@dataclass(frozen=True)
class DateReading:
    """How a file's day-and-month-before-year dates are read: decided once per file."""

    order: DateOrder | None  # DMY or MDY; None: only dates that can be read one way only
    confirmed: bool  # chosen explicitly, or some date in the file has a day above 12 in this order
    source: str  # for messages: "the organization's locale en_GB", "the order chosen for this import"


def _year_last(text: str) -> tuple[int, int, int] | None:
    match = _YEAR_LAST.fullmatch(_TIME.sub("", text.strip()))
    if match is None:
        return None
    a, b, year = match.groups()
    return int(a), int(b), int(year) + (2000 if len(year) == 2 else 0)


def date_reading(texts: Iterable[str], *, locale: str, explicit: DateOrder | None = None) -> DateReading:
    """Decide the order of day and month for a file's dates (see the module's docstring).

    Args: texts: every date cell of the file; locale: the organization's locale;
        explicit: DMY or MDY when the user chose the order for this import.
    """
    if explicit is not None:
        if explicit == DateOrder.YMD:
            raise ValueError("the explicit order of day and month is dmy or mdy")
        return DateReading(explicit, True, "the order chosen for this import")
    day_first_seen = month_first_seen = False
    for text in texts:
        parts = _year_last(text)
        if parts:
            day_first_seen |= parts[0] > 12 and parts[1] <= 12
            month_first_seen |= parts[1] > 12 and parts[0] <= 12
    order = locale_date_order(locale)
    source = f"the organization's locale {locale or 'en'}"
    if order == DateOrder.YMD:
        found = None if day_first_seen == month_first_seen else (DateOrder.DMY if day_first_seen else DateOrder.MDY)
        return DateReading(found, found is not None, source if found is None else "the dates in this file")
    return DateReading(order, month_first_seen if order == DateOrder.MDY else day_first_seen, source)


@lru_cache(maxsize=32)
def _month_names(locale: str) -> dict[str, int]:
    names: dict[str, int] = {}
    for loc in {"en", locale or "en"}:
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                for number, name in get_month_names(width, context, _locale(loc)).items():
                    names.setdefault(name.lower().rstrip("."), number)
    names.setdefault("sept", 9)
    return names


def _make(year: int, month: int, day: int, shown: str, why: str = "") -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueProblem(f"{shown!r} is not a date{why}") from None


def _named(text: str, locale: str) -> date | None:
    tokens = _WORD_DATE.findall(text)
    months = _month_names(locale)
    words = [t for t in tokens if not t.isdigit()]
    numbers = [t for t in tokens if t.isdigit()]
    if len(words) != 1 or words[0].lower() not in months or len(numbers) != 2:
        return None
    years = [n for n in numbers if len(n) == 4]
    days = [n for n in numbers if len(n) <= 2]
    if len(years) != 1 or len(days) != 1:
        return None
    return _make(int(years[0]), months[words[0].lower()], int(days[0]), text)


def read_date(text: str, reading: DateReading, locale: str = "en") -> date:
    """A date as written in an export (see the module's docstring).

    Raises: ValueProblem naming the text and, for day and month before the year,
        the order it was read in.
    """
    s = text.strip()
    match = _ISO.fullmatch(s)
    if match is None:
        s = _TIME.sub("", s)
    if match:
        year, month, day = map(int, match.groups())
        return _make(year, month, day, text, " (use YYYY-MM-DD)")
    match = _YEAR_FIRST.fullmatch(s)
    if match:
        year, month, day = map(int, match.groups())
        return _make(year, month, day, text, " (use YYYY-MM-DD)")
    parts = _year_last(s)
    if parts is None:
        named = _named(s, locale)
        if named is None:
            raise ValueProblem(f"{text!r} is not a date (use YYYY-MM-DD)")
        return named
    a, b, year = parts
    readings = [(d, m) for d, m in ((a, b), (b, a)) if 1 <= m <= 12 and 1 <= d <= 31]
    if not readings:
        raise ValueProblem(f"{text!r} is not a date")
    if reading.order is None:
        if len({r for r in readings}) == 1:
            return _make(year, readings[0][1], readings[0][0], text)
        raise ValueProblem(f"{text!r} is ambiguous (day/month or month/day?) and {reading.source} does not "
                           "say which; choose the date order for this import")
    day, month = (a, b) if reading.order == DateOrder.DMY else (b, a)
    words = ORDER_WORDS[reading.order]
    if not 1 <= month <= 12:
        raise ValueProblem(f"{text!r} is not a date in {words} order ({reading.source}); if the file"
                           " writes them the other way round, choose that date order for this import")
    if not reading.confirmed and a != b and a <= 12 and b <= 12:
        raise ValueProblem(f"{text!r} is ambiguous: no date in this file has a day above 12, so {words} "
                           f"({reading.source}) is not assumed; choose the date order for this import")
    return _make(year, month, day, text, f" in {words} order")

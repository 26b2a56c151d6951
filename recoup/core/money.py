"""Money: exact Decimal amounts, ISO 4217 minor units, parsing and formatting.

Amounts are ``Decimal`` (never ``float``) in major units, or ``int`` in minor
units (cents) where integers are more convenient. Minor-unit exponents come
from Babel's CLDR data (JPY 0, USD 2, KWD 3).

Rounding is ROUND_HALF_UP ("commercial rounding"), the rule EN 16931
(European e-invoicing) prescribes and the one customers expect on an invoice:
0.005 USD becomes 0.01, -0.005 becomes -0.01. Negative zero is normalised to
zero so that it never shows up as "-0.00".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache, total_ordering

from babel.numbers import format_currency, get_currency_precision, list_currencies

_CODE = re.compile(r"[A-Z]{3}")
_AMOUNT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_COMMA_DECIMAL = re.compile(r"-?[0-9]+,[0-9]+")
MAX_MINOR = 2**63 - 1  # the largest amount the database's 64-bit integer columns hold, in minor units


class CurrencyMismatch(ValueError):
    """Raised when amounts in different currencies are combined or compared."""


def D(value: str | int | Decimal) -> Decimal:
    """Build a Decimal; the one constructor for money values.

    Args: value: numeric string, int or Decimal. Floats (and bools) are refused
        because binary floats cannot represent most decimal fractions.
    Returns: the finite Decimal.
    Raises: TypeError for float, bool or any other type; ValueError for text
        that is not a number, or NaN/Infinity.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise TypeError(f"money must be str, int or Decimal, not {type(value).__name__}")
    try:
        result = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not result.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return result


@lru_cache(maxsize=1)
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


@lru_cache(maxsize=512)
def minor_exponent(currency: str) -> int:
    """Number of decimals of a currency's minor unit (JPY 0, USD 2, KWD 3).

    Args: currency: ISO 4217 code, three upper-case letters.
    Returns: the exponent from Babel's CLDR data.
    Raises: ValueError if the code is malformed or unknown to Babel.
    """
    if not isinstance(currency, str) or not _CODE.fullmatch(currency):
        raise ValueError(f"{currency!r} is not a currency code (use 3 upper-case letters, e.g. 'USD')")
    if currency not in _known_currencies():
        raise ValueError(f"unknown currency code {currency!r}")
    return get_currency_precision(currency)


def _unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_exponent(currency))


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round an amount to the currency's minor unit, half up.

    Args: amount in major units; currency: ISO 4217 code.
    Returns: the Decimal with exactly the currency's number of decimals.
    Raises: ValueError for an amount with more than 28 significant digits.
    """
    value = D(amount)
    try:
        result = value.quantize(_unit(currency), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        # More digits than the decimal context holds (28): no real amount is that large.
        raise ValueError(f"{value} is too large an amount") from None
    return result.copy_abs() if result.is_zero() else result


def _exact(amount: Decimal, currency: str, shown: str) -> Decimal:
    exponent = minor_exponent(currency)
    value = D(amount)
    rounded = quantize(value, currency)
    if rounded != value:
        raise ValueError(f"{shown} has more decimals than {currency} allows ({exponent})")
    return rounded


def to_minor(amount: Decimal, currency: str) -> int:
    """Convert a major-unit amount to integer minor units, exactly.

    Args: amount in major units, e.g. Decimal('12.34'); currency: ISO 4217 code.
    Returns: the amount in minor units, e.g. 1234 for 12.34 USD.
    Raises: ValueError if the amount has more decimals than the currency allows, or more
        minor units than the ledger's integer columns hold (``MAX_MINOR``).
    """
    exact = _exact(amount, currency, f"'{amount}'")
    minor = int(exact.scaleb(minor_exponent(currency)))
    if abs(minor) > MAX_MINOR:
        raise ValueError(f"'{amount}' is too large an amount")
    return minor


def from_minor(minor: int, currency: str) -> Decimal:
    """Convert integer minor units to a quantized major-unit Decimal.

    Args: minor: amount in minor units, e.g. 1234; currency: ISO 4217 code.
    Returns: Decimal('12.34') for USD, Decimal('1234') for JPY.
    Raises: TypeError if ``minor`` is not an int.
    """
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise TypeError(f"minor units must be int, not {type(minor).__name__}")
    return quantize(Decimal(minor).scaleb(-minor_exponent(currency)), currency)


def minor_to_text(minor: int, currency: str) -> str:
    """The plain decimal text of a minor-unit amount, exactly ``str(from_minor(minor, currency))``.

    For reports that print many amounts: no Decimal is built.
    """
    exponent = minor_exponent(currency)
    if exponent == 0:
        return str(minor)
    whole, part = divmod(abs(minor), 10**exponent)
    return f"{'-' if minor < 0 else ''}{whole}.{part:0{exponent}d}"


def minor_with_code(minor: int, currency: str) -> str:
    """A minor-unit amount as plain text with its code, e.g. ``"12.34 GBP"``, for audit summaries
    and error messages (not for display to debtors: see ``format_money``)."""
    return f"{minor_to_text(minor, currency)} {currency}"


def parse_amount(text: str, currency: str) -> Decimal:
    """Strictly parse a dot-decimal amount typed by a user or read from a file.

    Accepted: optional '-', digits, optional '.' followed by digits; the text
    may be surrounded by whitespace. Refused: thousands separators, decimal
    commas, exponents, '+', inner spaces and more decimals than the currency has.

    Args: text to parse, e.g. "1234.50"; currency: ISO 4217 code of the amount.
    Returns: the amount quantized to the currency's minor unit.
    Raises: ValueError with a message fit to show to the user.
    """
    minor_exponent(currency)
    stripped = text.strip()
    if not _AMOUNT.fullmatch(stripped):
        if _COMMA_DECIMAL.fullmatch(stripped):
            hint = " (use a dot as decimal separator)"
        elif "," in stripped:
            hint = " (no thousands separators; use a dot as decimal separator)"
        else:
            hint = ""
        raise ValueError(f"{text!r} is not an amount{hint}")
    amount = _exact(Decimal(stripped), currency, repr(stripped))
    to_minor(amount, currency)  # refuses an amount the ledger cannot hold
    return amount


def format_money(amount: Decimal, currency: str, locale: str = "en") -> str:
    """Format an amount for display with Babel, e.g. '$1,234.50'.

    Args: amount in major units (rounded half up to the minor unit);
        currency: ISO 4217 code; locale: Babel locale such as "en" or "de_DE".
    Returns: the localised currency string.
    """
    return format_currency(quantize(amount, currency), currency, locale=locale)


@total_ordering  # <=, >, >= derive from < and ==; < raises on mixed currencies
@dataclass(frozen=True)
class Money:
    """An exact amount in one currency; arithmetic only within that currency.

    ``==`` between different currencies is simply False (so Money can live in
    sets and dicts), while ``+``, ``-`` and ordering raise CurrencyMismatch.
    """

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        # Frozen: normalise through object.__setattr__ so 12.3 USD is stored as 12.30.
        object.__setattr__(self, "amount", _exact(self.amount, self.currency, f"'{self.amount}'"))

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        """Build Money from integer minor units (1234 USD -> 12.34 USD)."""
        return cls(from_minor(minor, currency), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Zero in the given currency."""
        return cls(Decimal(0), currency)

    @property
    def minor(self) -> int:
        """The amount in integer minor units."""
        return to_minor(self.amount, self.currency)

    def _same(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} with {other.currency}")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same(other).amount, self.currency)

    def __radd__(self, other: object) -> Money:
        # Lets sum() start from its default 0.
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self
        return NotImplemented

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._same(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other).amount

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def allocate_proportionally(total_minor: int, weights: list[int]) -> list[int]:
    """Split an integer amount over weights so the parts sum exactly to it.

    Largest-remainder (Hamilton) method: every part first gets the floor of
    its exact share; the units left over go one each to the parts with the
    largest remainders, ties to the earlier part. A zero weight gets 0.
    A negative total is split as its absolute value, then negated.

    Args: total_minor: amount to split in minor units; weights: non-negative
        ints, at least one positive.
    Returns: one int per weight, summing to ``total_minor``.
    Raises: ValueError for no weights, a negative weight or all-zero weights;
        TypeError for non-int weights.
    """
    if any(isinstance(w, bool) or not isinstance(w, int) for w in weights):
        raise TypeError("weights must be ints")
    if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
        raise ValueError("weights must be non-negative with at least one positive")
    if total_minor < 0:
        return [-part for part in allocate_proportionally(-total_minor, weights)]
    whole = sum(weights)
    shares = [divmod(total_minor * w, whole) for w in weights]
    parts = [q for q, _ in shares]
    leftover = total_minor - sum(parts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-shares[i][1], i))
    for i in by_remainder[:leftover]:
        parts[i] += 1
    return parts

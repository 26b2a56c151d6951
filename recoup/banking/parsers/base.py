"""What every statement parser returns: plain dataclasses, amounts in signed minor units.

A parser reads bytes and returns ``ParsedStatement``s or raises ``StatementError``
naming the file and the place (a line number or an XML path) and what is wrong.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from recoup.core.money import minor_exponent


# Amounts are stored as 64-bit integers; anything near that is a broken file, not money.
MAX_MINOR = 10**15


class StatementError(ValueError):
    """A statement file Recoup refuses; the message names the file and the place."""

    def __init__(self, filename: str, place: str, problem: str):
        self.filename, self.place, self.problem = filename, place, problem
        super().__init__(f"{filename}: {place}: {problem}" if place else f"{filename}: {problem}")


@dataclass(frozen=True)
class ParsedLine:
    """One booked movement. ``amount_minor`` > 0 is money in (credit), < 0 money out."""

    booking_date: date
    amount_minor: int
    currency: str
    value_date: date | None = None
    counterparty_name: str = ""
    counterparty_account: str = ""
    reference: str = ""  # structured creditor reference (RF..., ISR/QR) when the bank gives one
    remittance: str = ""  # free text: unstructured remittance, :86:, MEMO, label
    end_to_end_id: str = ""
    bank_ref: str = ""  # the bank's own id of the movement (AcctSvcrRef, FITID, :61: bank reference)
    is_return: bool = False  # a returned direct debit or a reversal of an earlier movement
    return_reason: str = ""
    place: str = ""  # where in the file, for messages

    def fingerprint(self) -> str:
        """Identity of the movement across files (an intraday report and the day's statement)."""
        parts = [self.booking_date.isoformat(), str(self.amount_minor), self.currency, self.bank_ref,
                 self.end_to_end_id, self.reference, self.remittance, self.counterparty_account,
                 self.counterparty_name]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


@dataclass
class ParsedStatement:
    """One statement of a file. Balances are booked balances in ``currency``: the opening one
    (camt OPBD/PRCD, MT940 :60F:/:60M:) and the closing one (camt CLBD, MT940 :62F:/:62M:,
    OFX LEDGERBAL); the labels name them for messages (``"OPBD of 2014-01-05"``)."""

    format: str
    statement_id: str = ""
    account_iban: str = ""
    account_number: str = ""
    currency: str = ""
    opening_minor: int | None = None
    closing_minor: int | None = None
    period_start: date | None = None
    period_end: date | None = None
    lines: list[ParsedLine] = field(default_factory=list)
    opening_label: str = ""
    closing_label: str = ""
    opening_currency: str = ""  # the balances' own currencies, which should be ``currency``
    closing_currency: str = ""
    intraday: bool = False  # camt.052, MT942: a report during the day, which may have no closing balance
    place: str = ""  # where the statement starts, for messages

    @property
    def account_key(self) -> str:
        return self.account_iban or self.account_number


def to_minor_exact(text: str | Decimal, currency: str, *, filename: str, place: str) -> int:
    """A statement amount in minor units; trailing zeros are fine, real extra decimals are refused."""
    try:
        value = text if isinstance(text, Decimal) else Decimal(str(text).strip())
        exponent = minor_exponent(currency)
    except (InvalidOperation, ValueError) as exc:
        msg = str(exc) if isinstance(exc, ValueError) and str(exc) else f"{text!r} is not an amount"
        raise StatementError(filename, place, msg) from None
    if not value.is_finite():
        raise StatementError(filename, place, f"{text!r} is not an amount")
    scaled = value.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise StatementError(filename, place, f"{text} has more decimals than {currency} allows ({exponent})")
    if abs(scaled) >= MAX_MINOR:
        raise StatementError(filename, place, f"{text} {currency} is not a plausible amount (too large)")
    return int(scaled)

"""Which earlier bank credit a returned direct debit or a refund undoes.

Pure: no Django, no I/O. Split from ``matching`` (which scores credits against invoices):
here a debit is matched against the credits booked before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from recoup.core.matching import compact


@dataclass(frozen=True)
class Movement:
    """A booked line, for finding what a return or refund undoes."""

    id: int
    amount_minor: int
    booking_date: date
    end_to_end_id: str = ""
    bank_ref: str = ""
    counterparty_account: str = ""
    text: str = ""


def original_of(debit: Movement, credits: list[Movement], *, is_return: bool, window_days: int = 120) -> Movement | None:
    """The earlier credit that a returned direct debit or a refund undoes, if any.

    Matched by the end-to-end id, else by the debit's text naming the credit's bank
    reference or end-to-end id, else (for a return) the same counter account and an
    amount equal to the credit or the credit plus a return fee (at most 10%).
    """
    earlier = [c for c in credits if c.booking_date <= debit.booking_date
               and (debit.booking_date - c.booking_date).days <= window_days and c.amount_minor > 0]
    back = -debit.amount_minor
    if debit.end_to_end_id:
        same = [c for c in earlier if c.end_to_end_id == debit.end_to_end_id]
        if len(same) == 1:
            return same[0]
    text = compact(debit.text)
    for c in earlier:
        for ref in (c.bank_ref, c.end_to_end_id):
            if len(compact(ref)) >= 6 and compact(ref) in text:
                return c
    if is_return and debit.counterparty_account:
        same = [c for c in earlier if compact(c.counterparty_account) == compact(debit.counterparty_account)
                and c.amount_minor <= back <= c.amount_minor * 11 // 10]
        if len(same) == 1:
            return same[0]
    return None

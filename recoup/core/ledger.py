"""The balance rule of an invoice, shared by reports and consistency checks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import Enum


class MovementKind(str, Enum):
    """What moved an invoice's balance."""

    CHARGE = "charge"  # e.g. a late fee; raises the balance
    ALLOCATION = "allocation"  # part of a payment applied to the invoice
    CREDIT = "credit"  # credit note
    WRITEOFF = "writeoff"


@dataclass(frozen=True)
class Movement:
    """One movement on an invoice; ``minor`` is positive, the kind gives the sign."""

    kind: MovementKind
    on: date
    minor: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", MovementKind(self.kind))
        if isinstance(self.minor, bool) or not isinstance(self.minor, int) or self.minor <= 0:
            raise ValueError("a movement's minor amount must be a positive int")


def open_balance_minor(*, total_minor: int, movements: Iterable[Movement],
                       as_of: date | None = None) -> int:
    """Open balance of an invoice.

    open = total + charges - allocations - credits - write-offs, counting only
    movements dated on or before ``as_of`` when it is given.

    Args:
        total_minor: the invoice total in minor units.
        movements: the invoice's movements.
        as_of: optional date; later movements are ignored.
    Returns:
        The open balance in minor units (negative when overpaid).
    """
    balance = total_minor
    for m in movements:
        if as_of is not None and m.on > as_of:
            continue
        balance += m.minor if m.kind is MovementKind.CHARGE else -m.minor
    return balance

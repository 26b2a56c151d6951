"""Allocation of an incoming payment to a customer's open invoices.

The business rule: a payment that names an invoice pays that invoice first,
up to its open balance, whatever its issue date. What is left (or the whole
payment when nothing is named) pays the other open invoices issued on or
before the payment date, oldest due date first, then oldest issue date, then
invoice number in natural order ("INV-9" before "INV-10"), each up to its
open balance. Anything still left is unapplied: a credit on account.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

_DIGITS = re.compile(r"(\d+)")


@dataclass(frozen=True)
class OpenItem:
    """An invoice with its open balance in minor units."""

    id: int
    number: str
    issue_date: date
    due_date: date
    open_minor: int


@dataclass(frozen=True)
class AllocationPlan:
    """Result of ``allocate``: (item id, minor amount > 0) in application order."""

    parts: tuple[tuple[int, int], ...]
    unapplied_minor: int

    @property
    def applied_minor(self) -> int:
        """Total applied to items."""
        return sum(amount for _, amount in self.parts)


def natural_key(text: str) -> tuple[str | int, ...]:
    """Sort key comparing digit runs as numbers: "INV-9" < "INV-10".

    ``re.split`` with a capturing group alternates text and digits starting
    with text, so positions always hold the same type and tuples compare.
    """
    return tuple(int(p) if i % 2 else p.casefold() for i, p in enumerate(_DIGITS.split(text)))


def _order(item: OpenItem) -> tuple[object, ...]:
    # number and id break the remaining ties ("INV-09" vs "INV-9") for determinism.
    return (item.due_date, item.issue_date, natural_key(item.number), item.number, item.id)


def allocate(*, amount_minor: int, items: Sequence[OpenItem], payment_date: date,
             named_id: int | None = None) -> AllocationPlan:
    """Plan how a payment is applied to open items (see module docstring).

    Items with ``open_minor <= 0`` are never touched. The result does not
    depend on the order of ``items``.

    Args:
        amount_minor: the payment in minor units, > 0.
        items: the customer's open items; ids must be unique.
        payment_date: the date of the payment.
        named_id: id of the item the payment names (remittance reference), if any.
    Returns:
        The plan; sum of parts + unapplied_minor == amount_minor.
    Raises:
        ValueError: for amount_minor <= 0, duplicate ids or an unknown named_id.
    """
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise TypeError("amount_minor must be an int")
    if amount_minor <= 0:
        raise ValueError("a payment must be a positive amount")
    by_id = {item.id: item for item in items}
    if len(by_id) != len(items):
        raise ValueError("open items must have unique ids")
    if named_id is not None and named_id not in by_id:
        raise ValueError(f"payment names unknown item {named_id}")

    queue = sorted(
        (i for i in items if i.id != named_id and i.issue_date <= payment_date),
        key=_order,
    )
    if named_id is not None:
        queue.insert(0, by_id[named_id])

    left = amount_minor
    parts: list[tuple[int, int]] = []
    for item in queue:
        if left == 0:
            break
        if item.open_minor <= 0:
            continue
        paid = min(left, item.open_minor)
        parts.append((item.id, paid))
        left -= paid
    return AllocationPlan(parts=tuple(parts), unapplied_minor=left)

"""Receivables aging: days past due sorted into buckets.

Edges (30, 60, 90) give the buckets "current" (not yet due, including due
today), "1-30", "31-60", "61-90" and "91+" days past due. ``age_items`` is
the pure reference the SQL aging report is cross-checked against.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

DEFAULT_EDGES: tuple[int, ...] = (30, 60, 90)
# A century: beyond it "as-of minus edge" leaves the calendar for early dates.
MAX_EDGE_DAYS = 36_500


def _check_edges(edges: Sequence[int]) -> tuple[int, ...]:
    edges = tuple(edges)
    if not edges:
        raise ValueError("give at least one bucket edge, e.g. 30,60,90")
    if any(isinstance(e, bool) or not isinstance(e, int) or e <= 0 for e in edges):
        raise ValueError("bucket edges must be positive whole numbers of days")
    if any(a >= b for a, b in zip(edges, edges[1:])):
        raise ValueError("bucket edges must be strictly increasing, e.g. 30,60,90")
    if edges[-1] > MAX_EDGE_DAYS:
        raise ValueError(f"bucket edges must be at most {MAX_EDGE_DAYS} days")
    return edges


def parse_edges(text: str) -> tuple[int, ...]:
    """Parse comma-separated bucket edges such as "30,60,90" or "15, 45".

    Args: text: the edges as typed.
    Returns: the edges as a tuple of ints.
    Raises: ValueError if a part is not a positive whole number or the edges
        are not strictly increasing.
    """
    parts = [p.strip() for p in text.split(",")]
    if parts == [""]:
        raise ValueError("give at least one bucket edge, e.g. 30,60,90")
    for part in parts:
        if not (part.isascii() and part.isdigit()):
            raise ValueError(f"{part!r} is not a whole number of days (use e.g. 30,60,90)")
    return _check_edges([int(p) for p in parts])


def bucket_labels(edges: Sequence[int] = DEFAULT_EDGES) -> list[str]:
    """Labels for the buckets: (30, 60, 90) -> current, 1-30, 31-60, 61-90, 91+."""
    edges = _check_edges(edges)
    labels = ["current"]
    low = 1
    for edge in edges:
        labels.append(f"{low}-{edge}")
        low = edge + 1
    labels.append(f"{low}+")
    return labels


def bucket_index(days_past_due: int, edges: Sequence[int] = DEFAULT_EDGES) -> int:
    """Index into ``bucket_labels(edges)``: <= 0 -> 0, 1..edges[0] -> 1, and so on."""
    edges = _check_edges(edges)
    if days_past_due <= 0:
        return 0
    return bisect_left(edges, days_past_due) + 1


def days_past_due(due_date: date, as_of: date) -> int:
    """Days from ``due_date`` to ``as_of``; 0 on the due date, negative before it."""
    return (as_of - due_date).days


@dataclass(frozen=True)
class AgingItem:
    """An invoice for aging; ``open_minor`` is its open balance as of the report date."""

    issue_date: date
    due_date: date
    open_minor: int


def age_items(items: Iterable[AgingItem], *, as_of: date,
              edges: Sequence[int] = DEFAULT_EDGES) -> list[int]:
    """Total open balance per bucket as of a date.

    Args:
        items: the invoices with their open balances as of ``as_of``.
        as_of: the report date; items issued after it are ignored.
        edges: bucket edges in days past due.
    Returns:
        One total in minor units per bucket, aligned with ``bucket_labels``.
    """
    edges = _check_edges(edges)
    totals = [0] * (len(edges) + 2)
    for item in items:
        if item.issue_date <= as_of:
            totals[bucket_index(days_past_due(item.due_date, as_of), edges)] += item.open_minor
    return totals

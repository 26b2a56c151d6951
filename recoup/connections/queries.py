"""Small query helpers."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet


def one(qs: QuerySet) -> Any:
    """The first row of ``qs`` in no particular order, or None: unlike ``first()`` it adds no
    ORDER BY, which on SQLite without statistics can make the planner walk a whole table's
    primary key or date index instead of using the index the filter names (see docs/benchmarks.md)."""
    return next(iter(qs.order_by()[:1]), None)

"""Today's aging report, stored and kept up to date, so its default view reads an index, not every
open invoice (at 1,000,000 invoices ``aging()`` takes seconds; one page of 100 rows, the totals and
the ten most overdue customers must not).

- ``store_write`` (after the day's cycle, with the insight snapshot) stores every row of
  ``aging(org, as_of=day)`` with the default buckets, and the day they are for (``AgingDay``).
- Database triggers (migration 0002) note in ``AgingChange`` every customer whose ledger changes
  afterwards, whatever code changes it.
- ``stored_is_current(org, today)`` is the readers' gate: False (compute live) unless the stored
  rows are today's; otherwise it first recomputes the noted customers' rows with ``aging(...,
  customer_ids=...)`` and forgets those notes, in one transaction, so what it returns is what
  ``aging(org, as_of=today)`` says.

The rows are ``aging()``'s own (same code, same name order: ``sort_name`` is Python's
``name.lower()``), so the stored and the live report cannot drift apart.

Concurrency: a note is forgotten only by the transaction that read it before recomputing its
customer, so a change committed meanwhile leaves its own note behind. Readers that recompute
serialize on the ``AgingDay`` row; a rewrite first sets ``on`` to null (readers then compute live
and recompute nothing) and writes only if no later rewrite has begun (``generation``).
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import connection, transaction
from django.db.models import QuerySet

from recoup.core.aging import DEFAULT_EDGES, bucket_labels
from recoup.orgs.models import Organization
from recoup.reports.aging import AgingReport, AgingRow, aging
from recoup.reports.models import BUCKET_COLUMNS, AgingChange, AgingDay, StoredAgingRow

LABELS = bucket_labels(DEFAULT_EDGES)
assert len(LABELS) == len(BUCKET_COLUMNS), "StoredAgingRow has one column per default bucket"

# More customers noted than this: recompute every row at once rather than customer by customer.
FULL_REFRESH_AT = 2_000
CHUNK = 500

_COLUMNS = ("org_id", "customer_id", "currency", "ref", "name", "sort_name", *BUCKET_COLUMNS, "credit_minor",
            "total_minor", "overdue_minor", "oldest_overdue")
_INSERT = (f"INSERT INTO reports_storedagingrow ({', '.join(_COLUMNS)}) "
           f"VALUES ({', '.join(['%s'] * len(_COLUMNS))})")


def _insert(org: Organization, rows: list[AgingRow]) -> None:
    adapt = connection.ops.adapt_datefield_value
    values = [(org.pk, r.customer_id, r.currency, r.customer_ref, r.customer, r.customer.lower(), *r.buckets_minor,
               r.credit_minor, r.total_minor, r.overdue_minor, adapt(r.oldest_overdue)) for r in rows]
    with connection.cursor() as cursor:
        for start in range(0, len(values), 10_000):
            cursor.executemany(_INSERT, values[start:start + 10_000])


def _delete_rows(org: Organization, customer_ids: list[int] | None = None) -> None:
    with connection.cursor() as cursor:
        if customer_ids is None:
            cursor.execute("DELETE FROM reports_storedagingrow WHERE org_id = %s", [org.pk])
        elif customer_ids:
            marks = ", ".join(["%s"] * len(customer_ids))
            cursor.execute(f"DELETE FROM reports_storedagingrow WHERE org_id = %s AND customer_id IN ({marks})",
                           [org.pk, *customer_ids])


def _changes_seen(org: Organization) -> tuple[list[int], set[int]]:
    """The notes visible now (ids) and the customers they name."""
    seen = list(AgingChange.objects.filter(org_id=org.pk).values_list("id", "customer_id"))
    return [pk for pk, _ in seen], {customer for _, customer in seen}


def _forget(ids: list[int]) -> None:
    for start in range(0, len(ids), CHUNK):
        AgingChange.objects.filter(id__in=ids[start:start + CHUNK]).delete()


def _begin_rewrite(org: Organization, on: date) -> int | None:
    """Arm the triggers (an ``AgingDay`` row) and take this rewrite's generation; None when the
    stored rows are for a later day than ``on`` (they stay)."""
    with transaction.atomic():
        AgingDay.objects.get_or_create(org=org)
        day = AgingDay.objects.select_for_update(no_key=True).get(org=org)
        if day.on is not None and day.on > on:
            return None
        day.on = None
        day.generation += 1
        day.save(update_fields=["on", "generation"])
        return day.generation


def store_write(*, org: Organization, on: date, now: datetime) -> int | None:
    """Store every customer's aging row as of ``on`` (default buckets); returns how many, or None when
    nothing was written (stored rows of a later day, or a later rewrite began meanwhile).
    Derived data, recomputable at any time: no audit event."""
    generation = _begin_rewrite(org, on)
    if generation is None:
        return None
    ids, _ = _changes_seen(org)  # noted before the report is read: its rows include their changes
    rows = aging(org=org, as_of=on).rows
    with transaction.atomic():
        day = AgingDay.objects.select_for_update(no_key=True).get(org=org)
        if day.generation != generation:
            return None
        _delete_rows(org)
        _insert(org, rows)
        _forget(ids)
        day.on, day.computed_at = on, now
        day.save(update_fields=["on", "computed_at"])
    return len(rows)


def stored_is_current(org: Organization, today: date) -> bool:
    """Whether the stored rows answer for ``today``; when they do, the customers whose ledger changed
    since are recomputed first (one transaction). False: the caller computes live."""
    if AgingDay.objects.filter(org=org).values_list("on", flat=True).first() != today:
        return False
    if not AgingChange.objects.filter(org_id=org.pk).exists():
        return True
    with transaction.atomic():
        day = AgingDay.objects.select_for_update(no_key=True).filter(org=org).first()
        if day is None or day.on != today:
            return False
        ids, customers = _changes_seen(org)
        if len(customers) > FULL_REFRESH_AT:
            rows = aging(org=org, as_of=today).rows
            _delete_rows(org)
            _insert(org, rows)
        else:
            ordered = sorted(customers)
            for start in range(0, len(ordered), CHUNK):
                chunk = ordered[start:start + CHUNK]
                rows = aging(org=org, as_of=today, customer_ids=chunk).rows
                _delete_rows(org, chunk)
                _insert(org, rows)
        _forget(ids)
    return True


def forget_customer(org: Organization, customer_id: int) -> None:
    """Delete a customer's stored rows now (an erased customer's name must not wait for the next read);
    the trigger's note brings them back, under the new name, before the next read."""
    _delete_rows(org, [customer_id])


def stored_rows(org: Organization) -> QuerySet[StoredAgingRow]:
    """The stored rows in the report's order (index ``stored_aging_page_order``): slice it for a page."""
    return StoredAgingRow.objects.filter(org=org).order_by("sort_name", "ref", "currency")


def as_aging_row(row: StoredAgingRow) -> AgingRow:
    return AgingRow(row.customer_id, row.ref, row.name, row.currency,
                    [getattr(row, column) for column in BUCKET_COLUMNS], credit_minor=row.credit_minor,
                    overdue_minor=row.overdue_minor, oldest_overdue=row.oldest_overdue)


def stored_totals(org: Organization, as_of: date) -> AgingReport:
    """The per-currency totals of the stored rows (no rows), as ``aging_totals`` gives them live."""
    sums = ", ".join(f"SUM({c})" for c in (*BUCKET_COLUMNS, "credit_minor", "total_minor"))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT currency, {sums} FROM reports_storedagingrow WHERE org_id = %s GROUP BY currency",
                       [org.pk])
        raw = cursor.fetchall()
    totals = {}
    for currency, *amounts in raw:
        amounts = [int(v) for v in amounts]
        totals[currency] = {**dict(zip(LABELS, amounts)), "credit": amounts[-2], "total": amounts[-1]}
    return AgingReport(as_of=as_of, labels=list(LABELS), rows=[], totals_minor=totals)


def stored_most_overdue(org: Organization, limit: int = 10) -> list[AgingRow]:
    """The customers owing the most past due (on invoices with something left to pay), biggest first."""
    rows = (StoredAgingRow.objects.filter(org=org, overdue_minor__gt=0)
            .order_by("-overdue_minor", "ref", "currency")[:limit])
    return [as_aging_row(r) for r in rows]

"""Aging of receivables as of any date, computed by SQL aggregation.

An invoice's open balance as of a date D is its stored (current) open balance
with every movement dated after D undone:

    open(D) = open_now + allocations(>D) + write-offs(>D) - charges(>D)

Movements after D are few for any recent D, so the report reads the open
invoices (through the partial index ``invoice_open_by_due``) plus the handful
touched since D, and groups them in the database. Unapplied credit on account
(payments and credit notes not yet allocated) is undone the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection

from recoup.core.aging import DEFAULT_EDGES, bucket_labels
from recoup.core.money import from_minor, minor_to_text
from recoup.orgs.models import Organization

_INVOICE_DELTA = """
    SELECT invoice_id, SUM(amt) AS amt FROM (
        SELECT invoice_id, amount_minor AS amt FROM ledger_allocation WHERE org_id = %(org)s AND date > %(d)s
        UNION ALL
        SELECT invoice_id, amount_minor FROM ledger_writeoff WHERE org_id = %(org)s AND date > %(d)s
        UNION ALL
        SELECT invoice_id, -amount_minor FROM ledger_charge WHERE org_id = %(org)s AND date > %(d)s
        UNION ALL
        SELECT c.invoice_id, w.amount_minor FROM ledger_chargewaiver w JOIN ledger_charge c ON c.id = w.charge_id
         WHERE w.org_id = %(org)s AND w.date > %(d)s
    ) moves GROUP BY invoice_id
"""

# Open invoices as of D: untouched since D (stored balance holds) or touched
# since D (stored balance plus the undone movements).
_INVOICES_AS_OF = f"""
    WITH delta AS ({_INVOICE_DELTA})
    SELECT i.id, i.customer_id, i.currency, i.due_date, i.open_minor AS bal
      FROM ledger_invoice i
     WHERE i.org_id = %(org)s AND i.open_minor <> 0 AND i.issue_date <= %(d)s /*i.customer*/
       AND i.id NOT IN (SELECT invoice_id FROM delta)
    UNION ALL
    SELECT i.id, i.customer_id, i.currency, i.due_date, i.open_minor + delta.amt
      FROM ledger_invoice i JOIN delta ON delta.invoice_id = i.id
     WHERE i.issue_date <= %(d)s AND i.open_minor + delta.amt <> 0 /*i.customer*/
"""

# Credit on account as of D: what is unapplied now, plus what was applied after D.
# Sources with credit left now are found through the partial indexes
# (payment_with_credit, credit_note_with_credit); their date is tested in the
# CASE rather than the WHERE so that the planner does not prefer the date index
# and read every payment. Sources used up since D come from ``later``.
_CREDIT_SOURCES = """
        SELECT {a}.customer_id, {a}.currency,
               CASE WHEN {a}.date <= %(d)s THEN {a}.unapplied_minor + COALESCE(later.amt, 0) ELSE 0 END AS bal
          FROM {table} {a} LEFT JOIN later ON later.{key} = {a}.id
         WHERE {a}.org_id = %(org)s AND {a}.unapplied_minor > 0 /*{a}.customer*/
        UNION ALL
        SELECT {a}.customer_id, {a}.currency, later.amt
          FROM later JOIN {table} {a} ON {a}.id = later.{key}
         WHERE {a}.unapplied_minor = 0 AND {a}.date <= %(d)s /*{a}.customer*/
"""
_CREDIT_AS_OF = f"""
    WITH later AS (
        SELECT payment_id AS pid, credit_note_id AS cid, SUM(amount_minor) AS amt
          FROM ledger_allocation WHERE org_id = %(org)s AND date > %(d)s
         GROUP BY payment_id, credit_note_id
    )
    SELECT customer_id, currency, -SUM(bal) AS amt FROM (
        {_CREDIT_SOURCES.format(a="p", table="ledger_payment", key="pid")}
        UNION ALL
        {_CREDIT_SOURCES.format(a="c", table="ledger_creditnote", key="cid")}
    ) credits WHERE bal <> 0 GROUP BY customer_id, currency
"""


@dataclass
class AgingRow:
    """One customer and currency (or one invoice) of the report; amounts in minor units."""

    customer_id: int
    customer_ref: str
    customer: str
    currency: str
    buckets_minor: list[int]
    credit_minor: int = 0
    invoice_number: str | None = None
    due_date: date | None = None
    # By customer only: what is past due on invoices with a positive balance, and the oldest of
    # their due dates (the dashboard's most-overdue list); credit and overpaid invoices do not count.
    overdue_minor: int = 0
    oldest_overdue: date | None = None

    @property
    def total_minor(self) -> int:
        return sum(self.buckets_minor) + self.credit_minor

    @property
    def buckets(self) -> list[Decimal]:
        return [from_minor(v, self.currency) for v in self.buckets_minor]

    @property
    def credit(self) -> Decimal:
        return from_minor(self.credit_minor, self.currency)

    @property
    def total(self) -> Decimal:
        return from_minor(self.total_minor, self.currency)


@dataclass
class AgingReport:
    as_of: date
    labels: list[str]
    rows: list[AgingRow]
    totals_minor: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def totals(self) -> dict[str, dict[str, Decimal]]:
        """Per currency: each bucket, ``credit`` and ``total`` as Decimals."""
        return {cur: {k: from_minor(v, cur) for k, v in t.items()} for cur, t in self.totals_minor.items()}

    def as_json(self) -> dict:
        labels = self.labels

        def row_json(r: AgingRow) -> dict:
            cur = r.currency
            out = {"customer_ref": r.customer_ref, "customer": r.customer, "currency": cur}
            if r.invoice_number is not None:
                out["invoice_number"] = r.invoice_number
                out["due_date"] = r.due_date.isoformat() if r.due_date else None
            out.update({label: minor_to_text(v, cur) for label, v in zip(labels, r.buckets_minor)})
            out["credit"] = minor_to_text(r.credit_minor, cur)
            out["total"] = minor_to_text(r.total_minor, cur)
            return out

        return {
            "as_of": self.as_of.isoformat(),
            "buckets": labels,
            "rows": [row_json(r) for r in self.rows],
            "totals": {cur: {k: minor_to_text(v, cur) for k, v in t.items()}
                       for cur, t in sorted(self.totals_minor.items())},
        }


def _bucket_sql(as_of: date, edges: tuple[int, ...], params: dict) -> list[str]:
    """One SUM(CASE ...) per bucket, comparing due dates with thresholds.

    Columns are qualified with ``items.``: the by-invoice query joins
    ledger_invoice, which has a due_date of its own.
    """
    adapt = connection.ops.adapt_datefield_value
    params["t0"] = adapt(as_of)
    cases = ["SUM(CASE WHEN items.due_date >= %(t0)s THEN items.bal ELSE 0 END)"]
    previous = "t0"
    for i, edge in enumerate(edges, start=1):
        params[f"t{i}"] = adapt(as_of - timedelta(days=edge))
        cases.append(
            f"SUM(CASE WHEN items.due_date < %({previous})s AND items.due_date >= %(t{i})s THEN items.bal ELSE 0 END)"
        )
        previous = f"t{i}"
    cases.append(f"SUM(CASE WHEN items.due_date < %({previous})s THEN items.bal ELSE 0 END)")
    return cases


def _only_customers(sql: str, customer_ids: list[int] | None, params: dict) -> str:
    """Turn the ``/*x.customer*/`` markers into a filter on some customers; without them they stay comments."""
    if customer_ids is None:
        return sql
    names = []
    for i, pk in enumerate(customer_ids):
        params[f"customer{i}"] = pk
        names.append(f"%(customer{i})s")
    test = f"= {names[0]}" if len(names) == 1 else f"IN ({', '.join(names) or 'NULL'})"
    return re.sub(r"/\*(\w)\.customer\*/", rf"AND \1.customer_id {test}", sql)


_NAMES = "c.ref, c.display_name, c.legal_name"


def aging(
    *, org: Organization, as_of: date, edges: tuple[int, ...] = DEFAULT_EDGES, by: str = "customer",
    customer_id: int | None = None, customer_ids: list[int] | None = None,
) -> AgingReport:
    """The aging report of one organization as of a date, by customer or by invoice.

    With ``customer_id`` (or a few ``customer_ids``), only those customers' invoices and credit
    are read (in SQL). Amounts stay integers in minor units until they are shown.
    """
    labels = bucket_labels(edges)
    params: dict = {"org": org.pk, "d": connection.ops.adapt_datefield_value(as_of)}
    buckets = ", ".join(f"{case} AS b{i}" for i, case in enumerate(_bucket_sql(as_of, edges, params)))
    if customer_id is not None:
        customer_ids = [customer_id]
    if by == "invoice":
        sql = f"""
            SELECT items.customer_id, items.currency, {_NAMES}, inv.number, items.due_date, {buckets}
              FROM ({_INVOICES_AS_OF}) items
              JOIN ledger_invoice inv ON inv.id = items.id JOIN ledger_customer c ON c.id = items.customer_id
             GROUP BY items.id, items.customer_id, items.currency, {_NAMES}, inv.number, items.due_date
        """
    elif by == "customer":
        sql = f"""
            SELECT g.*, {_NAMES} FROM (
                SELECT items.customer_id, items.currency, {buckets},
                       SUM(CASE WHEN items.due_date < %(t0)s AND items.bal > 0 THEN items.bal ELSE 0 END) AS overdue,
                       MIN(CASE WHEN items.due_date < %(t0)s AND items.bal > 0 THEN items.due_date END) AS oldest
                  FROM ({_INVOICES_AS_OF}) items
                 GROUP BY items.customer_id, items.currency
            ) g JOIN ledger_customer c ON c.id = g.customer_id
        """
    else:
        raise ValueError(f"aging by {by!r}: use 'customer' or 'invoice'")
    credit_sql = f"SELECT cr.*, {_NAMES} FROM ({_CREDIT_AS_OF}) cr JOIN ledger_customer c ON c.id = cr.customer_id"

    with connection.cursor() as cursor:
        cursor.execute(_only_customers(sql, customer_ids, params), params)
        raw = cursor.fetchall()
        cursor.execute(_only_customers(credit_sql, customer_ids, params), params)
        credits = cursor.fetchall()

    width = len(labels)
    rows: dict[tuple, AgingRow] = {}
    if by == "invoice":
        for cust, cur, ref, display, legal, number, due, *amounts in raw:
            rows[(cust, cur, number)] = AgingRow(cust, ref, display or legal, cur, [int(v) for v in amounts],
                                                 invoice_number=number, due_date=_as_date(due))
    else:
        for cust, cur, *rest in raw:
            *amounts, overdue, oldest, ref, display, legal = rest
            rows[(cust, cur)] = AgingRow(cust, ref, display or legal, cur, [int(v) for v in amounts],
                                         overdue_minor=int(overdue), oldest_overdue=oldest and _as_date(oldest))
    for cust, cur, minor, ref, display, legal in credits:
        key = (cust, cur, None) if by == "invoice" else (cust, cur)
        row = rows.get(key)
        if row is None:
            row = rows[key] = AgingRow(cust, ref, display or legal, cur, [0] * width,
                                       invoice_number="(credit on account)" if by == "invoice" else None)
        row.credit_minor = int(minor)

    kept = [r for r in rows.values() if r.credit_minor or any(r.buckets_minor)]
    kept.sort(key=lambda r: (r.customer.lower(), r.customer_ref, r.currency, r.due_date or date.min,
                             r.invoice_number or ""))
    return AgingReport(as_of=as_of, labels=labels, rows=kept, totals_minor=_totals(kept, labels))


def aging_totals(*, org: Organization, as_of: date, edges: tuple[int, ...] = DEFAULT_EDGES) -> AgingReport:
    """Only the per-currency totals of ``aging`` (no rows), grouped by currency in SQL: for the dashboard."""
    labels = bucket_labels(edges)
    params: dict = {"org": org.pk, "d": connection.ops.adapt_datefield_value(as_of)}
    buckets = ", ".join(_bucket_sql(as_of, edges, params))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT items.currency, {buckets} FROM ({_INVOICES_AS_OF}) items GROUP BY items.currency",
                       params)
        raw = cursor.fetchall()
        cursor.execute(f"SELECT cr.currency, SUM(cr.amt) FROM ({_CREDIT_AS_OF}) cr GROUP BY cr.currency", params)
        credits = {cur: int(v) for cur, v in cursor.fetchall()}
    by_currency = {cur: [int(v) for v in amounts] for cur, *amounts in raw}
    totals: dict[str, dict[str, int]] = {}
    for cur in {*by_currency, *credits}:
        amounts = by_currency.get(cur, [0] * len(labels))
        credit = credits.get(cur, 0)
        totals[cur] = {**dict(zip(labels, amounts)), "credit": credit, "total": sum(amounts) + credit}
    return AgingReport(as_of=as_of, labels=labels, rows=[], totals_minor=totals)


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _totals(rows: list[AgingRow], labels: list[str]) -> dict[str, dict[str, int]]:
    totals: dict[str, dict[str, int]] = {}
    for r in rows:
        t = totals.setdefault(r.currency, dict.fromkeys([*labels, "credit", "total"], 0))
        for label, v in zip(labels, r.buckets_minor):
            t[label] += v
        t["credit"] += r.credit_minor
        t["total"] += r.total_minor
    return totals

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

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection

from recoup.core.aging import DEFAULT_EDGES, bucket_labels
from recoup.core.money import from_minor
from recoup.orgs.models import Organization

_INVOICE_DELTA = """
    SELECT invoice_id, SUM(amt) AS amt FROM (
        SELECT invoice_id, amount_minor AS amt FROM ledger_allocation WHERE org_id = %(org)s AND date > %(d)s
        UNION ALL
        SELECT invoice_id, amount_minor FROM ledger_writeoff WHERE org_id = %(org)s AND date > %(d)s
        UNION ALL
        SELECT invoice_id, -amount_minor FROM ledger_charge WHERE org_id = %(org)s AND date > %(d)s
    ) moves GROUP BY invoice_id
"""

# Open invoices as of D: untouched since D (stored balance holds) or touched
# since D (stored balance plus the undone movements).
_INVOICES_AS_OF = f"""
    WITH delta AS ({_INVOICE_DELTA})
    SELECT i.id, i.customer_id, i.currency, i.due_date, i.open_minor AS bal
      FROM ledger_invoice i
     WHERE i.org_id = %(org)s AND i.open_minor <> 0 AND i.issue_date <= %(d)s
       AND NOT EXISTS (SELECT 1 FROM delta WHERE delta.invoice_id = i.id)
    UNION ALL
    SELECT i.id, i.customer_id, i.currency, i.due_date, i.open_minor + delta.amt
      FROM ledger_invoice i JOIN delta ON delta.invoice_id = i.id
     WHERE i.issue_date <= %(d)s AND i.open_minor + delta.amt <> 0
"""

_CREDIT_AS_OF = """
    WITH later AS (
        SELECT payment_id AS pid, credit_note_id AS cid, SUM(amount_minor) AS amt
          FROM ledger_allocation WHERE org_id = %(org)s AND date > %(d)s
         GROUP BY payment_id, credit_note_id
    )
    SELECT customer_id, currency, -SUM(bal) FROM (
        SELECT p.customer_id, p.currency, p.unapplied_minor + COALESCE(later.amt, 0) AS bal
          FROM ledger_payment p LEFT JOIN later ON later.pid = p.id
         WHERE p.org_id = %(org)s AND p.date <= %(d)s
        UNION ALL
        SELECT c.customer_id, c.currency, c.unapplied_minor + COALESCE(later.amt, 0)
          FROM ledger_creditnote c LEFT JOIN later ON later.cid = c.id
         WHERE c.org_id = %(org)s AND c.date <= %(d)s
    ) credits WHERE bal <> 0 GROUP BY customer_id, currency
"""


@dataclass
class AgingRow:
    customer_id: int
    customer_ref: str
    customer: str
    currency: str
    buckets: list[Decimal]
    credit: Decimal
    invoice_number: str | None = None
    due_date: date | None = None

    @property
    def total(self) -> Decimal:
        return sum(self.buckets, Decimal(0)) + self.credit


@dataclass
class AgingReport:
    as_of: date
    labels: list[str]
    rows: list[AgingRow]
    totals: dict[str, dict[str, Decimal]] = field(default_factory=dict)

    def as_json(self) -> dict:
        def row_json(r: AgingRow) -> dict:
            out = {"customer_ref": r.customer_ref, "customer": r.customer, "currency": r.currency}
            if r.invoice_number is not None:
                out["invoice_number"] = r.invoice_number
                out["due_date"] = r.due_date.isoformat() if r.due_date else None
            out.update({label: str(v) for label, v in zip(self.labels, r.buckets)})
            out["credit"] = str(r.credit)
            out["total"] = str(r.total)
            return out

        return {
            "as_of": self.as_of.isoformat(),
            "buckets": self.labels,
            "rows": [row_json(r) for r in self.rows],
            "totals": {cur: {k: str(v) for k, v in t.items()} for cur, t in sorted(self.totals.items())},
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


def aging(*, org: Organization, as_of: date, edges: tuple[int, ...] = DEFAULT_EDGES, by: str = "customer") -> AgingReport:
    """The aging report of one organization as of a date, by customer or by invoice."""
    labels = bucket_labels(edges)
    params: dict = {"org": org.pk, "d": connection.ops.adapt_datefield_value(as_of)}
    cases = _bucket_sql(as_of, edges, params)
    if by == "invoice":
        sql = f"""
            SELECT items.customer_id, items.currency, inv.number, items.due_date, {", ".join(cases)}
              FROM ({_INVOICES_AS_OF}) items JOIN ledger_invoice inv ON inv.id = items.id
             GROUP BY items.id, items.customer_id, items.currency, inv.number, items.due_date
        """
        key_width = 4
    elif by == "customer":
        sql = f"SELECT customer_id, currency, {', '.join(cases)} FROM ({_INVOICES_AS_OF}) items GROUP BY customer_id, currency"
        key_width = 2
    else:
        raise ValueError(f"aging by {by!r}: use 'customer' or 'invoice'")

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        raw = cursor.fetchall()
        cursor.execute(_CREDIT_AS_OF, params)
        credits = {(c, cur): int(v) for c, cur, v in cursor.fetchall()}

    rows: dict[tuple, AgingRow] = {}
    for rec in raw:
        customer_id, currency = rec[0], rec[1]
        key = tuple(rec[:key_width])
        rows[key] = AgingRow(
            customer_id=customer_id, customer_ref="", customer="", currency=currency,
            buckets=[from_minor(int(v), currency) for v in rec[key_width:]], credit=Decimal(0),
            invoice_number=rec[2] if by == "invoice" else None,
            due_date=_as_date(rec[3]) if by == "invoice" else None,
        )
    for (customer_id, currency), minor in credits.items():
        key = (customer_id, currency) if by == "customer" else (customer_id, currency, None, None)
        row = rows.setdefault(key, AgingRow(
            customer_id=customer_id, customer_ref="", customer="", currency=currency,
            buckets=[from_minor(0, currency)] * len(labels), credit=Decimal(0),
            invoice_number="(credit on account)" if by == "invoice" else None,
        ))
        row.credit = from_minor(minor, currency)

    kept = [r for r in rows.values() if r.total or r.credit or any(r.buckets)]
    _name_customers(kept)
    kept.sort(key=lambda r: (r.customer.lower(), r.customer_ref, r.currency, r.due_date or date.min, r.invoice_number or ""))
    return AgingReport(as_of=as_of, labels=labels, rows=kept, totals=_totals(kept, labels))


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _name_customers(rows: list[AgingRow]) -> None:
    from recoup.ledger.models import Customer

    ids = list({r.customer_id for r in rows})
    names: dict[int, tuple[str, str]] = {}
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        for pk, ref, display, legal in Customer.objects.filter(pk__in=chunk).values_list(
            "pk", "ref", "display_name", "legal_name"
        ):
            names[pk] = (ref, display or legal)
    for r in rows:
        r.customer_ref, r.customer = names[r.customer_id]


def _totals(rows: list[AgingRow], labels: list[str]) -> dict[str, dict[str, Decimal]]:
    totals: dict[str, dict[str, Decimal]] = {}
    for r in rows:
        t = totals.setdefault(r.currency, {label: Decimal(0) for label in [*labels, "credit", "total"]})
        for label, v in zip(labels, r.buckets):
            t[label] += v
        t["credit"] += r.credit
        t["total"] += r.total
    for cur, t in totals.items():
        for k in t:
            t[k] = from_minor(0, cur) + t[k]
    return totals

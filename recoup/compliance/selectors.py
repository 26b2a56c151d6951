"""Reads: the rate book of an organization, an invoice's limitation date.

The jurisdiction helpers live in ``recoup.ledger.jurisdiction`` (the ledger needs them too) and are
imported here for the apps that read them with the rest of the compliance facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from recoup.compliance.models import RatePoint
from recoup.core.limitation import Event, LimitationDate, limitation_date
from recoup.core.rules import RateBook, shipped_rates
from recoup.ledger.jurisdiction import contract_jurisdiction, customer_jurisdiction, org_jurisdiction
from recoup.ledger.models import Allocation, Invoice
from recoup.orgs.models import Organization

__all__ = ["contract_jurisdiction", "customer_jurisdiction", "limitation_for_invoice", "limitation_summary",
           "limitations_for_invoices", "org_jurisdiction", "rate_book", "rate_rows"]


def rate_book(org: Organization | None) -> RateBook:
    """The shipped rate series plus the points ``org`` added (none for None)."""
    book = shipped_rates()
    if org is None:
        return book
    points = RatePoint.objects.for_org(org).values_list("series", "effective_from", "percent")
    # The database keeps 4 decimals; 2.1500 is shown (and reasoned about) as 2.15.
    return book.with_points((s, d, Decimal(f"{p.normalize():f}")) for s, d, p in points if s in book.series)


@dataclass(frozen=True)
class RateRow:
    effective_from: date
    percent: str
    origin: str  # "shipped" or "added"


def rate_rows(org: Organization | None, series: str) -> list[RateRow]:
    """The points of one series, newest first, saying which were added in the database."""
    s = rate_book(org).series[series]
    return [RateRow(d, f"{v}", "added" if d in s.added else "shipped") for d, v in reversed(s.points)]


def limitations_for_invoices(invoices: list[Invoice], *, on: date,
                             basis: str | None = "open_book") -> dict[int, LimitationDate | None]:
    """``limitation_for_invoice`` of each invoice (by id), with the part payments of all of them read in one query."""
    paid_on: dict[int, list[date]] = {invoice.pk: [] for invoice in invoices}
    if invoices:
        org = invoices[0].org
        rows = (Allocation.objects.for_org(org)
                .filter(invoice_id__in=list(paid_on), payment__isnull=False, date__lte=on)
                .values_list("invoice_id", "date"))
        for invoice_id, paid in rows:
            paid_on[invoice_id].append(paid)
    found = {}
    for invoice in invoices:
        jurisdiction = contract_jurisdiction(invoice.customer, invoice.org)
        found[invoice.pk] = None if jurisdiction is None else limitation_date(
            jurisdiction=jurisdiction, debt_kind=invoice.customer.kind, due=invoice.due_date, basis=basis,
            events=[Event("part_payment", d) for d in paid_on[invoice.pk]])
    return found


def limitation_for_invoice(invoice: Invoice, *, on: date, basis: str | None = "open_book") -> LimitationDate | None:
    """The limitation date of an invoice, restarted by the part payments applied to it up to ``on``.

    The jurisdiction is ``contract_jurisdiction``; an invoice is an open book account unless
    ``basis`` says otherwise (see docs/rules.md). None where no rule is known.
    """
    customer = invoice.customer
    jurisdiction = contract_jurisdiction(customer, invoice.org)
    if jurisdiction is None:
        return None
    paid_on = (Allocation.objects.for_org(invoice.org).filter(invoice=invoice, payment__isnull=False, date__lte=on)
               .values_list("date", flat=True))
    events = [Event("part_payment", d) for d in paid_on]
    return limitation_date(jurisdiction=jurisdiction, debt_kind=customer.kind, due=invoice.due_date, basis=basis,
                           events=events)


def limitation_summary(invoice: Invoice, *, on: date) -> dict | None:
    """What the invoice page shows: the limitation date as plain values for a template."""
    lim = limitation_for_invoice(invoice, on=on)
    if lim is None:
        return None
    status = lim.status(on)
    return {**lim.as_json(on), "explain": lim.explain(on), "status": status,
            "css": "barred" if status == "barred" else ("warning" if status.startswith("warning") else "running"),
            "rule_title": lim.rule.title, "source_url": lim.rule.source.url,
            "last_day_date": lim.last_day, "warning_dates": lim.warnings}

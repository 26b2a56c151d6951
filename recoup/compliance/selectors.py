"""Reads: the rate book of an organization, its jurisdiction, an invoice's limitation date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from recoup.compliance.models import RatePoint
from recoup.core.limitation import Event, LimitationDate, limitation_date
from recoup.core.rules import RateBook, jurisdiction_for, shipped_rates
from recoup.ledger.models import Allocation, Customer, Invoice
from recoup.orgs.models import Organization


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


def org_jurisdiction(org: Organization) -> str | None:
    return jurisdiction_for(org.country, org.region)


def customer_jurisdiction(customer: Customer, org: Organization | None = None) -> str | None:
    """The customer's country (and US state) if known, else the organization's."""
    if customer.country:
        return jurisdiction_for(customer.country, customer.region)
    org = org or customer.org
    return jurisdiction_for(org.country, org.region)


def contract_jurisdiction(customer: Customer, org: Organization | None = None) -> str | None:
    """Whose law governs the debt itself (interest, limitation), absent a choice in the contract.

    A consumer's contract follows the law of the consumer's country (Rome I art. 6); a business
    contract the seller's, i.e. the organization's (Rome I art. 4(1)(a)-(b)). Either falls back
    to the other when unknown. Contact rules follow ``customer_jurisdiction`` instead.
    """
    org = org or customer.org
    mine = jurisdiction_for(org.country, org.region)
    theirs = jurisdiction_for(customer.country, customer.region) if customer.country else None
    if customer.kind == "consumer":
        return theirs or mine
    return mine or theirs


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

"""What validation needs from the database, fetched in bulk before the first row."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Exists, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Lower

from recoup.ledger.models import Allocation, Charge, Contact, CreditNote, Customer, Invoice, Payment, PaymentTerms, WriteOff
from recoup.orgs.models import Organization

_CHUNK = 500


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    items = sorted({v for v in values if v})
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _sum_of(model) -> Coalesce:
    total = model.objects.filter(invoice=OuterRef("pk")).order_by().values("invoice").annotate(t=Sum("amount_minor"))
    return Coalesce(Subquery(total.values("t"), output_field=IntegerField()), Value(0))


@dataclass
class Context:
    """One organization's rows that a file's rows refer to, keyed as the file names them."""

    org: Organization
    terms: dict[str, PaymentTerms]  # lower-cased name -> terms
    customers: dict[str, Customer] = field(default_factory=dict)  # ref -> customer
    named: dict[str, list[Customer]] = field(default_factory=dict)  # lower-cased legal name -> customers
    contacts: dict[int, Contact] = field(default_factory=dict)  # customer id -> billing contact
    invoices: dict[str, Invoice] = field(default_factory=dict)  # number -> invoice (.has_moves, .settled)
    credit_notes: dict[str, CreditNote] = field(default_factory=dict)
    payment_keys: set[tuple[date, int, int, str, str]] = field(default_factory=set)
    new_customers: dict[str, str] = field(default_factory=dict)  # ref of a customer this file creates -> its name

    def by_name(self, name: str) -> list[Customer]:
        """Customers a file's customer name means: the one whose ref is that name, else those of that legal name."""
        if name in self.customers:
            return [self.customers[name]]
        return self.named.get(name.lower(), [])


def load(org: Organization, kind: str, records: list[dict]) -> Context:
    """Fetch everything the records refer to, a few queries per 500 distinct keys."""
    ctx = Context(org=org, terms={t.name.lower(): t for t in PaymentTerms.objects.for_org(org)})
    names = [r.get("name" if kind == "customers" else "customer_name", "").strip() for r in records]
    refs = [r.get("ref" if kind == "customers" else "customer_ref", "").strip() for r in records] + names
    for chunk in _chunks(refs):
        for c in Customer.objects.for_org(org).filter(ref__in=chunk).select_related("default_terms"):
            ctx.customers[c.ref] = c
    for chunk in _chunks(n.lower() for n in names):
        rows = (Customer.objects.for_org(org).annotate(lower_name=Lower("legal_name"))
                .filter(lower_name__in=chunk).select_related("default_terms").order_by("ref"))
        for c in rows:
            ctx.named.setdefault(c.lower_name, []).append(c)
    if kind == "customers":
        ids = [c.pk for c in ctx.customers.values()] + [c.pk for found in ctx.named.values() for c in found]
        for start in range(0, len(ids), _CHUNK):
            for contact in (Contact.objects.for_org(org).filter(customer_id__in=ids[start : start + _CHUNK],
                                                                 is_billing=True).order_by("-id")):
                ctx.contacts.setdefault(contact.customer_id, contact)
        return ctx
    numbers = [r.get("number" if kind == "invoices" else "invoice_number", "").strip() for r in records]
    moves = [Exists(m.objects.filter(invoice=OuterRef("pk"))) for m in (Allocation, Charge, WriteOff)]
    for chunk in _chunks(numbers):
        rows = (Invoice.objects.for_org(org).filter(number__in=chunk)
                .annotate(m1=moves[0], m2=moves[1], m3=moves[2], allocated=_sum_of(Allocation),
                          written_off=_sum_of(WriteOff)).select_related("customer"))
        for inv in rows:
            inv.has_moves = inv.m1 or inv.m2 or inv.m3
            inv.settled = inv.allocated + inv.written_off  # what import's "paid" is compared with
            ctx.invoices[inv.number] = inv
    if kind == "credit-notes":
        for chunk in _chunks(r.get("number", "").strip() for r in records):
            for cn in CreditNote.objects.for_org(org).filter(number__in=chunk):
                ctx.credit_notes[cn.number] = cn
    if kind == "payments":
        ids = {c.pk for c in ctx.customers.values()} | {c.pk for found in ctx.named.values() for c in found}
        ids |= {inv.customer_id for inv in ctx.invoices.values()}
        ids_list = sorted(ids)
        for start in range(0, len(ids_list), _CHUNK):
            ctx.payment_keys.update(
                Payment.objects.for_org(org).filter(customer_id__in=ids_list[start : start + _CHUNK])
                .values_list("date", "customer_id", "amount_minor", "currency", "reference")
            )
    return ctx

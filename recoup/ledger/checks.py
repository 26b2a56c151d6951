"""Ledger invariants, verified with SQL aggregation (``recoup check``).

Each check is one query over all organizations (or one) that returns only the
rows breaking a rule, so a clean ledger costs a handful of scans.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Case, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from recoup.ledger.models import (
    Allocation, Charge, ChargeWaiver, Contact, CreditNote, Invoice, InvoiceLine, InvoiceStatus, Payment, WriteOff,
)
from recoup.orgs.models import Organization


@dataclass(frozen=True)
class Breach:
    what: str  # e.g. "invoice 12 (acme INV-7)"
    rule: str
    expected: object
    found: object

    def __str__(self) -> str:
        return f"{self.what}: {self.rule}: expected {self.expected}, found {self.found}"


@dataclass
class CheckResult:
    invoices: int
    payments: int
    credit_notes: int
    breaches: list[Breach]

    @property
    def ok(self) -> bool:
        return not self.breaches


def _sum(qs: QuerySet, link: str) -> Coalesce:
    """SUM(amount_minor) of ``qs`` rows whose ``link`` is the outer row, 0 when none."""
    sub = qs.filter(**{link: OuterRef("pk")}).order_by().values(link).annotate(s=Sum("amount_minor")).values("s")
    return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))


def _scoped(model, org: Organization | None) -> QuerySet:
    return model.objects.all() if org is None else model.objects.for_org(org)


OPEN_RULE = "open_minor = total + charges - waivers - allocations - write-offs"


def _invoice_breaches(org: Organization | None) -> Iterator[Breach]:
    qs = _scoped(Invoice, org).annotate(
        sum_charges=_sum(Charge.objects.all(), "invoice"),
        sum_waived=_sum(ChargeWaiver.objects.all(), "charge__invoice"),
        sum_paid=_sum(Allocation.objects.filter(payment__isnull=False), "invoice"),
        sum_credited=_sum(Allocation.objects.filter(credit_note__isnull=False), "invoice"),
        sum_written=_sum(WriteOff.objects.all(), "invoice"),
    ).annotate(expected=F("total_minor") + F("sum_charges") - F("sum_waived") - F("sum_paid") - F("sum_credited")
               - F("sum_written"))
    qs = qs.annotate(expected_status=Case(
        When(expected__gt=0, then=Value(InvoiceStatus.OPEN.value)),
        When(sum_written__gt=0, then=Value(InvoiceStatus.WRITTEN_OFF.value)),
        When(Q(sum_credited__gt=0) & Q(sum_paid=0), then=Value(InvoiceStatus.CREDITED.value)),
        default=Value(InvoiceStatus.PAID.value),
    ))
    bad = qs.filter(~Q(open_minor=F("expected")) | ~Q(status=F("expected_status")) | Q(open_minor__lt=0))
    for inv in bad.select_related("org").order_by("org_id", "id"):
        what = f"invoice {inv.pk} ({inv.org.slug} {inv.number})"
        if inv.open_minor != inv.expected:
            yield Breach(what, OPEN_RULE, inv.expected, inv.open_minor)
        if inv.status != inv.expected_status:
            yield Breach(what, "status follows the balance", inv.expected_status, inv.status)
        if inv.open_minor < 0:
            yield Breach(what, "open balance not negative", ">= 0", inv.open_minor)
    lines = _scoped(Invoice, org).annotate(
        lines_net=Subquery(InvoiceLine.objects.filter(invoice=OuterRef("pk")).order_by().values("invoice")
                           .annotate(s=Sum("net_minor")).values("s"), output_field=IntegerField()),
        lines_tax=Subquery(InvoiceLine.objects.filter(invoice=OuterRef("pk")).order_by().values("invoice")
                           .annotate(s=Sum("tax_minor")).values("s"), output_field=IntegerField()),
    ).filter(lines_net__isnull=False).exclude(total_minor=F("lines_net") + F("lines_tax"))
    for inv in lines.select_related("org").order_by("org_id", "id"):
        yield Breach(f"invoice {inv.pk} ({inv.org.slug} {inv.number})", "total = sum of lines",
                     inv.lines_net + inv.lines_tax, inv.total_minor)


def _waiver_breaches(org: Organization | None) -> Iterator[Breach]:
    """No charge is waived beyond its amount."""
    over = (_scoped(Charge, org).annotate(waived=_sum(ChargeWaiver.objects.all(), "charge"))
            .filter(waived__gt=F("amount_minor")).select_related("org", "invoice"))
    for charge in over.order_by("org_id", "id"):
        yield Breach(f"charge {charge.pk} ({charge.org.slug} {charge.invoice.number})",
                     "waivers do not exceed the charge", f"<= {charge.amount_minor}", charge.waived)


def _source_breaches(model, label: str, org: Organization | None) -> Iterator[Breach]:
    link = "payment" if model is Payment else "credit_note"
    qs = _scoped(model, org).annotate(allocated=_sum(Allocation.objects.all(), link))
    bad = qs.filter(~Q(unapplied_minor=F("amount_minor") - F("allocated")) | Q(unapplied_minor__lt=0)
                    | Q(allocated__gt=F("amount_minor")))
    for row in bad.select_related("org").order_by("org_id", "id"):
        what = f"{label} {row.pk} ({row.org.slug} {getattr(row, 'number', row.reference)})"
        if row.unapplied_minor != row.amount_minor - row.allocated:
            yield Breach(what, "unapplied_minor = amount - allocations", row.amount_minor - row.allocated,
                         row.unapplied_minor)
        if row.allocated > row.amount_minor:
            yield Breach(what, "allocations do not exceed the amount", f"<= {row.amount_minor}", row.allocated)
        if row.unapplied_minor < 0:
            yield Breach(what, "unapplied not negative", ">= 0", row.unapplied_minor)


# (model, its label, a reference whose organization must be the row's)
_SAME_ORG = [
    (Invoice, "invoice", "customer"), (Payment, "payment", "customer"), (CreditNote, "credit note", "customer"),
    (Contact, "contact", "customer"), (Allocation, "allocation", "invoice"), (Allocation, "allocation", "payment"),
    (Allocation, "allocation", "credit_note"), (Charge, "charge", "invoice"), (WriteOff, "write-off", "invoice"),
    (ChargeWaiver, "charge waiver", "charge"),
    (Payment, "payment", "named_invoice"), (CreditNote, "credit note", "named_invoice"),
]


def _org_breaches(org: Organization | None) -> Iterator[Breach]:
    for model, label, ref in _SAME_ORG:
        bad = _scoped(model, org).filter(**{f"{ref}__isnull": False}).exclude(**{f"{ref}__org_id": F("org_id")})
        for pk, own, other in bad.order_by("id").values_list("pk", "org_id", f"{ref}__org_id"):
            yield Breach(f"{label} {pk}", f"{ref.replace('_', ' ')} in the same organization",
                         f"org {own}", f"org {other}")


def check_ledger(*, org: Organization | None = None) -> CheckResult:
    """Verify the stored balances and cross-references of one organization or all."""
    breaches = [
        *_invoice_breaches(org),
        *_waiver_breaches(org),
        *_source_breaches(Payment, "payment", org),
        *_source_breaches(CreditNote, "credit note", org),
        *_org_breaches(org),
    ]
    return CheckResult(
        invoices=_scoped(Invoice, org).count(), payments=_scoped(Payment, org).count(),
        credit_notes=_scoped(CreditNote, org).count(), breaches=breaches,
    )

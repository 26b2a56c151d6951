"""Use cases that change the ledger. The only code that writes ledger rows.

Every action takes the organization, who acts, and the time (``now``) from its
caller; it checks that everything it touches belongs to that organization,
writes inside one transaction, keeps the stored balances true and writes an
audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Sequence

from django.db import transaction
from django.db.models import Sum

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.core import allocation as core_allocation
from recoup.core.money import minor_with_code, quantize, to_minor
from recoup.core.terms import Terms, due_date as terms_due_date
from recoup.ledger.guards import invoice_edit_refusal
from recoup.ledger.hooks import invoices_settled
from recoup.ledger.models import (
    Allocation,
    Charge,
    ChargeWaiver,
    CreditNote,
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentTerms,
    WriteOff,
)
from recoup.orgs.models import Organization, check_same_org


class LedgerError(ValueError):
    """A request the ledger refuses, with a message fit to show the operator."""


@dataclass(frozen=True)
class LineInput:
    """One invoice line. ``net_minor``/``tax_minor``, when given, are the amounts as a document
    states them (an e-invoice's own line net and VAT share), kept instead of recomputing them."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal = Decimal("0")
    net_minor: int | None = None
    tax_minor: int | None = None


class InvoiceLocked(LedgerError):
    """An edit refused because another system owns the invoice (``recoup.ledger.guards``)."""


def _same_org(org: Organization, *objs: object) -> None:
    check_same_org(org, *objs, error=LedgerError)


def check_invoice_editable(invoice: Invoice, what: str) -> None:
    """Raise InvoiceLocked naming the invoice when a registered guard refuses ``what`` on it
    (an invoice that came from the books is changed there, not here)."""
    reason = invoice_edit_refusal(invoice, what)
    if reason:
        raise InvoiceLocked(f"invoice {invoice.number}: {what} refused, it {reason}")



def effective_terms(*, org: Organization, customer: Customer, terms: PaymentTerms | None) -> tuple[PaymentTerms | None, Terms]:
    """The invoice's own terms, else the customer's, else the organization's."""
    chosen = terms or customer.default_terms or org.default_terms
    return chosen, (chosen.as_terms() if chosen else Terms())


def refresh_invoice(invoice: Invoice) -> Invoice:
    """Recompute the stored open balance and status from the ledger rows."""
    charges = invoice.charges.aggregate(s=Sum("amount_minor"))["s"] or 0
    waived = ChargeWaiver.objects.filter(charge__invoice=invoice).aggregate(s=Sum("amount_minor"))["s"] or 0
    paid = invoice.allocations.filter(payment__isnull=False).aggregate(s=Sum("amount_minor"))["s"] or 0
    credited = invoice.allocations.filter(credit_note__isnull=False).aggregate(s=Sum("amount_minor"))["s"] or 0
    written_off = invoice.write_offs.aggregate(s=Sum("amount_minor"))["s"] or 0
    invoice.open_minor = invoice.total_minor + charges - waived - paid - credited - written_off
    if invoice.open_minor > 0:
        invoice.status = InvoiceStatus.OPEN
    elif written_off:
        invoice.status = InvoiceStatus.WRITTEN_OFF
    elif credited and not paid:
        invoice.status = InvoiceStatus.CREDITED
    else:
        invoice.status = InvoiceStatus.PAID
    invoice.save(update_fields=["open_minor", "status"])
    return invoice


def _lines_totals(lines: Sequence[LineInput], currency: str) -> list[tuple[LineInput, int, int]]:
    out = []
    for line in lines:
        net = quantize(line.quantity * line.unit_price, currency)
        tax = quantize(net * line.tax_rate / Decimal(100), currency)
        net_minor = to_minor(net, currency) if line.net_minor is None else line.net_minor
        tax_minor = to_minor(tax, currency) if line.tax_minor is None else line.tax_minor
        out.append((line, net_minor, tax_minor))
    return out


@transaction.atomic
def invoice_create(
    *,
    org: Organization,
    customer: Customer,
    number: str,
    issue_date: date,
    currency: str,
    lines: Sequence[LineInput],
    actor: Actor,
    now: datetime,
    due_date: date | None = None,
    terms: PaymentTerms | None = None,
    po_number: str = "",
    description: str = "",
) -> Invoice:
    """Issue an invoice. Without a due date it follows from the effective terms."""
    _same_org(org, customer, terms)
    if not lines:
        raise LedgerError("an invoice needs at least one line")
    if Invoice.objects.for_org(org).filter(number=number).exists():
        raise LedgerError(f"invoice {number} already exists")
    chosen, agreed = effective_terms(org=org, customer=customer, terms=terms)
    due = due_date or terms_due_date(issue_date, agreed)
    if due < issue_date:
        raise LedgerError(f"due date {due} is before issue date {issue_date}")
    priced = _lines_totals(lines, currency)
    net = sum(n for _, n, _ in priced)
    tax = sum(t for _, _, t in priced)
    if net + tax < 0:
        raise LedgerError("an invoice total cannot be negative; issue a credit note instead")
    invoice = Invoice.objects.create(
        org=org,
        customer=customer,
        number=number,
        issue_date=issue_date,
        due_date=due,
        currency=currency,
        net_minor=net,
        tax_minor=tax,
        total_minor=net + tax,
        open_minor=net + tax,
        status=InvoiceStatus.OPEN if net + tax else InvoiceStatus.PAID,
        terms=chosen,
        agreed_terms=agreed.to_dict(),
        po_number=po_number,
        description=description,
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            position=i,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            tax_rate=line.tax_rate,
            net_minor=n,
            tax_minor=t,
        )
        for i, (line, n, t) in enumerate(priced, start=1)
    )
    audit.record(
        org=org, actor=actor, at=now, verb="invoice.created", subject=invoice, customer=customer,
        summary=f"Invoice {number} issued for {minor_with_code(invoice.total_minor, currency)}, due {due}",
        data={"total": str(invoice.total), "due_date": due.isoformat(), "terms": agreed.to_dict()},
    )
    return invoice


def _open_items(customer: Customer, currency: str) -> list[core_allocation.OpenItem]:
    rows = (
        Invoice.objects.filter(customer=customer, currency=currency, open_minor__gt=0)
        .values_list("id", "number", "issue_date", "due_date", "open_minor")
    )
    return [core_allocation.OpenItem(*row) for row in rows]


def _apply(
    *, org: Organization, source: Payment | CreditNote, named: Invoice | None, on: date
) -> list[Allocation]:
    items = _open_items(source.customer, source.currency)
    # A named invoice that is already settled is not among the open items:
    # the whole amount then follows the unnamed rule.
    named_id = named.pk if named and any(item.id == named.pk for item in items) else None
    plan = core_allocation.allocate(
        amount_minor=source.unapplied_minor, items=items, payment_date=on, named_id=named_id
    )
    field = "payment" if isinstance(source, Payment) else "credit_note"
    if field == "credit_note":
        # A credit note changes what the invoice says is owed: not Recoup's to do on an invoice another
        # system owns (the books), whichever way the rule would apply it. Payments are written back.
        for invoice in Invoice.objects.filter(pk__in=[invoice_id for invoice_id, _ in plan.parts]):
            check_invoice_editable(invoice, "credit note")
    # Money paid ahead of a (named) invoice counts against it from its issue date;
    # until then it is credit on account, so no as-of report loses it.
    issued = {item.id: item.issue_date for item in items}
    made = [
        Allocation.objects.create(
            org=org, invoice_id=invoice_id, date=max(on, issued[invoice_id]), amount_minor=minor, **{field: source}
        )
        for invoice_id, minor in plan.parts
    ]
    for invoice in Invoice.objects.filter(pk__in=[a.invoice_id for a in made]):
        refresh_invoice(invoice)
    source.unapplied_minor = plan.unapplied_minor
    source.save(update_fields=["unapplied_minor"])
    return made


def _check_named(org: Organization, customer: Customer, currency: str, invoice: Invoice | None) -> None:
    _same_org(org, customer, invoice)
    if invoice is None:
        return
    if invoice.customer_id != customer.pk:
        raise LedgerError(f"invoice {invoice.number} belongs to another customer")
    if invoice.currency != currency:
        raise LedgerError(f"invoice {invoice.number} is in {invoice.currency}, not {currency}")


def _not_before_issue(invoice: Invoice, on: date, what: str) -> None:
    if on < invoice.issue_date:
        raise LedgerError(f"{what} cannot be dated {on}, before invoice {invoice.number} was issued ({invoice.issue_date})")


def _lock_customer(customer: Customer) -> Customer:
    # Serializes allocations per customer on PostgreSQL; SQLite's IMMEDIATE
    # transactions already serialize every writer.
    return Customer.objects.select_for_update(no_key=True).get(pk=customer.pk)


@transaction.atomic
def payment_record(
    *,
    org: Organization,
    customer: Customer,
    date: date,
    amount_minor: int,
    currency: str,
    actor: Actor,
    now: datetime,
    method: str = "bank_transfer",
    reference: str = "",
    payer: str = "",
    invoice: Invoice | None = None,
) -> Payment:
    """Record money received and allocate it (see docs/ledger.md, Allocation)."""
    if amount_minor <= 0:
        raise LedgerError("a payment must be more than zero")
    _check_named(org, customer, currency, invoice)
    customer = _lock_customer(customer)
    payment = Payment.objects.create(
        org=org, customer=customer, date=date, amount_minor=amount_minor, currency=currency,
        method=method, reference=reference, payer=payer, named_invoice=invoice, unapplied_minor=amount_minor,
    )
    allocations = _apply(org=org, source=payment, named=invoice, on=date)
    audit.record(
        org=org, actor=actor, at=now, verb="payment.recorded", subject=payment, customer=customer,
        summary=f"Payment of {minor_with_code(amount_minor, currency)} received {date}"
        + (f", {minor_with_code(payment.unapplied_minor, currency)} left on account" if payment.unapplied_minor else ""),
        data={
            "amount": str(payment.amount), "reference": reference, "method": method,
            "allocations": {a.invoice_id: a.amount_minor for a in allocations},
        },
    )
    # After the action's own audit event: what it ends (a plan, a promise) follows it on the timeline.
    invoices_settled(org=org, invoice_ids=[a.invoice_id for a in allocations], actor=actor, now=now)
    return payment


@transaction.atomic
def credit_note_record(
    *,
    org: Organization,
    customer: Customer,
    number: str,
    date: date,
    amount_minor: int,
    currency: str,
    actor: Actor,
    now: datetime,
    invoice: Invoice | None = None,
    reason: str = "",
) -> CreditNote:
    """Issue a credit note; it is applied by the same rule as a payment."""
    if amount_minor <= 0:
        raise LedgerError("a credit note must be more than zero")
    _check_named(org, customer, currency, invoice)
    if CreditNote.objects.for_org(org).filter(number=number).exists():
        raise LedgerError(f"credit note {number} already exists")
    customer = _lock_customer(customer)
    note = CreditNote.objects.create(
        org=org, customer=customer, number=number, date=date, amount_minor=amount_minor, currency=currency,
        named_invoice=invoice, reason=reason, unapplied_minor=amount_minor,
    )
    made = _apply(org=org, source=note, named=invoice, on=date)
    audit.record(
        org=org, actor=actor, at=now, verb="credit_note.issued", subject=note, customer=customer,
        summary=f"Credit note {number} for {minor_with_code(amount_minor, currency)}",
        data={"amount": str(note.amount), "invoice": invoice.number if invoice else None, "reason": reason},
    )
    invoices_settled(org=org, invoice_ids=[a.invoice_id for a in made], actor=actor, now=now)
    return note


@transaction.atomic
def credit_apply(
    *, org: Organization, source: Payment | CreditNote, invoice: Invoice, on: date, actor: Actor, now: datetime
) -> Allocation:
    """Apply credit left on account to one invoice, as much as both allow."""
    _same_org(org, source, invoice)
    _check_named(org, source.customer, source.currency, invoice)
    if isinstance(source, CreditNote):
        check_invoice_editable(invoice, "credit note")
    _lock_customer(source.customer)
    source.refresh_from_db()
    invoice.refresh_from_db()
    amount = min(source.unapplied_minor, invoice.open_minor)
    if amount <= 0:
        raise LedgerError("nothing to apply: no credit left or the invoice is not open")
    field = "payment" if isinstance(source, Payment) else "credit_note"
    allocation = Allocation.objects.create(
        org=org, invoice=invoice, date=max(on, source.date, invoice.issue_date), amount_minor=amount, **{field: source}
    )
    source.unapplied_minor -= amount
    source.save(update_fields=["unapplied_minor"])
    refresh_invoice(invoice)
    audit.record(
        org=org, actor=actor, at=now, verb="credit.applied", subject=allocation, customer=invoice.customer,
        summary=f"{minor_with_code(amount, invoice.currency)} of credit on account applied to {invoice.number}",
    )
    invoices_settled(org=org, invoice_ids=[invoice.pk], actor=actor, now=now)
    return allocation


@transaction.atomic
def charge_add(
    *, org: Organization, invoice: Invoice, kind: str, on: date, amount_minor: int, actor: Actor, now: datetime,
    description: str = "",
) -> Charge:
    """Add a late fee, interest or other charge to an invoice."""
    _same_org(org, invoice)
    if amount_minor <= 0:
        raise LedgerError("a charge must be more than zero")
    _not_before_issue(invoice, on, "a charge")
    charge = Charge.objects.create(
        org=org, invoice=invoice, kind=kind, date=on, amount_minor=amount_minor, description=description
    )
    refresh_invoice(invoice)
    audit.record(
        org=org, actor=actor, at=now, verb="charge.added", subject=charge, customer=invoice.customer,
        summary=f"{charge.get_kind_display()} of {minor_with_code(amount_minor, invoice.currency)} on {invoice.number}",
    )
    return charge


@transaction.atomic
def invoice_write_off(
    *, org: Organization, invoice: Invoice, on: date, reason: str, actor: Actor, now: datetime,
    amount_minor: int | None = None,
) -> WriteOff:
    """Write off part or all (the default) of an invoice's open balance."""
    _same_org(org, invoice)
    check_invoice_editable(invoice, "write-off")
    _lock_customer(invoice.customer)
    invoice.refresh_from_db()
    amount = invoice.open_minor if amount_minor is None else amount_minor
    _not_before_issue(invoice, on, "a write-off")
    if not reason.strip():
        raise LedgerError("a write-off needs a reason")
    if amount <= 0 or amount > invoice.open_minor:
        raise LedgerError(
            f"write-off must be between 0 and the open balance {minor_with_code(invoice.open_minor, invoice.currency)}"
        )
    write_off = WriteOff.objects.create(org=org, invoice=invoice, date=on, amount_minor=amount, reason=reason)
    refresh_invoice(invoice)
    audit.record(
        org=org, actor=actor, at=now, verb="invoice.written_off", subject=write_off, customer=invoice.customer,
        summary=f"{minor_with_code(amount, invoice.currency)} of {invoice.number} written off: {reason}",
    )
    invoices_settled(org=org, invoice_ids=[invoice.pk], actor=actor, now=now)
    return write_off


@transaction.atomic
def payment_reverse(*, org: Organization, payment: Payment, reason: str, actor: Actor, now: datetime) -> None:
    """Take back a recorded payment (a match undone, a direct debit returned): its allocations
    go, the invoices it paid are open again, and one audit event keeps what was removed."""
    _same_org(org, payment)
    if not reason.strip():
        raise LedgerError("a reversal needs a reason")
    _lock_customer(payment.customer)
    allocations = list(payment.allocations.all())
    invoice_ids = [a.invoice_id for a in allocations]
    audit.record(
        org=org, actor=actor, at=now, verb="payment.reversed", subject=payment, customer=payment.customer,
        summary=f"Payment of {minor_with_code(payment.amount_minor, payment.currency)} of {payment.date} reversed: {reason}",
        data={"amount_minor": payment.amount_minor, "date": payment.date.isoformat(), "reference": payment.reference,
              "allocations": {a.invoice_id: a.amount_minor for a in allocations}, "reason": reason},
    )
    payment.allocations.all().delete()
    payment.delete()
    for invoice in Invoice.objects.filter(pk__in=invoice_ids):
        refresh_invoice(invoice)

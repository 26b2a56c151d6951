"""Many invoices, credit notes and payments at once: what ``invoice_create``, ``credit_note_record``
(``payment_record`` for a payment naming its invoice) does for each, in a few statements for all.

A first sync from the books brings thousands of invoices; one ``invoice_create`` each costs
several queries per invoice (its number, its terms, the row, its lines, the audit head).
``invoices_create_many`` checks every item first, then writes the invoices, their lines and
their ``invoice.created`` events in one INSERT each: the same rows, balances and events, in
the same order, as the one-by-one action (``tests/test_bulk_actions.py`` compares them row for
row). The collections schedule needs nothing more: it reads the invoices it has not decided yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Sequence

from django.db import transaction

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.core.money import minor_with_code
from recoup.core.terms import Terms, due_date as terms_due_date
from recoup.ledger.actions import LedgerError, LineInput, _lines_totals, _same_org, check_invoice_editable, refresh_invoice
from recoup.ledger.hooks import invoices_settled
from recoup.ledger.models import (
    Allocation, CreditNote, Customer, Invoice, InvoiceLine, InvoiceStatus, Payment, PaymentTerms, WriteOff,
)
from recoup.orgs.models import Organization


@dataclass(frozen=True)
class NewInvoice:
    """One invoice for ``invoices_create_many``: the arguments ``invoice_create`` takes, less org,
    actor and time."""

    customer: Customer
    number: str
    issue_date: date
    currency: str
    lines: Sequence[LineInput]
    due_date: date | None = None
    terms: PaymentTerms | None = None
    po_number: str = ""
    description: str = ""


def _terms_of(org: Organization, items: Sequence[NewInvoice]) -> list[tuple[PaymentTerms | None, Terms, dict]]:
    """Each item's effective terms (its own, else its customer's, else the organization's), read once
    (and each distinct one turned into a ``Terms`` once)."""
    wanted = {c.default_terms_id for c in (i.customer for i in items)
              if c.default_terms_id and not Customer.default_terms.is_cached(c)}
    loaded = PaymentTerms.objects.for_org(org).in_bulk(wanted) if wanted else {}
    agreed: dict[int | None, tuple[Terms, dict]] = {}
    out = []
    for item in items:
        customer = item.customer
        own = (customer.default_terms if Customer.default_terms.is_cached(customer)
               else loaded.get(customer.default_terms_id)) if customer.default_terms_id else None
        chosen = item.terms or own or org.default_terms
        key = chosen.pk if chosen else None
        if key not in agreed:
            as_terms = chosen.as_terms() if chosen else Terms()
            agreed[key] = (as_terms, as_terms.to_dict())
        out.append((chosen, *agreed[key]))
    return out


@transaction.atomic
def invoices_create_many(*, org: Organization, items: Sequence[NewInvoice], actor: Actor,
                         now: datetime) -> list[Invoice]:
    """Issue many invoices, as ``invoice_create`` would one after another.

    Raises:
        LedgerError naming the invoice, with the message ``invoice_create`` gives, when one is
        refused (another organization's customer or terms, no lines, a number already used or
        repeated in the batch, a due date before the issue date, a negative total); nothing is
        written then.
    """
    if not items:
        return []
    numbers = [item.number for item in items]
    taken = set(Invoice.objects.for_org(org).filter(number__in=set(numbers)).order_by()
                .values_list("number", flat=True))
    terms = _terms_of(org, items)
    rows: list[Invoice] = []
    priced_rows = []
    for item, (chosen, agreed, agreed_dict) in zip(items, terms):
        _same_org(org, item.customer, item.terms)
        if not item.lines:
            raise LedgerError(f"invoice {item.number}: an invoice needs at least one line")
        if item.number in taken:
            raise LedgerError(f"invoice {item.number} already exists")
        taken.add(item.number)
        due = item.due_date or terms_due_date(item.issue_date, agreed)
        if due < item.issue_date:
            raise LedgerError(f"invoice {item.number}: due date {due} is before issue date {item.issue_date}")
        priced = _lines_totals(item.lines, item.currency)
        net = sum(p[1] for p in priced)
        tax = sum(p[2] for p in priced)
        if net + tax < 0:
            raise LedgerError(f"invoice {item.number}: an invoice total cannot be negative; issue a credit note instead")
        priced_rows.append(priced)
        rows.append(Invoice(
            org=org, customer=item.customer, number=item.number, issue_date=item.issue_date, due_date=due,
            currency=item.currency, net_minor=net, tax_minor=tax, total_minor=net + tax, open_minor=net + tax,
            status=InvoiceStatus.OPEN if net + tax else InvoiceStatus.PAID, terms=chosen,
            agreed_terms=dict(agreed_dict), po_number=item.po_number, description=item.description))
    invoices = Invoice.objects.bulk_create(rows, batch_size=500)
    if any(invoice.pk is None for invoice in invoices):  # pragma: no cover - SQLite >= 3.35 and PostgreSQL return ids
        raise RuntimeError("the database did not return the new invoices' ids")
    InvoiceLine.objects.bulk_create([
        InvoiceLine(invoice=invoice, position=i, description=line.description, quantity=line.quantity,
                    unit_price=line.unit_price, tax_rate=line.tax_rate, net_minor=net, tax_minor=tax)
        for invoice, priced in zip(invoices, priced_rows) for i, (line, net, tax) in enumerate(priced, start=1)
    ], batch_size=500)
    audit.record_many(org=org, actor=actor, events=[
        audit.Event(at=now, verb="invoice.created", subject=invoice, customer=invoice.customer,
                    summary=f"Invoice {invoice.number} issued for {minor_with_code(invoice.total_minor, invoice.currency)}, "
                            f"due {invoice.due_date}",
                    data={"total": str(invoice.total), "due_date": invoice.due_date.isoformat(),
                          "terms": invoice.agreed_terms})
        for invoice in invoices])
    return invoices


@dataclass(frozen=True)
class NamedCredit:
    """One credit note for (at most) the open balance of the invoice it names, for ``credit_notes_record_named``."""

    invoice: Invoice
    number: str
    date: date
    amount_minor: int
    reason: str = ""


@transaction.atomic
def credit_notes_record_named(*, org: Organization, items: Sequence[NamedCredit], actor: Actor,
                              now: datetime) -> list[CreditNote]:
    """Issue many credit notes at once, each crediting the invoice it names and nothing else: what
    ``credit_note_record(invoice=...)`` does for a credit no larger than the invoice's open balance
    (a first sync's credit notes, each applied to one invoice in the books), in a few statements.

    Raises:
        LedgerError naming the invoice or credit note when one is not positive, belongs to another
        organization, is larger than what is still open on its invoice (earlier items of the batch
        included), or has a number already used or repeated in the batch; nothing is written then.
    """
    if not items:
        return []
    invoices = lock_named_invoices(org, [item.invoice for item in items])
    taken = set(CreditNote.objects.for_org(org).filter(number__in={i.number for i in items}).order_by()
                .values_list("number", flat=True))
    open_now = {pk: invoice.open_minor for pk, invoice in invoices.items()}
    for item in items:
        invoice = invoices.get(item.invoice.pk)
        if invoice is None:
            raise LedgerError(f"invoice {item.invoice.number} belongs to another organization")
        check_invoice_editable(invoice, "credit note")
        if item.amount_minor <= 0:
            raise LedgerError(f"credit note {item.number}: a credit note must be more than zero")
        if item.number in taken:
            raise LedgerError(f"credit note {item.number} already exists")
        if item.amount_minor > open_now[invoice.pk]:
            raise LedgerError(f"credit note {item.number}: {minor_with_code(item.amount_minor, invoice.currency)} is "
                              f"more than the {minor_with_code(open_now[invoice.pk], invoice.currency)} still open "
                              f"on invoice {invoice.number}")
        taken.add(item.number)
        open_now[invoice.pk] -= item.amount_minor
    notes = CreditNote.objects.bulk_create([
        CreditNote(org=org, customer_id=invoices[item.invoice.pk].customer_id, number=item.number, date=item.date,
                   amount_minor=item.amount_minor, currency=invoices[item.invoice.pk].currency,
                   named_invoice_id=item.invoice.pk, reason=item.reason, unapplied_minor=0)
        for item in items
    ], batch_size=500)
    Allocation.objects.bulk_create([
        Allocation(org=org, invoice_id=item.invoice.pk, credit_note=note, amount_minor=item.amount_minor,
                   date=max(item.date, invoices[item.invoice.pk].issue_date))
        for item, note in zip(items, notes)
    ], batch_size=500)
    store_open(invoices, open_now)
    audit.record_many(org=org, actor=actor, events=[
        audit.Event(at=now, verb="credit_note.issued", subject=note, customer=invoices[item.invoice.pk].customer,
                    summary=f"Credit note {note.number} for {minor_with_code(note.amount_minor, note.currency)}",
                    data={"amount": str(note.amount), "invoice": invoices[item.invoice.pk].number,
                          "reason": note.reason})
        for item, note in zip(items, notes)
    ])
    invoices_settled(org=org, invoice_ids=list(invoices), actor=actor, now=now)
    return notes


@dataclass(frozen=True)
class NamedPayment:
    """One payment for (at most) the open balance of the invoice it names, for ``payments_record_named``."""

    invoice: Invoice
    date: date
    amount_minor: int
    reference: str = ""
    payer: str = ""
    method: str = "bank_transfer"


def lock_named_invoices(org: Organization, named: Sequence[Invoice]) -> dict[int, Invoice]:
    """Lock the customers of the invoices a batch names (in id order: the locks ``payment_record``
    and ``credit_note_record`` take, so a batch and a single action never interleave) and read the
    invoices afresh, by id; another organization's invoice is left out."""
    customer_ids = sorted({invoice.customer_id for invoice in named})
    list(Customer.objects.for_org(org).select_for_update(no_key=True).filter(pk__in=customer_ids).order_by("pk").values_list("pk"))
    return {i.pk: i for i in Invoice.objects.for_org(org).select_related("customer")
            .filter(pk__in=sorted({invoice.pk for invoice in named})).order_by()}


def store_open(invoices: dict[int, Invoice], open_now: dict[int, int]) -> None:
    """Store the open balances a batch left (``open_now``) and each invoice's status by
    ``refresh_invoice``'s rule, with one UPDATE per (open, status) pair rather than a CASE per row;
    an invoice with a write-off goes through ``refresh_invoice`` itself."""
    ids = list(invoices)
    written_off = set(WriteOff.objects.filter(invoice_id__in=ids).values_list("invoice_id", flat=True))
    paid = set(Allocation.objects.filter(invoice_id__in=ids, payment__isnull=False).values_list("invoice_id", flat=True))
    settled: dict[tuple[int, str], list[int]] = {}
    for pk, invoice in invoices.items():
        if pk in written_off:
            refresh_invoice(invoice)
            continue
        invoice.open_minor = open_now[pk]
        invoice.status = (InvoiceStatus.OPEN if invoice.open_minor > 0
                          else InvoiceStatus.PAID if pk in paid else InvoiceStatus.CREDITED)
        settled.setdefault((invoice.open_minor, invoice.status), []).append(pk)
    for (open_minor, status), pks in settled.items():
        for start in range(0, len(pks), 500):
            Invoice.objects.filter(pk__in=pks[start:start + 500]).update(open_minor=open_minor, status=status)


@transaction.atomic
def payments_record_named(*, org: Organization, items: Sequence[NamedPayment], actor: Actor,
                          now: datetime) -> list[Payment]:
    """Record many payments at once, each paying the invoice it names and nothing else: what
    ``payment_record(invoice=...)`` does for a payment no larger than the invoice's open balance,
    in a few statements for the whole batch (a bank statement of thousands of lines).

    Raises:
        LedgerError naming the invoice when a payment is not positive, belongs to another
        organization, or is larger than what is still open on its invoice (earlier items of the
        same batch included); nothing is written then.
    """
    if not items:
        return []
    invoices = lock_named_invoices(org, [item.invoice for item in items])
    open_now = {pk: invoice.open_minor for pk, invoice in invoices.items()}
    for item in items:
        invoice = invoices.get(item.invoice.pk)
        if invoice is None:
            raise LedgerError(f"invoice {item.invoice.number} belongs to another organization")
        if item.amount_minor <= 0:
            raise LedgerError(f"invoice {invoice.number}: a payment must be more than zero")
        if item.amount_minor > open_now[invoice.pk]:
            raise LedgerError(f"invoice {invoice.number}: {minor_with_code(item.amount_minor, invoice.currency)} is more than "
                              f"the {minor_with_code(open_now[invoice.pk], invoice.currency)} still open")
        open_now[invoice.pk] -= item.amount_minor
    payments = Payment.objects.bulk_create([
        Payment(org=org, customer_id=invoices[item.invoice.pk].customer_id, date=item.date,
                amount_minor=item.amount_minor, currency=invoices[item.invoice.pk].currency, method=item.method,
                reference=item.reference, payer=item.payer, named_invoice_id=item.invoice.pk, unapplied_minor=0)
        for item in items
    ], batch_size=1000)
    Allocation.objects.bulk_create([
        Allocation(org=org, invoice_id=item.invoice.pk, payment=payment, amount_minor=item.amount_minor,
                   date=max(item.date, invoices[item.invoice.pk].issue_date))
        for item, payment in zip(items, payments)
    ], batch_size=1000)
    store_open(invoices, open_now)
    audit.record_many(org=org, actor=actor, events=[
        audit.Event(at=now, verb="payment.recorded", subject=payment, customer=invoices[item.invoice.pk].customer,
                    summary=f"Payment of {minor_with_code(payment.amount_minor, payment.currency)} received {payment.date}",
                    data={"amount": str(payment.amount), "reference": payment.reference, "method": payment.method,
                          "allocations": {item.invoice.pk: payment.amount_minor}})
        for item, payment in zip(items, payments)
    ])
    invoices_settled(org=org, invoice_ids=list(invoices), actor=actor, now=now)
    return payments

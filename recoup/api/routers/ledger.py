"""Invoices (create, update, void), payments and credit notes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Optional

from django.db import transaction
from ninja import Query, Router
from ninja.decorators import decorate_view

from recoup.api import inputs
from recoup.api.idempotency import idempotent
from recoup.api.inputs import actor_of, check_date, get_or_404, org_of, paged, ref_or_id, refusals
from recoup.api.problems import ERROR_CODES, ApiProblem
from recoup.api.schemas import (
    CreditNoteIn, CreditNoteOut, CreditNotePage, InvoiceIn, InvoiceOut, InvoicePage, InvoicePatch, InvoiceVoid,
    PaymentIn, PaymentOut, PaymentPage, Problem,
)
from recoup.arrangements.actions import org_date
from recoup.ledger.actions import LineInput, check_invoice_editable, credit_note_record, invoice_create, payment_record
from recoup.ledger.imports.writes import invoice_upsert
from recoup.ledger.models import CreditNote, Customer, Invoice, InvoiceStatus, Payment, PaymentMethod

router = Router(tags=["ledger"])


def _invoices(org):
    return Invoice.objects.for_org(org).select_related("customer").prefetch_related("lines__invoice")


def _dated(qs, field: str, start: date | None, end: date | None, names: tuple[str, str]):
    if check_date(start, names[0]):
        qs = qs.filter(**{f"{field}__gte": start})
    if check_date(end, names[1]):
        qs = qs.filter(**{f"{field}__lte": end})
    return qs


@router.get("/invoices", response={200: InvoicePage, ERROR_CODES: Problem}, tags=["invoices"])
def invoice_list(request, status: Optional[str] = None, customer_id: Optional[int] = None,
                 issued_from: Optional[date] = None, issued_to: Optional[date] = None,
                 due_from: Optional[date] = None, due_to: Optional[date] = None, overdue_on: Optional[date] = None,
                 limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0, le=10**9)):
    """Invoices, filtered by status (open, paid, credited, written_off), customer, issue and due dates;
    ``overdue_on`` keeps open invoices due before that date."""
    org = org_of(request)
    qs = _invoices(org).order_by("-issue_date", "-id")
    if status:
        qs = qs.filter(status=status)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id if 0 < customer_id < inputs.MAX_ID else 0)
    qs = _dated(qs, "issue_date", issued_from, issued_to, ("issued_from", "issued_to"))
    qs = _dated(qs, "due_date", due_from, due_to, ("due_from", "due_to"))
    if check_date(overdue_on, "overdue_on"):
        qs = qs.filter(open_minor__gt=0, due_date__lt=overdue_on)
    return paged(qs, limit, offset)


def _lines(body: InvoiceIn) -> list[LineInput]:
    lines = []
    for i, line in enumerate(body.lines):
        where = f"lines.{i}"
        lines.append(LineInput(
            description=line.description,
            quantity=inputs.decimal_in(line.quantity, f"{where}.quantity", places=4, limit=Decimal(10) ** 10),
            unit_price=inputs.decimal_in(line.unit_price, f"{where}.unit_price", places=6, limit=Decimal(10) ** 12),
            tax_rate=inputs.decimal_in(line.tax_rate, f"{where}.tax_rate", places=2, limit=Decimal(1000))))
    return lines


@router.post("/invoices", response={201: InvoiceOut, ERROR_CODES: Problem}, tags=["invoices"])
@decorate_view(idempotent)
def invoice_new(request, body: InvoiceIn):
    """Issue an invoice; without ``due_date`` it follows the customer's (or the organization's) terms."""
    org = org_of(request)
    customer = ref_or_id(Customer, org, pk=body.customer_id, ref=body.customer_ref, field="customer",
                         what="customer")
    check_date(body.issue_date, "issue_date")
    check_date(body.due_date, "due_date")
    currency = inputs.currency_of(org, body.currency)
    lines = _lines(body)
    total = sum(line.quantity * line.unit_price * (1 + line.tax_rate / 100) for line in lines)
    if abs(total) >= inputs.MAX_AMOUNT:
        raise ApiProblem(422, "the invoice total is too large", errors=[{"field": "lines", "message": "too large"}])
    with refusals():
        invoice = invoice_create(org=org, customer=customer, number=body.number, issue_date=body.issue_date,
                                 due_date=body.due_date, currency=currency, lines=lines, po_number=body.po_number,
                                 description=body.description, actor=actor_of(request), now=inputs.now())
    return 201, _invoices(org).get(pk=invoice.pk)


@router.get("/invoices/{invoice_id}", response={200: InvoiceOut, ERROR_CODES: Problem}, tags=["invoices"])
def invoice_get(request, invoice_id: int):
    org = org_of(request)
    return get_or_404(Invoice, org, invoice_id, "invoice", _invoices(org))


@router.patch("/invoices/{invoice_id}", response={200: InvoiceOut, ERROR_CODES: Problem}, tags=["invoices"])
def invoice_patch(request, invoice_id: int, body: InvoicePatch):
    """Change an invoice's dates, PO number or description (amounts change by credit notes and charges)."""
    org = org_of(request)
    invoice = get_or_404(Invoice, org, invoice_id, "invoice")
    values = body.dict(exclude_unset=True)
    issue = check_date(values.get("issue_date"), "issue_date") or invoice.issue_date
    due = check_date(values.get("due_date"), "due_date") or invoice.due_date
    if due < issue:
        raise ApiProblem(422, f"due date {due} is before issue date {issue}",
                         errors=[{"field": "due_date", "message": "before the issue date"}])
    plan = {"existing": invoice, "issue_date": issue, "due_date": due,
            "po_number": values.get("po_number") if values.get("po_number") is not None else invoice.po_number,
            "description": values.get("description") if values.get("description") is not None
            else invoice.description,
            "chosen_terms": invoice.terms, "agreed": invoice.terms_as_agreed(), "amount_minor": invoice.total_minor,
            "currency": invoice.currency, "number": invoice.number, "customer": invoice.customer}
    with refusals(), transaction.atomic():
        invoice_upsert(org=org, plan=plan, actor=actor_of(request), now=inputs.now())
    return _invoices(org).get(pk=invoice.pk)


@router.post("/invoices/{invoice_id}/void", response={200: InvoiceOut, ERROR_CODES: Problem}, tags=["invoices"])
@decorate_view(idempotent)
def invoice_void(request, invoice_id: int, body: InvoiceVoid):
    """Cancel an unpaid invoice with a credit note for its whole open balance (status becomes credited).

    An invoice with payments against it cannot be voided: credit what is wrong instead.
    """
    org = org_of(request)
    invoice = get_or_404(Invoice, org, invoice_id, "invoice")
    with refusals():
        check_invoice_editable(invoice, "void")
    if invoice.allocations.filter(payment__isnull=False).exists():
        raise ApiProblem(409, f"invoice {invoice.number} has payments against it; issue a credit note instead")
    if invoice.status != InvoiceStatus.OPEN or invoice.open_minor <= 0:
        raise ApiProblem(409, f"invoice {invoice.number} is {invoice.get_status_display().lower()}, nothing to void")
    now = inputs.now()
    on = check_date(body.date, "date") or max(org_date(org, now), invoice.issue_date)
    with refusals():
        credit_note_record(org=org, customer=invoice.customer, number=body.credit_note_number or
                           f"{invoice.number}-VOID"[:64], date=on, amount_minor=invoice.open_minor,
                           currency=invoice.currency, invoice=invoice, reason=f"Void: {body.reason}",
                           actor=actor_of(request), now=now)
    return _invoices(org).get(pk=invoice.pk)


def _payments(org):
    return Payment.objects.for_org(org).prefetch_related("allocations__invoice")


@router.get("/payments", response={200: PaymentPage, ERROR_CODES: Problem}, tags=["payments"])
def payment_list(request, customer_id: Optional[int] = None, date_from: Optional[date] = None,
                 date_to: Optional[date] = None, unapplied: Optional[bool] = None,
                 limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0, le=10**9)):
    """Payments received, by customer and date; ``unapplied=true`` keeps those with credit left on account."""
    org = org_of(request)
    qs = _dated(_payments(org).order_by("-date", "-id"), "date", date_from, date_to, ("date_from", "date_to"))
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id if 0 < customer_id < inputs.MAX_ID else 0)
    if unapplied is not None:
        qs = qs.filter(unapplied_minor__gt=0) if unapplied else qs.filter(unapplied_minor=0)
    return paged(qs, limit, offset)


def _named_invoice(org, customer, invoice_id, invoice_number):
    return ref_or_id(Invoice, org, pk=invoice_id, ref=invoice_number, field="invoice", what="invoice",
                     ref_field="number", required=False)


@router.post("/payments", response={201: PaymentOut, ERROR_CODES: Problem}, tags=["payments"])
@decorate_view(idempotent)
def payment_new(request, body: PaymentIn):
    """Record money received; it pays the named invoice, else the oldest due first (docs/ledger.md)."""
    org = org_of(request)
    customer = ref_or_id(Customer, org, pk=body.customer_id, ref=body.customer_ref, field="customer",
                         what="customer")
    invoice = _named_invoice(org, customer, body.invoice_id, body.invoice_number)
    currency = inputs.currency_of(org, body.currency or (invoice.currency if invoice else None))
    check_date(body.date, "date")
    minor = inputs.amount_minor(body.amount, currency, "amount")
    if body.method not in PaymentMethod.values:
        raise ApiProblem(422, f"method: {body.method!r} is not one of {', '.join(PaymentMethod.values)}",
                         errors=[{"field": "method", "message": "unknown method"}])
    with refusals():
        payment = payment_record(org=org, customer=customer, date=body.date, amount_minor=minor, currency=currency,
                                 method=body.method, reference=body.reference, payer=body.payer, invoice=invoice,
                                 actor=actor_of(request), now=inputs.now())
    return 201, _payments(org).get(pk=payment.pk)


@router.get("/payments/{payment_id}", response={200: PaymentOut, ERROR_CODES: Problem}, tags=["payments"])
def payment_get(request, payment_id: int):
    org = org_of(request)
    return get_or_404(Payment, org, payment_id, "payment", _payments(org))


def _credit_notes(org):
    return CreditNote.objects.for_org(org).prefetch_related("allocations__invoice")


@router.get("/credit-notes", response={200: CreditNotePage, ERROR_CODES: Problem}, tags=["credit notes"])
def credit_note_list(request, customer_id: Optional[int] = None, date_from: Optional[date] = None,
                     date_to: Optional[date] = None, limit: int = Query(50, ge=1, le=200),
                     offset: int = Query(0, ge=0, le=10**9)):
    org = org_of(request)
    qs = _dated(_credit_notes(org).order_by("-date", "-id"), "date", date_from, date_to, ("date_from", "date_to"))
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id if 0 < customer_id < inputs.MAX_ID else 0)
    return paged(qs, limit, offset)


@router.post("/credit-notes", response={201: CreditNoteOut, ERROR_CODES: Problem}, tags=["credit notes"])
@decorate_view(idempotent)
def credit_note_new(request, body: CreditNoteIn):
    org = org_of(request)
    customer = ref_or_id(Customer, org, pk=body.customer_id, ref=body.customer_ref, field="customer",
                         what="customer")
    invoice = _named_invoice(org, customer, body.invoice_id, body.invoice_number)
    currency = inputs.currency_of(org, body.currency or (invoice.currency if invoice else None))
    check_date(body.date, "date")
    minor = inputs.amount_minor(body.amount, currency, "amount")
    with refusals():
        note = credit_note_record(org=org, customer=customer, number=body.number, date=body.date, amount_minor=minor,
                                  currency=currency, invoice=invoice, reason=body.reason, actor=actor_of(request),
                                  now=inputs.now())
    return 201, _credit_notes(org).get(pk=note.pk)


@router.get("/credit-notes/{credit_note_id}", response={200: CreditNoteOut, ERROR_CODES: Problem},
            tags=["credit notes"])
def credit_note_get(request, credit_note_id: int):
    org = org_of(request)
    return get_or_404(CreditNote, org, credit_note_id, "credit note", _credit_notes(org))

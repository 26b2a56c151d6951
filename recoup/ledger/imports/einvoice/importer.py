"""Writing e-invoices into the ledger: one file at a time, each all or nothing.

Invoices are created with ``ledger.actions.invoice_create``, credit notes with
``credit_note_record`` (naming the invoice they correct), customers with
``customer_actions``; a PDF is kept with ``document_actions.invoice_attach_pdf``. The rules are in
docs/import-formats.md ("E-invoices").
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction

from recoup.audit.actions import Actor
from recoup.core.money import minor_to_text, minor_with_code
from recoup.ledger.actions import LedgerError, LineInput, credit_note_record, effective_terms, invoice_create
from recoup.ledger.document_actions import invoice_attach_pdf
from recoup.ledger.imports.einvoice import customers
from recoup.ledger.imports.einvoice.document import Document, DocumentKind, EInvoiceError, Line
from recoup.ledger.imports.einvoice.limits import EInvoiceLimits, einvoice_limits
from recoup.ledger.imports.einvoice.reading import Read, read_file
from recoup.ledger.imports.einvoice.terms import net_days_from_text
from recoup.ledger.imports.einvoice.totals import ledger_lines
from recoup.ledger.models import CreditNote, Customer, Invoice
from recoup.orgs.models import Organization


@dataclass
class FileResult:
    """What became of one file; ``status`` is created, skipped or failed."""

    file: str
    status: str = "failed"
    kind: str = ""
    number: str = ""
    customer: str = ""
    customer_created: bool = False
    total: str = ""
    currency: str = ""
    issue_date: str = ""
    due_date: str = ""
    due_from: str = ""
    invoice: str = ""  # the invoice a credit note corrects
    lines: int = 0
    pdf_kept: bool = False
    notes: list[str] = field(default_factory=list)
    error: str = ""


@dataclass
class EInvoiceImportResult:
    files: list[FileResult]
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return all(f.status != "failed" for f in self.files)

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)


class _Skip(Exception):
    pass



def _fits(value: Decimal, places: int, digits: int) -> Decimal:
    exact = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if abs(exact) >= Decimal(10) ** (digits - places):
        raise ValueError(f"{value} is too large")
    return exact


def _line_input(doc: Document, line: Line) -> LineInput:
    try:
        return LineInput(description=line.description[:500] or doc.number, quantity=_fits(line.quantity, 4, 14),
                         unit_price=_fits(line.unit_price, 6, 18), tax_rate=_fits(line.tax_rate, 2, 5),
                         net_minor=line.net_minor, tax_minor=line.tax_minor)
    except ValueError as exc:
        raise EInvoiceError(doc.file, line.place or doc.payable_place, "invoice line", str(exc)) from None


def _due(org: Organization, customer: Customer, doc: Document, result: FileResult) -> date | None:
    if doc.due_date and doc.due_date < doc.issue_date:
        result.notes.append(f"the due date {doc.due_date} (BT-9) is before the issue date {doc.issue_date}; "
                            "the invoice is taken as due on its issue date")
        result.due_from = "issue date (the document's due date is earlier)"
        return doc.issue_date
    if doc.due_date:
        result.due_from = "due date (BT-9)"
        return doc.due_date
    days = net_days_from_text(doc.terms_text) if doc.terms_text else None
    if days is not None:
        result.due_from = f"payment terms {doc.terms_text!r} (BT-20): {days} days"
        return doc.issue_date + timedelta(days=days)
    chosen, terms = effective_terms(org=org, customer=customer, terms=None)
    whose = "the customer's" if customer.default_terms_id else "the organization's default" if chosen else "default"
    result.due_from = f"{whose} terms {terms.name} (the document gives no due date" + (
        f"; its terms {doc.terms_text!r} name no days)" if doc.terms_text else ")")
    result.notes.append(f"no due date in the document: due date from {whose} terms ({terms.name})")
    return None


def _customer(org: Organization, doc: Document, result: FileResult, actor: Actor, now: datetime) -> Customer:
    customer = customers.find(org, doc)
    if customer is None:
        customer, notes = customers.create(org, doc, actor=actor, now=now)
        result.customer_created = True
        result.notes += notes
    result.customer = customer.ref
    return customer


def _invoice(org: Organization, read: Read, result: FileResult, actor: Actor, now: datetime, dry_run: bool) -> None:
    doc = read.document
    existing = Invoice.objects.for_org(org).filter(number=doc.number).select_related("customer").first()
    found = customers.find(org, doc)
    if existing is not None:
        same = found is not None and existing.customer_id == found.pk
        if same and (existing.currency, existing.total_minor) == (doc.currency, doc.payable_minor):
            result.customer = existing.customer.ref
            result.notes.append(f"invoice {doc.number} of {existing.customer.ref} is already in the ledger")
            raise _Skip
        raise EInvoiceError(doc.file, doc.places.get("number", "number"), "invoice number (BT-1)",
                            f"invoice {doc.number} already exists for customer {existing.customer.ref} "
                            f"({existing.customer.name}, {minor_with_code(existing.total_minor, existing.currency)}); this "
                            f"file is for {doc.buyer.legal_name}, {minor_with_code(doc.payable_minor, doc.currency)}")
    customer = _customer(org, doc, result, actor, now)
    lines = ledger_lines(doc)
    due = _due(org, customer, doc, result)
    try:
        invoice = invoice_create(
            org=org, customer=customer, number=doc.number, issue_date=doc.issue_date, due_date=due,
            currency=doc.currency, lines=[_line_input(doc, x) for x in lines], actor=actor, now=now,
            po_number=doc.po_number[:64], description=f"{doc.syntax} e-invoice {doc.file}"[:500],
        )
    except LedgerError as exc:
        raise EInvoiceError(doc.file, doc.places.get("number", "number"), "invoice", str(exc)) from None
    result.due_date, result.lines = invoice.due_date.isoformat(), len(lines)
    if read.pdf is not None and not dry_run:
        invoice_attach_pdf(org=org, invoice=invoice, data=read.pdf, actor=actor, now=now)
        result.pdf_kept = True


def _credit_note(org: Organization, read: Read, result: FileResult, actor: Actor, now: datetime) -> None:
    doc = read.document
    what = "an invoice with a negative amount due is a correction" if doc.negated else "this credit note"
    place = doc.places.get("reference", "reference")
    invoice = None
    for number in doc.referenced_invoices:
        invoice = Invoice.objects.for_org(org).filter(number=number).select_related("customer").first()
        if invoice is not None:
            break
    if invoice is None and doc.referenced_invoices:
        raise EInvoiceError(doc.file, place, "preceding invoice reference (BT-25)",
                            f"{what} of invoice {', '.join(doc.referenced_invoices)}, which is not in the ledger: "
                            "import that invoice first")
    if invoice is None and doc.negated:
        raise EInvoiceError(doc.file, place, "preceding invoice reference (BT-25)",
                            f"{what} ({minor_with_code(-doc.payable_minor, doc.currency)}) but names no invoice it corrects; "
                            "ask the sender for a credit note or a reference")
    if invoice is not None:
        customer = invoice.customer
        result.customer, result.invoice = customer.ref, invoice.number
        found = customers.find(org, doc)
        if found is not None and found.pk != customer.pk:
            result.notes.append(f"the buyer looks like customer {found.ref}, but invoice {invoice.number} is "
                                f"{customer.ref}'s: credited to {customer.ref}")
    else:
        customer = _customer(org, doc, result, actor, now)
        result.notes.append("names no invoice: applied to the customer's oldest open invoices, else kept as credit")
    existing = CreditNote.objects.for_org(org).filter(number=doc.number).first()
    if existing is not None:
        if (existing.customer_id, existing.currency, existing.amount_minor) == (customer.pk, doc.currency,
                                                                               doc.payable_minor):
            result.notes.append(f"credit note {doc.number} of {customer.ref} is already in the ledger")
            raise _Skip
        raise EInvoiceError(doc.file, doc.places.get("number", "number"), "invoice number (BT-1)",
                            f"credit note {doc.number} already exists ({minor_with_code(existing.amount_minor, existing.currency)}"
                            f" for customer {existing.customer.ref}); this file says {minor_with_code(doc.payable_minor, doc.currency)}")
    try:
        credit_note_record(org=org, customer=customer, number=doc.number, date=doc.issue_date,
                           amount_minor=doc.payable_minor, currency=doc.currency, invoice=invoice, actor=actor, now=now,
                           reason=f"{doc.syntax} e-invoice {doc.file}"[:500])
    except LedgerError as exc:
        raise EInvoiceError(doc.file, place if invoice else doc.payable_place, "credit note", str(exc)) from None
    if read.pdf is not None:
        result.notes.append("the PDF is not kept: the ledger keeps documents for invoices only")


def _one(org: Organization, read: Read, result: FileResult, actor: Actor, now: datetime, dry_run: bool) -> None:
    doc = read.document
    result.kind, result.number, result.currency = doc.kind.value, doc.number, doc.currency
    result.total, result.issue_date = minor_to_text(doc.payable_minor, doc.currency), doc.issue_date.isoformat()
    result.notes += list(read.notes)
    if doc.negated:
        result.notes.append(f"the amount due is negative (-{result.total} {doc.currency}): read as a credit note")
    seller_vat = customers.compact(doc.seller.vat_id)
    if org.tax_id and seller_vat and seller_vat != customers.compact(org.tax_id):
        result.notes.append(f"the seller's VAT ID {doc.seller.vat_id} is not this organization's ({org.tax_id})")
    if doc.kind is DocumentKind.INVOICE:
        _invoice(org, read, result, actor, now, dry_run)
    else:
        _credit_note(org, read, result, actor, now)
    result.status = "created"


def import_einvoices(*, org: Organization, files: Sequence[tuple[str, bytes]], actor: Actor, now: datetime,
                     dry_run: bool = False, limits: EInvoiceLimits | None = None) -> EInvoiceImportResult:
    """Import e-invoice files (UBL, CII, Factur-X/ZUGFeRD PDF); each file all or nothing.

    Invoices go in before credit notes, so a correction finds the invoice it corrects
    in the same batch. ``dry_run`` does everything and rolls it all back (nothing is
    stored, no PDF is written). A file, or the XML a PDF carries once unpacked, larger than
    ``limits.max_file`` (default: the settings) fails. Returns one FileResult per file, in the order given.
    """
    max_bytes = (limits or einvoice_limits()).max_file
    results = [FileResult(file=name) for name, _ in files]
    reads: list[tuple[int, Read]] = []
    for i, (name, data) in enumerate(files):
        try:
            reads.append((i, read_file(name, data, max_bytes=max_bytes)))
        except EInvoiceError as exc:
            results[i].error = str(exc)
    reads.sort(key=lambda item: (item[1].document.kind is DocumentKind.CREDIT_NOTE, item[0]))
    # A dry run holds everything in one transaction and rolls it back; a real run commits file by file.
    with transaction.atomic() if dry_run else nullcontext():
        for i, read in reads:
            result = results[i]
            try:
                with transaction.atomic():
                    _one(org, read, result, actor, now, dry_run)
            except _Skip:
                result.status = "skipped"
            except EInvoiceError as exc:
                result.status, result.error = "failed", str(exc)
            except LedgerError as exc:
                result.status, result.error = "failed", f"{read.document.file}: {exc}"
            if result.status == "failed":
                result.customer_created, result.customer, result.pdf_kept = False, "", False
        if dry_run:
            transaction.set_rollback(True)
    return EInvoiceImportResult(files=results, dry_run=dry_run)

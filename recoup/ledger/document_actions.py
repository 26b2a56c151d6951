"""The invoice document as sent (a PDF), kept with the invoice."""

from __future__ import annotations

from datetime import datetime

from django.core.files.base import ContentFile
from django.db import transaction

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.ledger.actions import LedgerError
from recoup.ledger.models import Invoice
from recoup.orgs.models import Organization, check_same_org

MAX_INVOICE_PDF_BYTES = 10 * 1024 * 1024


@transaction.atomic
def invoice_attach_pdf(*, org: Organization, invoice: Invoice, data: bytes, actor: Actor, now: datetime) -> Invoice:
    """Keep the invoice document as sent (a PDF), replacing any earlier one.

    The file is stored under MEDIA_ROOT, which is never served directly: the web
    app hands it out only to members of the invoice's organization.
    """
    check_same_org(org, invoice, error=LedgerError)
    if not data.startswith(b"%PDF-"):
        raise LedgerError("the invoice document must be a PDF file")
    if len(data) > MAX_INVOICE_PDF_BYTES:
        raise LedgerError(f"the PDF is larger than {MAX_INVOICE_PDF_BYTES // (1024 * 1024)} MB")
    previous = invoice.pdf.name if invoice.pdf else ""
    invoice.pdf.save(f"{org.pk}-{invoice.pk}.pdf", ContentFile(data), save=False)
    invoice.save(update_fields=["pdf"])
    audit.record(
        org=org, actor=actor, at=now, verb="invoice.pdf_attached", subject=invoice, customer=invoice.customer,
        summary=f"PDF of invoice {invoice.number} {'replaced' if previous else 'attached'} ({len(data):,} bytes)",
        data={"file": invoice.pdf.name, "previous": previous},
    )
    return invoice

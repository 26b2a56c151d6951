"""An invoice as PDF for the debtor when no document was attached to it (WeasyPrint)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation

from recoup.core.money import format_money, from_minor
from recoup.core import rf


def invoice_pdf_bytes(org, invoice) -> bytes:
    """The invoice's lines, totals and open balance, in the active language, as PDF bytes."""
    from weasyprint import HTML

    lang = translation.get_language() or "en"

    def fmt(minor: int) -> str:
        return format_money(from_minor(minor, invoice.currency), invoice.currency, locale=lang)

    html = render_to_string("portal/invoice_pdf.html", {
        "org": org, "invoice": invoice, "customer": invoice.customer, "reader_locale": lang,
        "lines": [{"description": ln.description, "quantity": ln.quantity.normalize(), "net": fmt(ln.net_minor),
                   "tax_rate": ln.tax_rate.normalize()} for ln in invoice.lines.all()],
        "net": fmt(invoice.net_minor), "tax": fmt(invoice.tax_minor), "total": fmt(invoice.total_minor),
        "open": fmt(invoice.open_minor), "reference": rf.payment_reference(invoice.number, invoice.pk),
    })
    return HTML(string=html).write_pdf()

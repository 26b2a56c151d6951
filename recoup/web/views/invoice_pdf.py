"""The invoice document as sent: attach it (collector), download it (any member)."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from recoup.audit.actions import Actor
from recoup.ledger.actions import LedgerError
from recoup.ledger.document_actions import MAX_INVOICE_PDF_BYTES, invoice_attach_pdf
from recoup.ledger.models import Invoice
from recoup.orgs.models import Organization, Role
from recoup.web.decorators import org_view
from recoup.web.views.common import get_for_org


@require_http_methods(["GET", "POST"])
@org_view(post_role=Role.COLLECTOR)
def invoice_pdf(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    invoice = get_for_org(Invoice, org, pk=pk)
    if request.method == "POST":
        upload = request.FILES.get("pdf")
        if upload is None:
            messages.error(request, "Choose a PDF file to attach.")
        else:
            try:
                invoice_attach_pdf(org=org, invoice=invoice, data=upload.read(MAX_INVOICE_PDF_BYTES + 1),
                                   actor=Actor.for_user(request.user), now=timezone.now())
            except LedgerError as exc:
                messages.error(request, f"{upload.name}: {exc}")
            else:
                messages.success(request, f"PDF of invoice {invoice.number} attached.")
        return redirect("invoice_detail", slug=org.slug, pk=invoice.pk)
    if not invoice.pdf:
        raise Http404("This invoice has no PDF")
    # An uploaded file: downloaded, never shown inline, whatever it carries.
    return FileResponse(invoice.pdf.open("rb"), content_type="application/pdf", filename=f"{invoice.number}.pdf",
                        as_attachment=True)

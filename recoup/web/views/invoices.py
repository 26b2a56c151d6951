"""One invoice: its lines, terms, movements and history."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from recoup.ledger.models import Invoice
from recoup.orgs.models import Organization
from recoup.web import selectors
from recoup.web.decorators import org_view
from recoup.web.views.common import get_for_org, org_today


@org_view()
def invoice_detail(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    invoice = get_for_org(Invoice, org, pk=pk)
    today = org_today(org, timezone.now())
    return render(request, "web/invoices/detail.html", {
        "invoice": invoice,
        "today": today,
        "customer": invoice.customer,
        "terms": invoice.terms_as_agreed(),
        "days_overdue": max(0, (today - invoice.due_date).days) if invoice.open_minor else 0,
        "lines": invoice.lines.all(),
        "allocations": invoice.allocations.select_related("payment", "credit_note"),
        "charges": invoice.charges.all(),
        "write_offs": invoice.write_offs.all(),
        "events": selectors.invoice_events(org, invoice),
    })

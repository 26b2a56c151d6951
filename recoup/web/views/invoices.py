"""One invoice: its lines, terms, movements and history."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from recoup.audit.actions import Actor
from recoup.collections.next_steps import next_steps
from recoup.ledger.models import Contact, Invoice
from recoup.ledger.splits import invoice_parts
from recoup.messaging.actions import MessagingError, contact_log
from recoup.orgs.models import Organization, Role
from recoup.web import selectors
from recoup.connections.selectors import invoice_origin, writebacks_for_invoice
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
        "parts": invoice_parts(invoice),
        "write_offs": invoice.write_offs.all(),
        "events": selectors.invoice_events(org, invoice),
        "origin": invoice_origin(org, invoice.pk),
        "writebacks": writebacks_for_invoice(org, invoice.pk),
        "next_step": next_steps(org=org, customer_ids=[invoice.customer_id], today=today).get(invoice.pk)
        if invoice.open_minor > 0 else None,
    })


SENT_BY = {"email": "e-mail", "letter": "post"}


@org_view(Role.COLLECTOR)
@require_POST
def invoice_sent_by_hand(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    """Log that the owner sent the invoice personally: a contact on the timeline, which also makes
    the automatic steps wait the organization's quiet days."""
    invoice = get_for_org(Invoice, org, pk=pk)
    channel = request.POST.get("channel", "")
    if channel not in SENT_BY:
        messages.error(request, "Say how the invoice was sent: by e-mail or by post.")
        return redirect("invoice_detail", slug=org.slug, pk=invoice.pk)
    contact = Contact.objects.for_org(org).filter(customer=invoice.customer).order_by("-is_billing", "id").first()
    now = timezone.now()
    try:
        contact_log(org=org, customer=invoice.customer, channel=channel, direction="out",
                    summary=f"Invoice {invoice.number} sent by hand ({SENT_BY[channel]})", content="", at=now,
                    actor=Actor.for_user(request.user), now=now, contact=contact)
    except MessagingError as exc:
        messages.error(request, f"Not logged: {exc}")
    else:
        messages.success(request, f"Logged: invoice {invoice.number} sent by {SENT_BY[channel]}.")
    return redirect("invoice_detail", slug=org.slug, pk=invoice.pk)

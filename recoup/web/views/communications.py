"""A customer's communication log: every message in or out, its exact content, a CSV export, manual contacts.

CSV columns (messages.csv), one row per message, newest first:
  id, time (ISO 8601, when it was queued or happened), sent_at (when delivered, posted or
  made; empty if not yet), channel (email/sms/letter/call), direction (out/in), status,
  source (cycle, manual, ...), actor (who queued or logged it), contact, address (to or
  from), summary (subject or first line), subject, content (the text as sent or logged),
  call_outcome, call_note, message_id (RFC 5322 Message-ID), attachments (file names, "; ").
"""

from __future__ import annotations


from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from recoup.audit.actions import Actor
from recoup.ledger.models import Customer
from recoup.lib.downloads import content_disposition
from recoup.lib.spreadsheet import CsvWriter
from recoup.messaging import selectors
from recoup.messaging.actions import MessagingError, contact_log, letter_mark_returned
from recoup.orgs.models import Organization, Role
from recoup.web.comms_forms import ContactLogForm
from recoup.web.decorators import org_view
from recoup.web.views.common import get_for_org

PAGE_SIZE = 100
CSV_COLUMNS = ["id", "time", "sent_at", "channel", "direction", "status", "source", "actor", "contact", "address",
               "summary", "subject", "content", "call_outcome", "call_note", "message_id", "attachments"]


@org_view()
def message_list(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    customer = get_for_org(Customer, org, pk=pk)
    entries = selectors.communication_log(org=org, customer=customer)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/communications/list.html", {"customer": customer, "page": page, "entries": page})


@org_view()
def message_csv(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    customer = get_for_org(Customer, org, pk=pk)
    entries = selectors.communication_log(org=org, customer=customer)
    names = selectors.attachment_names(org=org, message_ids=[e.message.pk for e in entries])
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition(f"messages-{customer.ref}.csv", attachment=True)
    writer = CsvWriter(response)
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        m = entry.message
        writer.writerow([
            m.pk, m.created_at.isoformat(), m.sent_at.isoformat() if m.sent_at else "", m.channel, m.direction,
            m.status, m.source, entry.actor, m.contact.name if m.contact else "", m.to_address, entry.summary,
            m.subject, m.body_text, m.call_outcome, m.call_note, m.message_id, "; ".join(names.get(m.pk, [])),
        ])
    return response


@org_view()
def message_detail(request: HttpRequest, org: Organization, pk: int, message_pk: int) -> HttpResponse:
    customer = get_for_org(Customer, org, pk=pk)
    message = selectors.customer_message(org=org, customer=customer, pk=message_pk)
    if message is None:
        raise Http404("No such message")
    actor = selectors.message_actors(org=org, message_ids=[message.pk]).get(message.pk, "")
    return render(request, "web/communications/detail.html", {"customer": customer, "message": message,
                                                              "actor": actor})


@org_view(Role.COLLECTOR)
@require_POST
def letter_returned(request: HttpRequest, org: Organization, pk: int, message_pk: int) -> HttpResponse:
    """A posted letter came back: its address becomes unusable and its step goes on the next channel."""
    customer = get_for_org(Customer, org, pk=pk)
    message = selectors.customer_message(org=org, customer=customer, pk=message_pk)
    if message is None:
        raise Http404("No such message")
    try:
        letter_mark_returned(org=org, message=message, reason=request.POST.get("reason", ""),
                             actor=Actor.for_user(request.user), now=timezone.now())
    except MessagingError as exc:
        messages.error(request, f"Not marked as returned: {exc}")
    else:
        messages.success(request, "Letter marked as returned.")
    return redirect("message_detail", slug=org.slug, pk=customer.pk, message_pk=message.pk)


@org_view()
def message_attachment(request: HttpRequest, org: Organization, pk: int, message_pk: int,
                       attachment_pk: int) -> HttpResponse:
    customer = get_for_org(Customer, org, pk=pk)
    message = selectors.customer_message(org=org, customer=customer, pk=message_pk)
    attachment = message and message.attachments.filter(pk=attachment_pk).first()
    if not attachment:
        raise Http404("No such attachment")
    # Always a download: an attached HTML or SVG file must not run in Recoup's origin.
    response = HttpResponse(bytes(attachment.data), content_type=attachment.content_type or "application/octet-stream")
    response["Content-Disposition"] = content_disposition(attachment.filename, attachment=True)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@org_view(Role.COLLECTOR)
def contact_new(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    customer = get_for_org(Customer, org, pk=pk)
    now = timezone.now()
    form = ContactLogForm(request.POST if request.method == "POST" else None, org=org, customer=customer, now=now)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            contact_log(org=org, customer=customer, channel=data["channel"], direction=data["direction"],
                        summary=data["summary"], content=data["content"], at=data["at"], contact=data["contact"],
                        actor=Actor.for_user(request.user), now=now)
        except MessagingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Contact logged.")
            return redirect("customer_detail", slug=org.slug, pk=customer.pk)
    return render(request, "web/communications/form.html", {"customer": customer, "form": form})

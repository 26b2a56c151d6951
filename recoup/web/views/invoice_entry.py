"""Entering an invoice by hand, and the list of every invoice of the organization."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from recoup.audit.actions import Actor
from recoup.core.money import format_money
from recoup.ledger.actions import LedgerError, invoice_create
from recoup.ledger.models import Customer, Invoice
from recoup.orgs.models import Organization, Role
from recoup.web import selectors
from recoup.web.decorators import org_view
from recoup.web.invoice_forms import InvoiceFilterForm, InvoiceForm, line_formset
from recoup.web.views.common import org_today

PAGE_SIZE = 50


@org_view(Role.COLLECTOR)
def invoice_new(request: HttpRequest, org: Organization) -> HttpResponse:
    now = timezone.now()
    data = request.POST if request.method == "POST" else None
    initial = {"issue_date": org_today(org, now), "currency": org.base_currency}
    wanted = request.GET.get("customer", "")  # the reference (links), or the id (older links)
    customers = Customer.objects.for_org(org)
    preset = customers.filter(ref=wanted).first() if wanted else None
    if preset is None and wanted.isdigit():
        preset = customers.filter(pk=int(wanted)).first()
    if preset is not None:
        initial["customer"] = preset.pk
    form, lines = InvoiceForm(data, org=org, initial=initial), line_formset(data)
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        d = form.cleaned_data
        warnings = _credit_warnings(org, d["customer"])
        try:
            invoice = invoice_create(
                org=org, customer=d["customer"], number=d["number"], issue_date=d["issue_date"],
                due_date=d["due_date"], currency=d["currency"], terms=d["terms"], po_number=d["po_number"],
                description=d["description"], lines=lines.lines(), actor=Actor.for_user(request.user), now=now,
            )
        except LedgerError as exc:
            form.add_error(None, str(exc))
        else:
            total = format_money(invoice.total, invoice.currency, org.locale)
            messages.success(request, f"Invoice {invoice.number} for {total} issued, due {invoice.due_date}.")
            for text in warnings(invoice.total_minor if invoice.currency == org.base_currency else 0):
                messages.warning(request, f"Invoice {invoice.number} issued, but: {text}")
            return redirect("invoice_detail", slug=org.slug, pk=invoice.pk)
    return render(request, "web/invoices/form.html", {
        "form": form, "lines": lines, "customer": preset, "currencies": selectors.customers_currencies(org),
        "credit_notices": _credit_warnings(org, preset)(0) if preset is not None else [],
    })


def _credit_warnings(org: Organization, customer: Customer):
    """Warnings (never a refusal) for a new invoice of ``new_minor``: credit hold, or over the credit limit.

    The balance is read before the invoice is written, so the warning compares what was owed
    plus the new invoice with the limit."""
    from recoup.core.risk import credit_warning
    from recoup.insight.selectors import credit_position

    open_minor, on_hold = credit_position(org=org, customer=customer)

    def warn(new_minor: int) -> list[str]:
        return credit_warning(open_minor=open_minor, new_minor=new_minor,
                              credit_limit_minor=customer.credit_limit_minor, on_hold=on_hold)

    return warn


@org_view()
def invoice_list(request: HttpRequest, org: Organization) -> HttpResponse:
    today = org_today(org, timezone.now())
    form = InvoiceFilterForm(request.GET, currencies=selectors.customers_currencies(org))
    f = form.cleaned_data if form.is_valid() else {}
    invoices = selectors.invoice_search(
        org, today=today, q=f.get("q", ""), status=f.get("status", ""), currency=f.get("currency", ""),
        overdue_only=f.get("overdue", False), issued_from=f.get("issued_from"), issued_to=f.get("issued_to"),
    )
    # The page's ids first, then their rows: joined to the customers, SQLite's planner (with a bound
    # organization) would sort every invoice of the ledger rather than read the newest 50 off the index.
    page = Paginator(invoices.values_list("pk", flat=True), PAGE_SIZE).get_page(request.GET.get("page"))
    found = Invoice.objects.for_org(org).select_related("customer").in_bulk(list(page))
    context = {"form": form, "page": page, "invoices": [found[pk] for pk in page], "today": today}
    # htmx live search swaps only the results; without JavaScript the whole page is served.
    template = "web/invoices/_results.html" if request.htmx else "web/invoices/list.html"
    return render(request, template, context)

"""Customers: the worklist (``customer_worklist``) and one customer's page."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from recoup.arrangements.selectors import open_arrangements
from recoup.collections.gate import contact_explain
from recoup.collections.next_steps import next_step_by_customer, next_steps
from recoup.connections.selectors import books_contact_id, customer_origin
from recoup.ledger import selectors as ledger
from recoup.ledger.models import CreditNote, Customer, Invoice, Payment
from recoup.messaging import selectors as messaging
from recoup.orgs.models import Organization, Role
from recoup.web import selectors
from recoup.web.customer_worklist import (
    WorklistRow, sort_links, worklist, worklist_filter, worklist_page, worklist_sort,
)
from recoup.web.decorators import org_view
from recoup.web.forms import StatementForm
from recoup.web.views.common import get_for_org, org_today
from recoup.web.views.credit import credit_apply_form
from recoup.web.views.customer_edit import policy_explanation
from recoup.web.worklist_forms import BulkActionForm, WorklistForm, collectors

PAGE_SIZE = 50
RECENT_MESSAGES = 20


@org_view()
def customer_list(request: HttpRequest, org: Organization) -> HttpResponse:
    """The customers as a worklist: columns, filters and sort in SQL; one page read at a time."""
    today = org_today(org, timezone.now())
    form = WorklistForm(request.GET, currencies=selectors.customers_currencies(org), org=org)
    filters = form.cleaned_data if form.is_valid() else {}
    customers = selectors.customer_search(
        org, today=today, q=filters.get("q", ""), status=filters.get("status", ""), kind=filters.get("kind", ""),
        currency=filters.get("currency", ""), overdue_only=filters.get("overdue", False),
    )
    currency = form.overdue_currency()
    customers = worklist(customers, org=org, today=today, currency=currency)
    if filters:
        customers = worklist_filter(customers, form.worklist_filters(), today=today, user_id=request.user.pk)
    sort = filters.get("sort", "")
    page = Paginator(worklist_sort(customers, sort).values_list("pk", flat=True), PAGE_SIZE).get_page(
        request.GET.get("page"))
    ids = list(page)
    balances = ledger.balances_by_customer(org=org, customer_ids=ids)
    steps = next_step_by_customer(next_steps(org=org, customer_ids=ids, today=today))
    rows = [WorklistRow(c, balances.get(c.pk, {}), steps.get(c.pk), today) for c in worklist_page(customers, ids)]
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("sort", None)
    context = {"form": form, "page": page, "rows": rows, "sort": sort, "query": query.urlencode(),
               "overdue_currency": currency, "can_act": request.membership.allows(Role.COLLECTOR),
               "bulk_form": BulkActionForm(org=org, customer_ids=ids),
               "sort_links": sort_links(sort)}
    # htmx live search swaps only the results; without JavaScript the whole page is served.
    template = "web/customers/_results.html" if request.htmx else "web/customers/list.html"
    return render(request, template, context)


@org_view()
def customer_detail(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    customer = get_for_org(Customer, org, pk=pk)
    today = org_today(org, timezone.now())
    form = StatementForm(request.GET if "as_of" in request.GET else None, initial={"as_of": today})
    as_of = (form.cleaned_data.get("as_of") if form.is_valid() else None) or today
    invoices = Invoice.objects.for_org(org).filter(customer=customer).order_by("-issue_date", "-number")
    credit_form = credit_apply_form(org, customer, today)
    can_apply = bool(credit_form.sources) and invoices.filter(open_minor__gt=0).exists()
    origin = customer_origin(org, customer.pk)
    return render(request, "web/customers/detail.html", {
        "customer": customer,
        "origin": origin,
        "books_contact": books_contact_id(customer) if origin else None,
        "today": today,
        "balances": ledger.customer_balances(org=org, customer=customer),
        "contacts": customer.contacts.filter(org=org),
        "open_invoices": invoices.exclude(open_minor=0).order_by("due_date", "number"),
        "open_rows": _open_rows(org, customer, invoices, today),
        "closed_invoices": invoices.filter(open_minor=0)[:100],
        "payments": Payment.objects.for_org(org).filter(customer=customer).select_related("named_invoice")[:100],
        "credit_notes": CreditNote.objects.for_org(org).filter(customer=customer)[:100],
        "statement_form": form,
        "statement": ledger.statement(org=org, customer=customer, as_of=as_of),
        "events": selectors.customer_events(org, customer),
        "credit_form": credit_form if can_apply else None,
        "communications": messaging.communication_log(org=org, customer=customer, limit=RECENT_MESSAGES),
        "collections": policy_explanation(org, customer),
        "arrangements": open_arrangements(org=org, customer=customer),
        "gate": contact_explain(org=org, customer=customer, now=timezone.now()),
        "collectors": collectors(org),
    })


def _open_rows(org: Organization, customer: Customer, invoices, today) -> list[tuple[Invoice, object]]:
    """The customer's open invoices, oldest due first, each with its next step (or None)."""
    steps = next_steps(org=org, customer_ids=[customer.pk], today=today)
    return [(invoice, steps.get(invoice.pk)) for invoice in invoices.filter(open_minor__gt=0).order_by(
        "due_date", "number")]

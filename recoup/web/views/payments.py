"""Forms that move money on the ledger: payments, credit notes, write-offs.

Each view parses the form, calls one ledger action with the signed-in user as
actor and the clock read here, then redirects (POST-redirect-GET).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from recoup.audit.actions import Actor
from recoup.core.money import format_money, from_minor
from recoup.ledger.actions import LedgerError, credit_note_record, invoice_write_off, payment_record
from recoup.ledger.models import Customer, Invoice
from recoup.orgs.models import Organization, Role
from recoup.web import selectors
from recoup.web.decorators import check_write_off_allowed, org_view
from recoup.web.forms import CreditNoteForm, PaymentForm, WriteOffForm
from recoup.web.views.common import get_for_org, org_today


def _customer_form(form_class, request: HttpRequest, org: Organization, customer: Customer, today):
    data = request.POST if request.method == "POST" else None
    initial = {"date": today, "currency": org.base_currency}
    if "invoice" in request.GET:
        initial["invoice"] = request.GET["invoice"]
    return form_class(data, org=org, customer=customer, currencies=selectors.customers_currencies(org),
                      initial=initial)


@org_view(Role.COLLECTOR)
def payment_new(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    customer = get_for_org(Customer, org, pk=pk)
    now = timezone.now()
    form = _customer_form(PaymentForm, request, org, customer, org_today(org, now))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            payment = payment_record(
                org=org, customer=customer, date=data["date"], amount_minor=data["amount_minor"],
                currency=data["currency"], method=data["method"], reference=data["reference"],
                payer=data["payer"], invoice=data["invoice"], actor=Actor.for_user(request.user), now=now,
            )
        except LedgerError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Payment of {format_money(payment.amount, payment.currency, org.locale)} recorded.")
            return redirect("customer_detail", slug=org.slug, pk=customer.pk)
    return render(request, "web/forms/money_form.html", {
        "customer": customer, "form": form, "title": "Record a payment", "submit": "Record payment",
    })


@org_view(Role.COLLECTOR)
def credit_note_new(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    customer = get_for_org(Customer, org, pk=pk)
    now = timezone.now()
    form = _customer_form(CreditNoteForm, request, org, customer, org_today(org, now))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            note = credit_note_record(
                org=org, customer=customer, number=data["number"], date=data["date"],
                amount_minor=data["amount_minor"], currency=data["currency"], invoice=data["invoice"],
                reason=data["reason"], actor=Actor.for_user(request.user), now=now,
            )
        except LedgerError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Credit note {note.number} issued.")
            return redirect("customer_detail", slug=org.slug, pk=customer.pk)
    return render(request, "web/forms/money_form.html", {
        "customer": customer, "form": form, "title": "Issue a credit note", "submit": "Issue credit note",
    })


@org_view(Role.COLLECTOR)
def write_off_new(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    """Owners write off any amount; collectors up to the organization's limit, in its own currency."""
    invoice = get_for_org(Invoice, org, pk=pk)
    now = timezone.now()
    data = request.POST if request.method == "POST" else None
    form = WriteOffForm(data, invoice=invoice, initial={"date": org_today(org, now), "amount": invoice.open_amount})
    if request.method == "POST" and form.is_valid():
        amount = form.cleaned_data.get("amount_minor") or invoice.open_minor
        if invoice.currency != org.base_currency and request.membership.role != Role.OWNER:
            amount = org.collector_write_off_limit_minor + 1  # the limit is in the base currency: owners only
        check_write_off_allowed(request.membership, org, amount)
        try:
            write_off = invoice_write_off(
                org=org, invoice=invoice, on=form.cleaned_data["date"], reason=form.cleaned_data["reason"],
                amount_minor=form.cleaned_data.get("amount_minor"), actor=Actor.for_user(request.user), now=now,
            )
        except LedgerError as exc:
            form.add_error(None, str(exc))
        else:
            amount = format_money(from_minor(write_off.amount_minor, invoice.currency), invoice.currency, org.locale)
            messages.success(request, f"{amount} of invoice {invoice.number} written off.")
            return redirect("invoice_detail", slug=org.slug, pk=invoice.pk)
    return render(request, "web/forms/money_form.html", {
        "customer": invoice.customer, "invoice": invoice, "form": form,
        "title": f"Write off invoice {invoice.number}", "submit": "Write off",
    })

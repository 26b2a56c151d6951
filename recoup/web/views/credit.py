"""Applying credit left on account (a payment's or a credit note's) to one open invoice."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from recoup.audit.actions import Actor
from recoup.core.money import format_money, from_minor
from recoup.ledger.actions import LedgerError, credit_apply
from recoup.ledger.models import Customer
from recoup.orgs.models import Organization, Role
from recoup.web import selectors
from recoup.web.decorators import org_view
from recoup.web.invoice_forms import CreditApplyForm
from recoup.web.views.common import get_for_org, org_today


def credit_apply_form(org: Organization, customer: Customer, today, data=None) -> CreditApplyForm:
    return CreditApplyForm(data, org=org, customer=customer, sources=selectors.credit_sources(org, customer),
                           initial={"date": today})


@org_view(Role.COLLECTOR)
def credit_apply_view(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    customer = get_for_org(Customer, org, pk=pk)
    now = timezone.now()
    form = credit_apply_form(org, customer, org_today(org, now), request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            allocation = credit_apply(org=org, source=d["source"], invoice=d["invoice"], on=d["date"],
                                      actor=Actor.for_user(request.user), now=now)
        except LedgerError as exc:
            form.add_error(None, str(exc))
        else:
            amount = format_money(from_minor(allocation.amount_minor, d["invoice"].currency), d["invoice"].currency,
                                  org.locale)
            messages.success(request, f"{amount} of credit applied to invoice {d['invoice'].number}.")
            return redirect("customer_detail", slug=org.slug, pk=customer.pk)
    return render(request, "web/forms/money_form.html", {
        "customer": customer, "form": form, "title": "Apply credit on account", "submit": "Apply credit",
    })

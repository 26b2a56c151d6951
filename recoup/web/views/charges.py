"""Waive a charge on an invoice: owners and collectors, with a reason.

The view parses the form, calls ``charge_waive`` with the signed-in user as actor and the
clock read here, then redirects to the invoice (POST-redirect-GET).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from recoup.audit.actions import Actor
from recoup.core.money import format_money, from_minor
from recoup.ledger.actions import LedgerError
from recoup.ledger.charge_actions import charge_waive
from recoup.ledger.models import Charge, Invoice
from recoup.ledger.splits import invoice_parts
from recoup.orgs.models import Organization, Role
from recoup.web.charge_forms import ChargeWaiveForm
from recoup.web.decorators import org_view
from recoup.web.views.common import get_for_org, org_today


@org_view(Role.COLLECTOR)
def charge_waive_view(request: HttpRequest, org: Organization, pk: int, charge_pk: int) -> HttpResponse:
    invoice = get_for_org(Invoice, org, pk=pk)
    charge = get_for_org(Charge, org, pk=charge_pk, invoice=invoice)
    row = invoice_parts(invoice).charge(charge.pk)
    now = timezone.now()
    data = request.POST if request.method == "POST" else None
    form = ChargeWaiveForm(data, currency=invoice.currency, initial={"date": org_today(org, now)})
    if request.method == "POST" and form.is_valid():
        try:
            waiver = charge_waive(org=org, charge=charge, on=form.cleaned_data["date"],
                                  amount_minor=form.cleaned_data.get("amount_minor"),
                                  reason=form.cleaned_data["reason"], actor=Actor.for_user(request.user), now=now)
        except LedgerError as exc:
            # The action's message starts with the field it is about ("amount: ...").
            field, _, text = str(exc).partition(": ")
            form.add_error(field if field in form.fields else None, text if field in form.fields else str(exc))
        else:
            amount = format_money(from_minor(waiver.amount_minor, invoice.currency), invoice.currency, org.locale)
            messages.success(request, f"{amount} of the {charge.get_kind_display().lower()} on invoice "
                                      f"{invoice.number} waived.")
            return redirect("invoice_detail", slug=org.slug, pk=invoice.pk)
    return render(request, "web/invoices/waive.html", {
        "invoice": invoice, "customer": invoice.customer, "charge": charge, "row": row, "form": form,
    })

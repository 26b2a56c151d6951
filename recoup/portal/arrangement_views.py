"""The debtor's actions on invoices: pay by card, propose a plan, promise a date, raise a dispute.

Each form lists the customer's open invoices only and hands the chosen ones to
the action that owns the rule (``recoup.payments.actions``,
``recoup.arrangements.actions``); a refusal is shown as the action words it.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.http import require_http_methods

from recoup.arrangements.actions import ArrangementError, dispute_open, plan_propose
from recoup.arrangements.promise_actions import promise_make
from recoup.arrangements.models import PlanStatus
from recoup.payments.actions import PaymentsError, checkout_start
from recoup.payments.models import CheckoutStatus
from recoup.payments.selectors import card_checkout_origin, checkout_for, has_bank_details
from recoup.portal import selectors
from recoup.portal.access import portal_page
from recoup.portal.actions import debtor
from recoup.portal.forms import DisputeForm, PayForm, PlanForm, PromiseForm
from recoup.portal.selectors import PortalAccess
from recoup.portal.views import money, page, url


def _form(cls, request: HttpRequest, access: PortalAccess):
    return cls(request.POST or None, request.FILES or None, invoices=selectors.open_invoices(access),
               lang=translation.get_language() or "en")


@require_http_methods(["GET", "POST"])
@portal_page
def pay(request: HttpRequest, access: PortalAccess) -> HttpResponse:
    form = _form(PayForm, request, access)
    origin = card_checkout_origin(access.org)
    error = ""
    if request.method == "POST" and origin and form.is_valid():
        back = request.build_absolute_uri(reverse("portal_pay_return", args=[access.secret]))
        try:
            session = checkout_start(org=access.org, customer=access.customer, invoices=form.chosen(),
                                     success_url=back + "?session_id={CHECKOUT_SESSION_ID}",
                                     cancel_url=request.build_absolute_uri(url("portal_home", access) + "?done=cancelled"),
                                     actor=debtor(access.customer), now=timezone.now())
        except PaymentsError as exc:
            error = str(exc)
        else:
            response = redirect(session.url)
            response.status_code = 303
            response.portal_form_action = (origin,)
            return response
    response = page(request, access, "portal/pay.html", {"form": form, "error": error, "card": origin is not None,
                                                         "bank": has_bank_details(access.org)})
    if origin:
        response.portal_form_action = (origin,)  # the form's POST is redirected to the provider's page
    return response


@require_http_methods(["GET"])
@portal_page
def pay_return(request: HttpRequest, access: PortalAccess) -> HttpResponse:
    session = checkout_for(org=access.org, customer=access.customer, session_id=request.GET.get("session_id", ""))
    return page(request, access, "portal/paid.html", {
        "session": session, "confirmed": bool(session and session.status == CheckoutStatus.PAID),
        "amount": money(session.amount_minor, session.currency) if session else ""})


@require_http_methods(["GET", "POST"])
@portal_page
def plan(request: HttpRequest, access: PortalAccess) -> HttpResponse:
    form = _form(PlanForm, request, access)
    error = ""
    if request.method == "POST" and form.is_valid():
        down = form.amount_minor("down_payment")
        if form.is_valid():
            try:
                made = plan_propose(org=access.org, customer=access.customer, invoices=form.chosen(),
                                    instalments=form.cleaned_data["instalments"],
                                    frequency=form.cleaned_data["frequency"], first_date=form.cleaned_data["first_date"],
                                    down_payment_minor=down or 0, actor=debtor(access.customer), now=timezone.now())
            except ArrangementError as exc:
                error = str(exc)
            else:
                done = "plan" if made.status == PlanStatus.ACTIVE else "plan_review"
                return redirect(url("portal_home", access) + f"?done={done}")
    return page(request, access, "portal/plan.html", {"form": form, "error": error})


@require_http_methods(["GET", "POST"])
@portal_page
def promise(request: HttpRequest, access: PortalAccess) -> HttpResponse:
    form = _form(PromiseForm, request, access)
    error = ""
    if request.method == "POST" and form.is_valid():
        amount = form.amount_minor("amount")
        if form.is_valid():
            try:
                promise_make(org=access.org, customer=access.customer, invoices=form.chosen(),
                             pay_by=form.cleaned_data["pay_by"], amount_minor=amount,
                             actor=debtor(access.customer), now=timezone.now())
            except ArrangementError as exc:
                error = str(exc)
            else:
                return redirect(url("portal_home", access) + "?done=promise")
    return page(request, access, "portal/promise.html", {"form": form, "error": error})


@require_http_methods(["GET", "POST"])
@portal_page
def dispute(request: HttpRequest, access: PortalAccess) -> HttpResponse:
    form = _form(DisputeForm, request, access)
    error = ""
    if request.method == "POST" and form.is_valid():
        amount = form.amount_minor("amount")
        if form.is_valid():
            try:
                dispute_open(org=access.org, customer=access.customer, invoices=form.chosen(),
                             category=form.cleaned_data["category"], amount_minor=amount,
                             message=form.cleaned_data["message"], attachments=form.cleaned_data["attachments"],
                             actor=debtor(access.customer), now=timezone.now())
            except ArrangementError as exc:
                error = str(exc)
            else:
                return redirect(url("portal_home", access) + "?done=dispute")
    return page(request, access, "portal/dispute.html", {"form": form, "error": error})

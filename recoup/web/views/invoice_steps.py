"""One open invoice's next step: send it now, snooze the invoice until a day, skip the step.

Thin: parse, call the action in ``collections.step_controls`` (which goes through the gate
and audits), say what happened, and go back where the operator was (the invoice, or the
customer page's open invoices). Collectors and owners only.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from recoup.audit.actions import Actor
from recoup.collections.actions import CollectionsError
from recoup.collections.models import Outcome
from recoup.collections.step_controls import step_send_now, step_skip, step_snooze
from recoup.ledger.models import Invoice
from recoup.orgs.models import Organization, Role
from recoup.web.decorators import org_view
from recoup.web.views.common import get_for_org, org_today
from recoup.web.worklist_forms import SnoozeForm, StepForm


def _back(request: HttpRequest, org: Organization, invoice: Invoice) -> HttpResponse:
    if request.POST.get("back") == "customer":
        return redirect("customer_detail", slug=org.slug, pk=invoice.customer_id)
    return redirect("invoice_detail", slug=org.slug, pk=invoice.pk)


def _step(request: HttpRequest) -> tuple[str, int] | None:
    form = StepForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Which step? Reload the page and try again.")
        return None
    return form.cleaned_data["step"], form.cleaned_data["number"]


@org_view(Role.COLLECTOR)
@require_POST
def step_send_now_view(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    invoice = get_for_org(Invoice, org, pk=pk)
    step = _step(request)
    if step is not None:
        now = timezone.now()
        try:
            outcomes = step_send_now(org=org, invoice=invoice, step_key=step[0], number=step[1],
                                     on=org_today(org, now), actor=Actor.for_user(request.user), now=now)
        except CollectionsError as exc:
            messages.error(request, f"Not sent: {exc}")
        else:
            drafts = any(o.status == Outcome.DRAFT for o in outcomes)
            messages.success(request, f"{invoice.number}: " + (
                "the message waits for review as a draft." if drafts else "the message is queued."))
    return _back(request, org, invoice)


@org_view(Role.COLLECTOR)
@require_POST
def step_skip_view(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    invoice = get_for_org(Invoice, org, pk=pk)
    step = _step(request)
    if step is not None:
        now = timezone.now()
        try:
            step_skip(org=org, invoice=invoice, step_key=step[0], number=step[1], on=org_today(org, now),
                      actor=Actor.for_user(request.user), now=now)
        except CollectionsError as exc:
            messages.error(request, f"Not skipped: {exc}")
        else:
            messages.success(request, f"{invoice.number}: step skipped.")
    return _back(request, org, invoice)


@org_view(Role.COLLECTOR)
@require_POST
def step_snooze_view(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    invoice = get_for_org(Invoice, org, pk=pk)
    form = SnoozeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Snooze until: give a date.")
        return _back(request, org, invoice)
    now = timezone.now()
    until = form.cleaned_data["until"]
    try:
        step_snooze(org=org, invoice=invoice, until=until, on=org_today(org, now),
                    actor=Actor.for_user(request.user), now=now)
    except CollectionsError as exc:
        messages.error(request, f"Not snoozed: {exc}")
    else:
        messages.success(request, f"{invoice.number}: no reminder before {until.isoformat()}.")
    return _back(request, org, invoice)

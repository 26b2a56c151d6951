"""The operator's arrangement pages: lists with the dispute SLA clock, plans, promises,
settlements, disputes and the limits. Each POST calls one action with the signed-in user as
actor and the clock read here, then redirects.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from recoup.arrangements import actions, dispute_actions, promise_actions, settlement_actions
from recoup.arrangements.actions import ArrangementError, org_date
from recoup.arrangements.forms import (
    CreditForm, CustomerChoiceForm, OutcomeForm, PlanForm, PlanScheduleForm, PromiseForm, ReasonForm, ReferralForm,
    SettingsForm, SettlementForm,
)
from recoup.arrangements.models import Dispute, PaymentPlan, Promise, Referral, Settlement
from recoup.arrangements.selectors import arrangement_querysets, dispute_rows, settings_for
from recoup.audit.actions import Actor
from recoup.core.money import from_minor
from recoup.lib.downloads import content_disposition
from recoup.orgs.models import Organization, Role
from recoup.web.decorators import org_view
from recoup.web.views.common import get_for_org


LIST_PAGE = 50  # rows of each list on a page; each list pages on its own (?plans=2)


@org_view()
def index(request: HttpRequest, org: Organization) -> HttpResponse:
    today = org_date(org, timezone.now())
    show_all = request.GET.get("show") == "all"
    pages = {kind: Paginator(qs, LIST_PAGE).get_page(request.GET.get(kind))
             for kind, qs in arrangement_querysets(org=org, include_closed=show_all).items()}
    lists = {**{kind: list(page) for kind, page in pages.items()},
             "disputes": dispute_rows(org=org, disputes=pages["disputes"], today=today)}
    return render(request, "arrangements/index.html", {
        "lists": lists, "pages": pages, "show_all": show_all,
        "settings": settings_for(org), "today": today, "chooser": CustomerChoiceForm(org=org),
    })


def _customer_or_chooser(request: HttpRequest, org: Organization, title: str):
    """The customer named by ?customer=, or a page asking which one."""
    chooser = CustomerChoiceForm(request.GET if "customer" in request.GET else None, org=org)
    if chooser.is_bound and chooser.is_valid():
        return chooser.cleaned_data["customer"], None
    return None, render(request, "arrangements/choose_customer.html", {"form": chooser, "title": title})


def _form_page(request, template: str, **context) -> HttpResponse:
    return render(request, template, context)


def _invoice_form(request, org, customer, form_class, initial=None):
    data = request.POST if request.method == "POST" else None
    return form_class(data, org=org, customer=customer, initial=initial or {})


@org_view(Role.COLLECTOR)
def plan_new(request: HttpRequest, org: Organization) -> HttpResponse:
    customer, page = _customer_or_chooser(request, org, "New payment plan")
    if page:
        return page
    now = timezone.now()
    form = _invoice_form(request, org, customer, PlanForm, {"first_date": org_date(org, now)})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            plan = actions.plan_create(org=org, customer=customer, invoices=list(d["invoices"]),
                                       instalments=d["instalments"], frequency=d["frequency"],
                                       first_date=d["first_date"], down_payment_minor=d["down_payment_minor"],
                                       note=d["note"], actor=Actor.for_user(request.user), now=now)
        except ArrangementError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Payment plan #{plan.pk} started; its invoices are held while it is kept.")
            return redirect("arrangements_plan", slug=org.slug, pk=plan.pk)
    return _form_page(request, "arrangements/form.html", form=form, customer=customer, title="New payment plan",
                      submit="Start plan")


@org_view()
def plan_detail(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    plan = get_for_org(PaymentPlan, org, pk=pk)
    edit = PlanScheduleForm(initial={"instalments": plan.instalment_count, "frequency": plan.frequency,
                                     "first_date": plan.first_date,
                                     "down_payment": from_minor(plan.down_payment_minor, plan.currency)
                                     if plan.down_payment_minor else ""})
    return render(request, "arrangements/plan.html", {"plan": plan, "edit": edit, "reason": ReasonForm()})


def _act(request: HttpRequest, org: Organization, target: str, pk: int, call, done: str) -> HttpResponse:
    try:
        call(Actor.for_user(request.user), timezone.now())
    except ArrangementError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect(target, slug=org.slug, pk=pk)


def _reason(request: HttpRequest) -> str:
    return request.POST.get("reason", "")


@require_POST
@org_view(Role.COLLECTOR)
def plan_action(request: HttpRequest, org: Organization, pk: int, action: str) -> HttpResponse:
    plan = get_for_org(PaymentPlan, org, pk=pk)
    target = "arrangements_plan"
    if action == "update":
        form = PlanScheduleForm(request.POST)
        form.currency_code = plan.currency
        if not form.is_valid():
            return render(request, "arrangements/plan.html", {"plan": plan, "edit": form, "reason": ReasonForm()})
        d = form.cleaned_data
        return _act(request, org, target, pk, lambda actor, now: actions.plan_update(
            org=org, plan=plan, instalments=d["instalments"], frequency=d["frequency"], first_date=d["first_date"],
            down_payment_minor=d["down_payment_minor"], actor=actor, now=now), "Plan changed.")
    calls = {
        "accept": (lambda actor, now: actions.plan_accept(org=org, plan=plan, actor=actor, now=now), "Plan accepted."),
        "reject": (lambda actor, now: actions.plan_reject(org=org, plan=plan, reason=_reason(request), actor=actor,
                                                          now=now), "Plan rejected; reminders resume."),
        "cancel": (lambda actor, now: actions.plan_cancel(org=org, plan=plan, reason=_reason(request), actor=actor,
                                                          now=now), "Plan cancelled; reminders resume."),
    }
    if action not in calls:
        return redirect(target, slug=org.slug, pk=pk)
    return _act(request, org, target, pk, *calls[action])


@org_view(Role.COLLECTOR)
def promise_new(request: HttpRequest, org: Organization) -> HttpResponse:
    customer, page = _customer_or_chooser(request, org, "Record a promise to pay")
    if page:
        return page
    form = _invoice_form(request, org, customer, PromiseForm)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            promise = promise_actions.promise_make(org=org, customer=customer, invoices=list(d["invoices"]),
                                                   pay_by=d["pay_by"], amount_minor=d["amount_minor"],
                                                   actor=Actor.for_user(request.user), now=timezone.now())
        except ArrangementError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Promise #{promise.pk} recorded; reminders wait until {promise.pay_by} "
                                      f"plus {promise.grace_days} grace days.")
            return redirect("arrangements_home", slug=org.slug)
    return _form_page(request, "arrangements/form.html", form=form, customer=customer,
                      title="Record a promise to pay", submit="Record promise")


@require_POST
@org_view(Role.COLLECTOR)
def promise_cancel(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    promise = get_for_org(Promise, org, pk=pk)
    try:
        promise_actions.promise_cancel(org=org, promise=promise, reason=_reason(request),
                                       actor=Actor.for_user(request.user), now=timezone.now())
    except ArrangementError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Promise #{promise.pk} cancelled; reminders resume.")
    return redirect("arrangements_home", slug=org.slug)


@org_view(Role.OWNER)
def settlement_new(request: HttpRequest, org: Organization) -> HttpResponse:
    customer, page = _customer_or_chooser(request, org, "Offer a settlement")
    if page:
        return page
    form = _invoice_form(request, org, customer, SettlementForm)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            settlement = settlement_actions.settlement_offer(
                org=org, customer=customer, invoices=list(d["invoices"]), amount_minor=d["amount_minor"],
                deadline=d["deadline"], reason=d["reason"], accepted=d["accepted"],
                actor=Actor.for_user(request.user), now=timezone.now())
        except ArrangementError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Settlement #{settlement.pk} {settlement.get_status_display().lower()}.")
            return redirect("arrangements_settlement", slug=org.slug, pk=settlement.pk)
    return _form_page(request, "arrangements/form.html", form=form, customer=customer, title="Offer a settlement",
                      submit="Save settlement")


@org_view(Role.VIEWER, post_role=Role.OWNER)
def settlement_detail(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    settlement = get_for_org(Settlement, org, pk=pk)
    if request.method == "POST":
        target = "arrangements_settlement"
        if request.POST.get("action") == "accept":
            return _act(request, org, target, pk, lambda actor, now: settlement_actions.settlement_accept(
                org=org, settlement=settlement, actor=actor, now=now), "Settlement accepted.")
        return _act(request, org, target, pk, lambda actor, now: settlement_actions.settlement_withdraw(
            org=org, settlement=settlement, reason=_reason(request), actor=actor, now=now), "Settlement withdrawn.")
    return render(request, "arrangements/settlement.html", {"settlement": settlement, "reason": ReasonForm()})


@org_view()
def settlement_letter(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    settlement = get_for_org(Settlement, org, pk=pk, letter_pdf__isnull=False)
    response = HttpResponse(bytes(settlement.letter_pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="settlement-{settlement.pk}.pdf"'
    return response


@org_view()
def dispute_detail(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    dispute = get_for_org(Dispute, org, pk=pk)
    return render(request, "arrangements/dispute.html", _dispute_context(org, dispute))


def _dispute_context(org: Organization, dispute: Dispute, **forms) -> dict:
    today = org_date(org, timezone.now())
    return {"dispute": dispute, "age": (today - dispute.opened_on).days, "sla": settings_for(org).dispute_sla_days,
            "credit": forms.get("credit") or CreditForm(dispute=dispute), "reason": ReasonForm(),
            "refer": forms.get("refer") or ReferralForm(initial={"referred_on": today}),
            "outcome": OutcomeForm(initial={"concluded_on": today})}


@require_POST
@org_view(Role.COLLECTOR)
def dispute_action(request: HttpRequest, org: Organization, pk: int, action: str) -> HttpResponse:
    dispute = get_for_org(Dispute, org, pk=pk)
    target = "arrangements_dispute"
    if action == "credit":
        form = CreditForm(request.POST, dispute=dispute)
        if not form.is_valid():
            return render(request, "arrangements/dispute.html", _dispute_context(org, dispute, credit=form))
        d = form.cleaned_data
        return _act(request, org, target, pk, lambda actor, now: dispute_actions.dispute_resolve_credit(
            org=org, dispute=dispute, number=d["number"], amount_minor=d["amount_minor"], reason=d["reason"],
            invoice=d["invoice"], actor=actor, now=now), "Credit note issued; the dispute is resolved.")
    if action == "refer":
        form = ReferralForm(request.POST)
        if not form.is_valid():
            return render(request, "arrangements/dispute.html", _dispute_context(org, dispute, refer=form))
        d = form.cleaned_data
        return _act(request, org, target, pk, lambda actor, now: dispute_actions.dispute_refer(
            org=org, dispute=dispute, kind=d["kind"], neutral_party=d["neutral_party"], referred_on=d["referred_on"],
            hearing_on=d["hearing_on"], actor=actor, now=now), "Dispute referred.")
    if action == "outcome":
        referral_id = request.POST.get("referral", "")
        referral = get_for_org(Referral, org, pk=int(referral_id) if referral_id.isdigit() else 0, dispute=dispute)
        form = OutcomeForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Please give the outcome and its date.")
            return redirect(target, slug=org.slug, pk=pk)
        d = form.cleaned_data
        return _act(request, org, target, pk, lambda actor, now: dispute_actions.referral_conclude(
            org=org, referral=referral, outcome=d["outcome"], binding=d["binding"], concluded_on=d["concluded_on"],
            actor=actor, now=now), "Outcome recorded.")
    calls = {
        "review": (lambda actor, now: dispute_actions.dispute_review(org=org, dispute=dispute, actor=actor, now=now),
                   "Dispute under review."),
        "reject": (lambda actor, now: dispute_actions.dispute_reject(
            org=org, dispute=dispute, explanation=_reason(request), actor=actor, now=now),
            "Dispute rejected; the debtor is told why and reminders resume."),
        "resolve": (lambda actor, now: dispute_actions.dispute_resolve(
            org=org, dispute=dispute, resolution=_reason(request), actor=actor, now=now), "Dispute resolved."),
    }
    if action not in calls:
        return redirect(target, slug=org.slug, pk=pk)
    return _act(request, org, target, pk, *calls[action])


@org_view()
def dispute_attachment(request: HttpRequest, org: Organization, pk: int, attachment_pk: int) -> HttpResponse:
    dispute = get_for_org(Dispute, org, pk=pk)
    attachment = get_for_org(dispute.attachments.model, org, pk=attachment_pk, dispute=dispute)
    response = HttpResponse(bytes(attachment.data), content_type=attachment.content_type)
    # Always a download, never rendered in our origin.
    response["Content-Disposition"] = content_disposition(attachment.filename, attachment=True)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@org_view(Role.OWNER)
def settings_page(request: HttpRequest, org: Organization) -> HttpResponse:
    current = settings_for(org)
    cur = org.base_currency
    initial = {f: getattr(current, f) for f in dispute_actions.FIELDS if not f.endswith("_minor")}
    initial |= {"min_instalment": from_minor(current.min_instalment_minor, cur),
                "max_balance": from_minor(current.max_balance_minor, cur)}
    form = SettingsForm(request.POST if request.method == "POST" else None, currency=cur, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = {f: form.cleaned_data[f] for f in dispute_actions.FIELDS}
        try:
            dispute_actions.settings_update(org=org, values=values, actor=Actor.for_user(request.user),
                                            now=timezone.now())
        except ArrangementError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Arrangement limits saved.")
            return redirect("arrangements_home", slug=org.slug)
    return render(request, "arrangements/settings.html", {"form": form, "currency": cur})


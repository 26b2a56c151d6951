"""Pages of escalation: the overview, the account review with its decision, evidence downloads,
agencies and placements, cases, documents and the bad-debt report. Each POST calls actions with
the signed-in user as actor and the clock read here, then redirects."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from recoup.audit.actions import Actor
from recoup.escalation import forms as f
from recoup.escalation.actions import (
    EscalationError, evidence_document_add, letter_before_action_send, review_decide,
)
from recoup.escalation.case_actions import case_event_add, case_open
from recoup.escalation.models import (
    Agency, Case, LetterBeforeAction, LetterKind, Placement, ReviewChoice,
)
from recoup.escalation.placement_actions import agency_collection_record, agency_save, placement_create, placement_end
from recoup.escalation.placement_file import placement_csv
from recoup.escalation.selectors import (
    account_story, live_placement, open_reviews, placement_totals, upcoming_case_dates,
)
from recoup.escalation.writeoff_actions import bad_debt_csv, bad_debt_write_off
from recoup.ledger.models import Customer
from recoup.lib.downloads import content_disposition
from recoup.messaging.models import Task, TaskKind
from recoup.orgs.models import Organization, Role
from recoup.web.decorators import org_view
from recoup.web.views.common import get_for_org, org_today


def _customer_query(customer) -> str:
    """``?customer=<ref>``: the arrangement forms name the customer by its reference."""
    return "?" + urlencode({"customer": customer.ref})


@org_view()
def index(request: HttpRequest, org: Organization) -> HttpResponse:
    if request.GET.get("customer", "").isdigit():  # "Review an account": a plain GET form, no script needed
        return redirect(_review_url(org, get_for_org(Customer, org, pk=int(request.GET["customer"]))))
    today = org_today(org, timezone.now())
    placements = list(Placement.objects.for_org(org).filter(status="placed").select_related("agency", "customer"))
    return render(request, "escalation/index.html", {
        "reviews": open_reviews(org=org), "today": today,
        "waiting": LetterBeforeAction.objects.for_org(org).filter(deadline__gte=today).select_related("customer"),
        "placements": [(p, placement_totals(p)) for p in placements],
        "upcoming": upcoming_case_dates(org=org, today=today, days=30),
        "agencies": Agency.objects.for_org(org), "agency_form": f.AgencyForm(),
        "customers": Customer.objects.for_org(org).order_by("ref")[:500], "year": today.year,
    })


def _review_url(org: Organization, customer: Customer) -> str:
    return reverse("escalation_review", args=[org.slug, customer.pk])


@org_view(post_role=Role.COLLECTOR)
def review(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    customer = get_for_org(Customer, org, pk=pk)
    now = timezone.now()
    today = org_today(org, now)
    task = Task.objects.for_org(org).filter(customer=customer, kind=TaskKind.ESCALATION_REVIEW,
                                            status="open").order_by("created_at").first()
    form = f.ReviewForm(request.POST or None, org=org, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            done = _decide(org=org, customer=customer, data=form.cleaned_data, task=task, on=today,
                           actor=Actor.for_user(request.user), now=now)
        except EscalationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, done)
            if form.cleaned_data["choice"] == ReviewChoice.PAYMENT_PLAN:
                return redirect(reverse("arrangements_plan_new", args=[org.slug]) + _customer_query(customer))
            if form.cleaned_data["choice"] == ReviewChoice.SETTLEMENT:
                return redirect(reverse("arrangements_settlement_new", args=[org.slug]) + _customer_query(customer))
            return redirect(_review_url(org, customer))
    story = account_story(org=org, customer=customer, on=today)
    cur = story.owed.currency
    return render(request, "escalation/review.html", {
        "story": story, "customer": customer, "task": task, "form": form, "currency": cur,
        "live": live_placement(org=org, customer=customer),
        "placements": [(p, placement_totals(p), f.CollectionForm(currency=p.currency, prefix=f"p{p.pk}"))
                       for p in story.placements],
        "case_form": f.CaseForm(initial={"filing_date": today}),
        "event_forms": [(c, f.CaseEventForm(currency=c.currency, prefix=f"c{c.pk}")) for c in story.cases],
        "document_form": f.DocumentForm(),
    })


@transaction.atomic
def _decide(*, org, customer, data, task, on, actor, now) -> str:
    choice = data["choice"]
    review_decide(org=org, customer=customer, choice=choice, note=data.get("note") or "", task=task, actor=actor,
                  now=now)
    if choice == ReviewChoice.LETTER_BEFORE_ACTION:
        lba = letter_before_action_send(org=org, customer=customer, on=on, actor=actor, now=now,
                                        individual=data.get("individual"))
        return (f"{LetterKind(lba.kind).label} #{lba.number} queued for the print batch; collection paused until "
                f"{lba.deadline.isoformat()}.")
    if choice == ReviewChoice.AGENCY:
        placement = placement_create(org=org, agency=data["agency"], customer=customer, on=on, actor=actor, now=now)
        return f"Placed with {placement.agency.name}; Recoup no longer contacts {customer.ref}."
    if choice == ReviewChoice.WRITE_OFF:
        written = bad_debt_write_off(org=org, customer=customer, on=on, reason=data["reason"], actor=actor, now=now)
        return f"{len(written)} invoice(s) written off."
    return f"Decision recorded: {ReviewChoice(choice).label}."


@org_view()
def evidence_pdf(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    from recoup.escalation.evidence import evidence_files  # WeasyPrint is slow to import

    customer = get_for_org(Customer, org, pk=pk)
    now = timezone.now()
    on = org_today(org, now)
    result, zipped = evidence_files(org=org, customer=customer, on=on, now=now,
                                    prepared_by=request.user.get_username())
    as_zip = request.GET.get("format") == "zip"
    response = HttpResponse(zipped if as_zip else result.pdf, content_type="application/zip" if as_zip
                            else "application/pdf")
    ext = "zip" if as_zip else "pdf"
    response["Content-Disposition"] = content_disposition(
        f"evidence-{customer.ref}-{on.isoformat()}.{ext}", attachment=True)
    return response


@org_view()
def letter_pdf(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    letter = get_for_org(LetterBeforeAction, org, pk=pk)
    response = HttpResponse(bytes(letter.pdf), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(f"letter-before-action-{letter.number}.pdf",
                                                          attachment=False)
    return response


@org_view()
def placement_file(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    placement = get_for_org(Placement, org, pk=pk)
    data = placement_csv([placement], on=placement.placed_on, file_format=placement.agency.file_format)
    response = HttpResponse(data, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="placement-{placement.pk}.csv"'
    return response


@org_view()
def bad_debts(request: HttpRequest, org: Organization, year: int) -> HttpResponse:
    response = HttpResponse(bad_debt_csv(org=org, year=year), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="bad-debts-{org.slug}-{year}.csv"'
    return response


def _post(request, org, action, back: str, ok: str) -> HttpResponse:
    try:
        action()
    except EscalationError as exc:
        messages.error(request, f"Not done: {exc}")
    else:
        messages.success(request, ok)
    return redirect(back)


@org_view(Role.COLLECTOR)
@require_POST
def agency_new(request: HttpRequest, org: Organization) -> HttpResponse:
    form = f.AgencyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Agency not added: " + "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
        return redirect("escalation_home", slug=org.slug)
    d = form.cleaned_data
    return _post(request, org, lambda: agency_save(
        org=org, name=d["name"], commission_percent=d["commission_percent"], file_format=d["file_format"],
        contact_name=d["contact_name"], email=d["email"], phone=d["phone"], actor=Actor.for_user(request.user),
        now=timezone.now()), reverse("escalation_home", args=[org.slug]), f"Agency {d['name']} added.")


@org_view(Role.COLLECTOR)
@require_POST
def placement_action(request: HttpRequest, org: Organization, pk: int, action: str) -> HttpResponse:
    placement = get_for_org(Placement, org, pk=pk)
    now, actor = timezone.now(), Actor.for_user(request.user)
    back = _review_url(org, placement.customer)
    if action == "recall":
        form = f.ReasonForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        return _post(request, org, lambda: placement_end(org=org, placement=placement, on=org_today(org, now),
                                                         reason=reason, actor=actor, now=now), back,
                     "Account recalled; Recoup's own collection resumes.")
    form = f.CollectionForm(request.POST, currency=placement.currency, prefix=f"p{placement.pk}")
    if not form.is_valid():
        messages.error(request, "Not recorded: " + "; ".join(" ".join(v) for v in form.errors.values()))
        return redirect(back)
    d = form.cleaned_data
    return _post(request, org, lambda: agency_collection_record(
        org=org, placement=placement, on=d["date"], amount_minor=d["amount"], fee_minor=d["fee"], actor=actor,
        now=now), back, "Collection recorded.")


@org_view(Role.COLLECTOR)
@require_POST
def case_new(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    customer = get_for_org(Customer, org, pk=pk)
    form = f.CaseForm(request.POST)
    back = _review_url(org, customer)
    if not form.is_valid():
        messages.error(request, "Case not recorded: " + "; ".join(" ".join(v) for v in form.errors.values()))
        return redirect(back)
    d = form.cleaned_data
    return _post(request, org, lambda: case_open(
        org=org, customer=customer, forum=d["forum"], filing_date=d["filing_date"], court=d["court"],
        case_number=d["case_number"], actor=Actor.for_user(request.user), now=timezone.now()), back, "Case recorded.")


@org_view(Role.COLLECTOR)
@require_POST
def case_event_new(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    case = get_for_org(Case, org, pk=pk)
    form = f.CaseEventForm(request.POST, currency=case.currency, prefix=f"c{case.pk}")
    back = _review_url(org, case.customer)
    if not form.is_valid():
        messages.error(request, "Not recorded: " + "; ".join(" ".join(v) for v in form.errors.values()))
        return redirect(back)
    d = form.cleaned_data
    return _post(request, org, lambda: case_event_add(
        org=org, case=case, kind=d["kind"], on=d["on"], description=d["description"], cost_minor=d["cost"] or 0,
        actor=Actor.for_user(request.user), now=timezone.now()), back, "Recorded.")


@org_view(Role.COLLECTOR)
@require_POST
def document_new(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    customer = get_for_org(Customer, org, pk=pk)
    form = f.DocumentForm(request.POST, request.FILES)
    back = _review_url(org, customer)
    if not form.is_valid():
        messages.error(request, "Not kept: " + "; ".join(" ".join(v) for v in form.errors.values()))
        return redirect(back)
    upload = form.cleaned_data["file"]
    return _post(request, org, lambda: evidence_document_add(
        org=org, customer=customer, title=form.cleaned_data["title"], filename=upload.name,
        content_type=upload.content_type or "", data=upload.read(), is_contract=form.cleaned_data["is_contract"],
        actor=Actor.for_user(request.user), now=timezone.now()), back, "Document kept for the evidence pack.")

"""The rules page: the organization's legal rules, the rate series, and the interest calculator."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from recoup.audit.actions import Actor
from recoup.compliance.actions import ComplianceError, rate_point_add
from recoup.compliance.forms import InterestForm, RatePointForm
from recoup.compliance.selectors import org_jurisdiction, rate_book, rate_rows
from recoup.core.interest import RateMissing, calculate
from recoup.core.rules import rules_in_force
from recoup.lib.command import org_today
from recoup.orgs.models import Organization, Role
from recoup.web.decorators import org_view

KIND_ORDER = ("gate", "disclosure", "calculation", "deadline", "warning")


@org_view(post_role=Role.OWNER)
def index(request: HttpRequest, org: Organization) -> HttpResponse:
    now = timezone.now()
    today = org_today(org, now)
    # "Add a rate" from a missing-rate message arrives with the series chosen.
    rate_form = RatePointForm(request.POST or None, prefix="rate",
                              initial={"series": request.GET.get("rate-series", "")})
    if request.method == "POST" and rate_form.is_valid():
        data = rate_form.cleaned_data
        try:
            rate_point_add(org=org, series=data["series"], effective_from=data["effective_from"],
                           percent=data["percent"], note=data["note"], actor=Actor.for_user(request.user), now=now)
        except ComplianceError as exc:
            rate_form.add_error(None, str(exc))
        else:
            messages.success(request, f"Rate added: {data['percent']} % from {data['effective_from']}.")
            return redirect("rules_home", org.slug)
    jurisdiction = org_jurisdiction(org)
    rules = []
    if jurisdiction:
        found = {}
        for kind in ("business", "consumer"):
            found.update({k: v for k, v in rules_in_force(jurisdiction, today, kind).items() if k not in found})
        rules = sorted(found.values(), key=lambda r: (KIND_ORDER.index(r.kind), r.id))
    book = rate_book(org)
    series = [(s, rate_rows(org, s.id)[:8]) for s in book.series.values()]
    calc = InterestForm(request.GET if "amount" in request.GET else None,
                        initial={"jurisdiction": jurisdiction or "GB", "currency": org.base_currency,
                                 "paid": today, "debtor": "business"})
    result = error = missing = None
    if calc.is_bound and calc.is_valid():
        d = calc.cleaned_data
        try:
            result = calculate(jurisdiction=d["jurisdiction"], debt_kind=d["debtor"], principal_minor=d["amount_minor"],
                               currency=d["currency"], due=d["due"], until=d["paid"], rates=book,
                               contract_rate=d["contract_rate"], letter_on=d["letter"])
        except RateMissing as exc:
            missing = exc  # the page says which rate, and links its own "Add a rate" form
        except ValueError as exc:
            error = str(exc)
    return render(request, "compliance/index.html", {
        "org": org, "jurisdiction": jurisdiction, "today": today, "rules": rules, "series": series,
        "ended": [(s, (today - s.known_until).days) for s in book.ended_before(today)],
        "rate_form": rate_form, "calc": calc, "result": result, "calc_error": error, "missing_rate": missing,
    })

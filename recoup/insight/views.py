"""Pages of insight: metrics and risk, the cash forecast, credit checks, and exports of every table."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from recoup.audit.actions import Actor
from recoup.insight import actions, selectors, snapshot, tables
from recoup.insight.forms import CreditCheckForm
from recoup.orgs.models import Organization, Role
from recoup.web.decorators import org_view
from recoup.web.views.common import org_today


def _requested_day(request: HttpRequest) -> date | None:
    try:
        return date.fromisoformat(request.GET.get("as_of", "")) or None
    except ValueError:
        return None


def _currency(request: HttpRequest, org: Organization) -> str:
    wanted = request.GET.get("currency", "").upper()
    return wanted if wanted in selectors.currencies(org) else org.base_currency


def snapshot_of(org: Organization, currency: str, *, asked: date | None = None):
    """The stored figures to show: those of the day ``asked`` for (computed now if that day has none),
    else the newest as of today (the scheduler writes one after each daily cycle), else today's,
    computed now. Only a day nobody computed yet costs reading the ledger; every other view is one row."""
    today = org_today(org, timezone.now())
    found = selectors.latest_snapshot(org=org, currency=currency, on=asked or today, exact=asked is not None)
    if found is None:
        found, = actions.insight_snapshot_write(org=org, on=asked or today, now=timezone.now(), currencies=[currency])
    return found


def metrics_part(org: Organization, on: date, currency: str, found=None) -> dict:
    """Metrics, aging trend and DSO charts of one currency (also used by the dashboard)."""
    found = found or snapshot_of(org, currency, asked=on)
    return snapshot.metrics_context(found.data)


def forecast_part(org: Organization, on: date, currency: str, found=None) -> dict:
    found = found or snapshot_of(org, currency, asked=on)
    return snapshot.forecast_context(found.data)


def _page(request: HttpRequest, org: Organization):
    currency = _currency(request, org)
    found = snapshot_of(org, currency, asked=_requested_day(request))
    return found, currency, {"as_of": found.on, "computed_at": found.computed_at, "currency": currency,
                             "currencies": selectors.currencies(org)}


@org_view()
def index(request: HttpRequest, org: Organization) -> HttpResponse:
    found, currency, context = _page(request, org)
    return render(request, "insight/index.html", {
        **context, **snapshot.metrics_context(found.data), **snapshot.index_context(found.data),
        "reviews_due": selectors.credit_checks_due(org=org, on=found.on),
    })


@org_view()
def forecast(request: HttpRequest, org: Organization) -> HttpResponse:
    found, currency, context = _page(request, org)
    return render(request, "insight/forecast.html", {**context, **snapshot.forecast_context(found.data)})


@org_view()
def export(request: HttpRequest, org: Organization, table: str, fmt: str) -> HttpResponse:
    """Any table of the insight pages as CSV or XLSX (``trend``, ``metrics``, ``forecast``, ``queue``,
    ``steps``, ``risk``), for the ``currency`` and ``as_of`` of the query string (from the snapshot)."""
    if table not in ("metrics", "trend", "forecast", "queue", "steps", "risk"):
        raise Http404("no such table")
    found, currency, _ = _page(request, org)
    on = found.on
    t = snapshot.export_table(found, table)
    if t is None or fmt not in ("csv", "xlsx"):
        raise Http404("no such export")
    name = f"{org.slug}-{t.name}-{on}.{fmt}"
    if fmt == "csv":
        response = HttpResponse(tables.as_csv(t), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(tables.as_xlsx(t), content_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@org_view()
def credit_checks(request: HttpRequest, org: Organization) -> HttpResponse:
    on = org_today(org, timezone.now())
    return render(request, "insight/credit_checks.html", {
        "checks": selectors.credit_checks(org=org)[:200], "today": on,
        "reviews_due": selectors.credit_checks_due(org=org, on=on)})


@org_view(Role.COLLECTOR)
def credit_check_new(request: HttpRequest, org: Organization) -> HttpResponse:
    now = timezone.now()
    initial = {"checked_on": org_today(org, now), "customer": request.GET.get("customer")}
    form = CreditCheckForm(request.POST if request.method == "POST" else None, org=org, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            check = actions.credit_check_record(
                org=org, customer=d["customer"], checked_on=d["checked_on"], source=d["source"],
                decision=d["decision"], score=d["score"], references=d["references"], documents=d["documents"],
                credit_limit_minor=d["credit_limit"], notes=d["notes"], actor=Actor.for_user(request.user), now=now)
        except actions.InsightError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Credit check of {check.customer.name} recorded; review by {check.review_on}.")
            return redirect("insight_credit_checks", slug=org.slug)
    return render(request, "insight/credit_check_form.html", {"form": form})

"""Pages of insight: metrics and risk, the cash forecast, credit checks, and exports of every table."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from recoup.audit.actions import Actor
from recoup.insight import actions, selectors, snapshot, tables, tasks
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
    """The stored figures to show: those of the day ``asked`` for, else the newest as of today (the
    scheduler writes one after each daily cycle), else today's. A day nobody computed is computed now
    when the currency has at most ``RECOUP_INSIGHT_INLINE_INVOICES`` invoices; above, a worker computes
    it (``tasks.snapshot_requested``) and this returns None: the page says the figures are coming.
    Every other view is one row."""
    now = timezone.now()
    today = org_today(org, now)
    found = selectors.latest_snapshot(org=org, currency=currency, on=asked or today, exact=asked is not None)
    if found is not None:
        return found
    if selectors.invoice_count_over(org=org, currency=currency, limit=settings.RECOUP_INSIGHT_INLINE_INVOICES):
        tasks.snapshot_requested(org=org, currency=currency, on=asked or today, now=now)
        return None
    found, = actions.insight_snapshot_write(org=org, on=asked or today, now=now, currencies=[currency])
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
    asked = _requested_day(request)
    found = snapshot_of(org, currency, asked=asked)
    if found is None:
        return None, currency, {"as_of": asked or org_today(org, timezone.now()), "currency": currency}
    return found, currency, {"as_of": found.on, "computed_at": found.computed_at, "currency": currency,
                             "currencies": selectors.currencies(org)}


def _coming(request: HttpRequest, context: dict) -> HttpResponse:
    """The figures asked for are being computed by a worker: say so, and ask the browser to look again."""
    response = render(request, "insight/coming.html", context, status=202)
    response["Retry-After"] = "60"
    return response


@org_view()
def index(request: HttpRequest, org: Organization) -> HttpResponse:
    found, currency, context = _page(request, org)
    if found is None:
        return _coming(request, context)
    return render(request, "insight/index.html", {
        **context, **snapshot.metrics_context(found.data), **snapshot.index_context(found.data),
        "reviews_due": selectors.credit_checks_due(org=org, on=found.on),
    })


@org_view()
def forecast(request: HttpRequest, org: Organization) -> HttpResponse:
    found, currency, context = _page(request, org)
    if found is None:
        return _coming(request, context)
    return render(request, "insight/forecast.html", {**context, **snapshot.forecast_context(found.data)})


@org_view()
def export(request: HttpRequest, org: Organization, table: str, fmt: str) -> HttpResponse:
    """Any table of the insight pages as CSV or XLSX (``trend``, ``metrics``, ``forecast``, ``queue``,
    ``steps``, ``risk``), for the ``currency`` and ``as_of`` of the query string (from the snapshot)."""
    if table not in ("metrics", "trend", "forecast", "queue", "steps", "risk"):
        raise Http404("no such table")
    found, currency, context = _page(request, org)
    if found is None:
        return _coming(request, context)
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

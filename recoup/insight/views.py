"""Pages of insight: metrics and risk, the cash forecast, credit checks, and exports of every table."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from recoup.audit.actions import Actor
from recoup.insight import actions, charts, selectors, tables
from recoup.insight.forms import CreditCheckForm
from recoup.orgs.models import Organization, Role
from recoup.web.decorators import org_view
from recoup.web.views.common import org_today


def _as_of(request: HttpRequest, org: Organization) -> date:
    text = request.GET.get("as_of", "")
    try:
        return date.fromisoformat(text) if text else org_today(org, timezone.now())
    except ValueError:
        return org_today(org, timezone.now())


def _currency(request: HttpRequest, org: Organization) -> str:
    wanted = request.GET.get("currency", "").upper()
    return wanted if wanted in selectors.currencies(org) else org.base_currency


def metrics_part(org: Organization, on: date, currency: str) -> dict:
    """Metrics, aging trend and DSO charts of one currency (also used by the dashboard)."""
    found = [s for s in selectors.org_metrics(org=org, on=on, months=12) if s.currency == currency]
    if not found:
        return {}
    s = found[0]
    months = [(p.on.strftime("%b %y"), [v / 10 ** _exp(currency) for v in p.buckets_minor]) for p in s.trend]
    return {
        "summary": s, "metrics_table": tables.metrics_table(s), "trend_table": tables.trend_table(s),
        "aging_chart": charts.stacked_aging(months, s.labels, currency),
        "dso_chart": charts.line([(p.on.strftime("%b %y"), None if p.dso is None else float(p.dso)) for p in s.trend],
                                 f"DSO by month end {currency}", "days"),
    }


def forecast_part(org: Organization, on: date, currency: str) -> dict:
    preds, forecast, queue = selectors.cash_forecast(org=org, currency=currency, on=on)
    scale = 10 ** _exp(currency)
    points = [(w.start.strftime("%d %b"), w.expected_minor / scale, w.low_minor / scale, w.high_minor / scale)
              for w in forecast.weeks]
    invoices = selectors.open_invoice_labels(org=org, keys=[q.key for q in queue[:50]])
    return {"predictions": preds, "forecast": forecast,
            "forecast_chart": charts.bars_with_range(points, f"Expected collections by week {currency}", currency),
            "forecast_table": tables.forecast_table(forecast, currency),
            "queue_table": tables.queue_table(queue, invoices, currency)}


def _exp(currency: str) -> int:
    from recoup.core.money import minor_exponent

    return minor_exponent(currency)


@org_view()
def index(request: HttpRequest, org: Organization) -> HttpResponse:
    on, currency = _as_of(request, org), _currency(request, org)
    steps = selectors.step_effectiveness(org=org, on=on)
    insights = selectors.customer_insights(org=org, on=on, currency=currency)
    return render(request, "insight/index.html", {
        "as_of": on, "currency": currency, "currencies": selectors.currencies(org),
        **metrics_part(org, on, currency),
        "steps_table": tables.steps_table(steps),
        "steps_chart": charts.share_bars([(f"{r.step_key} ({r.channel})", r.share_14) for r in steps],
                                         "Invoices paid within 14 days after each step") if steps else None,
        "risk_table": tables.risk_table(insights[:100]),
        "risk_rows": insights[:100],
        "reviews_due": selectors.credit_checks_due(org=org, on=on),
    })


@org_view()
def forecast(request: HttpRequest, org: Organization) -> HttpResponse:
    on, currency = _as_of(request, org), _currency(request, org)
    return render(request, "insight/forecast.html", {
        "as_of": on, "currency": currency, "currencies": selectors.currencies(org),
        **forecast_part(org, on, currency)})


@org_view()
def export(request: HttpRequest, org: Organization, table: str, fmt: str) -> HttpResponse:
    """Any table of the insight pages as CSV or XLSX (``trend``, ``metrics``, ``forecast``, ``queue``,
    ``steps``, ``risk``), for the ``currency`` and ``as_of`` of the query string."""
    on, currency = _as_of(request, org), _currency(request, org)
    if table in ("metrics", "trend"):
        t = metrics_part(org, on, currency).get(f"{table}_table")
    elif table in ("forecast", "queue"):
        t = forecast_part(org, on, currency)[f"{table}_table"]
    elif table == "steps":
        t = tables.steps_table(selectors.step_effectiveness(org=org, on=on))
    elif table == "risk":
        t = tables.risk_table(selectors.customer_insights(org=org, on=on, currency=currency))
    else:
        raise Http404("no such table")
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

"""The dashboard: what is owed, what is late, who is latest."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from recoup.collections.review import drafts_count
from recoup.connections.selectors import books_hold
from recoup.lib import health
from recoup.messaging.selectors import open_counts
from recoup.orgs.models import Organization, Role
from recoup.reports import aging_store
from recoup.reports.aging import aging_totals
from recoup.web import charts, selectors
from recoup.web.decorators import org_view
from recoup.web.views.common import org_today


def _at_a_glance(org: Organization, today) -> dict:
    """The insight charts of the organization's own currency (aging trend, DSO trend, cash forecast),
    from the newest insight snapshot (the scheduler writes one after each daily cycle)."""
    from recoup.insight import selectors as insight
    from recoup.insight.views import forecast_part, metrics_part, snapshot_of

    if org.base_currency not in insight.currencies(org):
        return {}
    found = snapshot_of(org, org.base_currency)
    if found is None:  # a worker is computing the first figures of a large ledger
        return {"glance_coming": True, "glance_currency": org.base_currency}
    glance = metrics_part(org, found.on, org.base_currency, found=found)
    glance.update(forecast_part(org, found.on, org.base_currency, found=found))
    return {"glance": glance, "glance_currency": org.base_currency, "glance_on": found.on,
            "glance_computed_at": found.computed_at}


def _health_problems(request: HttpRequest, org: Organization, now) -> list[tuple[str, str]]:
    """For owners: the failing readiness checks (/readyz) of the install and of this organization."""
    if request.membership.role != Role.OWNER:
        return []
    return health.run_checks(now=now).failing_for(org.pk)


@org_view()
def dashboard(request: HttpRequest, org: Organization) -> HttpResponse:
    now = timezone.now()
    today = org_today(org, now)
    if aging_store.stored_is_current(org, today):  # today's stored rows, brought up to date
        report = aging_store.stored_totals(org, today)
        most_overdue = selectors.most_overdue_stored(org)
    else:
        report = aging_totals(org=org, as_of=today)
        most_overdue = selectors.most_overdue(org, today=today)
    summaries = []
    for currency, totals in sorted(report.totals.items(), key=lambda kv: (kv[0] != org.base_currency, kv[0])):
        overdue = sum((totals[label] for label in report.labels[1:]), totals["current"] * 0)
        summaries.append({
            "currency": currency,
            "outstanding": totals["total"],
            "overdue": overdue,
            "credit": totals["credit"],
            "chart": charts.aging_bars(report.labels, [totals[label] for label in report.labels], currency,
                                       locale=org.locale),
        })
    return render(request, "web/dashboard.html", {
        "today": today,
        "labels": report.labels,
        "summaries": summaries,
        "most_overdue": most_overdue,
        "drafts_waiting": drafts_count(org=org),
        "inbox_open": open_counts(org=org)[1],
        "books_hold": books_hold(org, now),
        "health_problems": _health_problems(request, org, now),
        **_at_a_glance(org, today),
    })

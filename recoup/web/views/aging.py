"""The aging report, its drill-down to invoices, and its CSV download."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from recoup.core.aging import DEFAULT_EDGES
from recoup.ledger.models import Customer, Invoice
from recoup.lib.spreadsheet import CsvWriter
from recoup.orgs.models import Organization
from recoup.reports import aging_store
from recoup.reports.aging import AgingReport, aging
from recoup.web.decorators import org_view
from recoup.web.forms import aging_form
from recoup.web.views.common import get_for_org, org_today

PAGE_SIZE = 100


def _params(request: HttpRequest, org: Organization, today=None):
    today = today or org_today(org, timezone.now())
    form = aging_form(request.GET, today=today)
    if form.is_valid():
        return form, form.cleaned_data["as_of"], form.cleaned_data["buckets"]
    return form, today, DEFAULT_EDGES


def _csv(report: AgingReport, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = CsvWriter(response)
    data = report.as_json()
    columns = [c for c in ("customer_ref", "customer", "invoice_number", "due_date") if any(c in r for r in data["rows"])]
    writer.writerow([*columns, "currency", *data["buckets"], "credit", "total"])
    for row in data["rows"]:
        writer.writerow([*(row.get(c, "") for c in columns), row["currency"],
                         *(row[b] for b in data["buckets"]), row["credit"], row["total"]])
    return response


@org_view()
def aging_report(request: HttpRequest, org: Organization) -> HttpResponse:
    today = org_today(org, timezone.now())
    form, as_of, edges = _params(request, org, today)
    csv = request.GET.get("format") == "csv"
    if not csv and as_of == today and tuple(edges) == DEFAULT_EDGES and aging_store.stored_is_current(org, today):
        # Today's report with the default buckets: the stored rows, one page read in the report's order.
        report = aging_store.stored_totals(org, as_of)
        page = Paginator(aging_store.stored_rows(org), PAGE_SIZE).get_page(request.GET.get("page"))
        page_rows = [aging_store.as_aging_row(r) for r in page]
    else:
        report = aging(org=org, as_of=as_of, edges=edges)
        if csv:
            return _csv(report, f"aging-{org.slug}-{as_of.isoformat()}.csv")
        page = Paginator(report.rows, PAGE_SIZE).get_page(request.GET.get("page"))
        page_rows = list(page)
    totals = [(cur, [t[label] for label in report.labels], t["credit"], t["total"])
              for cur, t in sorted(report.totals.items())]
    return render(request, "web/aging/report.html", {
        "form": form, "report": report, "totals": totals, "buckets": ",".join(map(str, edges)), "page": page,
        "rows": [(r, list(zip(report.labels, r.buckets))) for r in page_rows],
    })


@org_view()
def aging_customer(request: HttpRequest, org: Organization, pk: int) -> HttpResponse:
    customer = get_for_org(Customer, org, pk=pk)
    form, as_of, edges = _params(request, org)
    report = aging(org=org, as_of=as_of, edges=edges, by="invoice", customer_id=customer.pk)
    bucket = request.GET.get("bucket", "")
    column = report.labels.index(bucket) if bucket in report.labels else None
    rows = [r for r in report.rows if column is None or r.buckets[column]]
    numbers = {r.invoice_number for r in rows}
    invoice_ids = dict(Invoice.objects.for_org(org).filter(customer=customer, number__in=numbers)
                       .values_list("number", "pk"))
    return render(request, "web/aging/customer.html", {
        "form": form, "customer": customer, "report": report, "bucket": bucket if column is not None else "",
        "buckets": ",".join(map(str, edges)),
        "rows": [(r, invoice_ids.get(r.invoice_number), list(zip(report.labels, r.buckets))) for r in rows],
    })

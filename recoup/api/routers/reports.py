"""The aging report."""

from __future__ import annotations

from datetime import date

from ninja import Router

from recoup.api.inputs import check_date, org_of
from recoup.api.problems import ERROR_CODES, ApiProblem
from recoup.api.schemas import AgingOut, Problem
from recoup.core.money import minor_to_text
from recoup.reports.aging import aging

router = Router(tags=["reports"])


@router.get("/aging", response={200: AgingOut, ERROR_CODES: Problem})
def aging_report(request, as_of: date, by: str = "customer"):
    """Open balances as of a date in aging buckets, by customer (default) or by invoice, with totals per currency."""
    org = org_of(request)
    check_date(as_of, "as_of")
    if by not in ("customer", "invoice"):
        raise ApiProblem(422, "by: use customer or invoice", errors=[{"field": "by", "message": "customer|invoice"}])
    report = aging(org=org, as_of=as_of, by=by)
    rows = [{"customer_id": r.customer_id, "customer_ref": r.customer_ref, "customer": r.customer,
             "currency": r.currency, "invoice_number": r.invoice_number, "due_date": r.due_date,
             "buckets": {label: minor_to_text(v, r.currency) for label, v in zip(report.labels, r.buckets_minor)},
             "credit": minor_to_text(r.credit_minor, r.currency), "total": minor_to_text(r.total_minor, r.currency)}
            for r in report.rows]
    return {"as_of": as_of, "buckets": report.labels, "rows": rows, "totals": report.as_json()["totals"]}

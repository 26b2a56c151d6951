"""Accounting exports as CSV: journals (payments, credit notes, charges, their waivers, write-offs) and customer
balances."""

from __future__ import annotations

from datetime import date

from django.http import HttpResponse
from ninja import Router

from recoup.api.exports import JOURNAL_KINDS, balances_csv, journal_csv
from recoup.api.inputs import check_date, org_of
from recoup.api.problems import ERROR_CODES, ApiProblem
from recoup.api.schemas import Problem

router = Router(tags=["exports"])
CSV = {"responses": {200: {"description": "CSV (docs/api.md, Accounting exports)",
                           "content": {"text/csv": {"schema": {"type": "string"}}}}}}


def _csv(text: str, name: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.get("/journal", response={200: None, ERROR_CODES: Problem}, openapi_extra=CSV)
def export_journal(request, kind: str, date_from: date, date_to: date):
    """A journal of ``kind`` (payments, credit-notes, charges, charge-waivers, write-offs) dated from..to, as CSV."""
    org = org_of(request)
    check_date(date_from, "date_from")
    check_date(date_to, "date_to")
    if kind not in JOURNAL_KINDS:
        raise ApiProblem(422, f"kind: use one of {', '.join(JOURNAL_KINDS)}",
                         errors=[{"field": "kind", "message": "unknown kind"}])
    if date_to < date_from:
        raise ApiProblem(422, "date_to is before date_from", errors=[{"field": "date_to", "message": "too early"}])
    return _csv(journal_csv(org=org, kind=kind, start=date_from, end=date_to),
                f"{org.slug}-{kind}-{date_from}-{date_to}.csv")


@router.get("/balances", response={200: None, ERROR_CODES: Problem}, openapi_extra=CSV)
def export_balances(request, as_of: date):
    """Every customer's balance per currency as of a date, as CSV."""
    org = org_of(request)
    check_date(as_of, "as_of")
    return _csv(balances_csv(org=org, as_of=as_of), f"{org.slug}-balances-{as_of}.csv")

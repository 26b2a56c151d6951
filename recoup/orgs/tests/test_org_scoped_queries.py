"""Reads scoped to one organization: rows by id come without the model's default order."""

from __future__ import annotations

from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext

from recoup.ledger.models import Invoice


def test_rows_by_id_skip_the_default_order_but_keep_one_asked_for(org_a, org_b, make_customer, make_invoice):
    customer = make_customer(org_a, ref="C1")
    first = make_invoice(org_a, customer, "INV-1", "10.00", issue=date(2026, 1, 1), due=date(2026, 1, 31))
    second = make_invoice(org_a, customer, "INV-2", "20.00", issue=date(2026, 2, 1), due=date(2026, 2, 28))

    with CaptureQueriesContext(connection) as plain:
        found = Invoice.objects.for_org(org_a).in_bulk([first.pk, second.pk])
    with CaptureQueriesContext(connection) as ordered:
        Invoice.objects.for_org(org_a).order_by("number").in_bulk([first.pk])

    assert {pk: invoice.number for pk, invoice in found.items()} == {first.pk: "INV-1", second.pk: "INV-2"}
    assert Invoice.objects.for_org(org_b).in_bulk([first.pk]) == {}
    [query] = plain.captured_queries
    assert "ORDER BY" not in query["sql"]
    [query] = ordered.captured_queries
    assert "ORDER BY" in query["sql"]

"""The list of every invoice: search, filters, pagination, and a fixed number of queries."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from recoup.ledger.actions import payment_record


def numbers(response) -> list[str]:
    return [inv.number for inv in response.context["invoices"]]


@pytest.fixture
def many(org_a, ledger_a, make_customer, make_invoice, system, now):
    other = make_customer(org_a, ref="C002", name="Contoso Pharmacy")
    make_invoice(org_a, other, "X-1", "10.00", issue=date(2026, 2, 1), due=date(2026, 2, 28))
    make_invoice(org_a, other, "X-2", "20.00", issue=date(2026, 2, 15), due=date(2026, 3, 15), currency="USD")
    paid = make_invoice(org_a, other, "X-3", "30.00", issue=date(2025, 12, 1), due=date(2025, 12, 31))
    payment_record(org=org_a, customer=other, date=date(2026, 1, 5), amount_minor=3000, currency="GBP",
                   invoice=paid, actor=system, now=now)
    return other


def test_it_lists_every_invoice_of_the_organization_newest_first(as_user, org_a, many, ledger_b, frozen_clock):
    response = as_user("viewer").get(reverse("invoice_list", args=[org_a.slug]))
    assert numbers(response) == ["A-2", "X-2", "X-1", "A-1", "X-3"]
    page = response.content.decode()
    assert "B-1" not in page and "Contoso Pharmacy" in page
    assert reverse("invoice_list", args=[org_a.slug]) in as_user("viewer").get(
        reverse("dashboard", args=[org_a.slug])).content.decode()


@pytest.mark.parametrize("query, expected", [
    ("q=x-", ["X-2", "X-1", "X-3"]),
    ("q=northwind", ["A-2", "A-1"]),
    ("q=C002", ["X-2", "X-1", "X-3"]),
    ("status=paid", ["X-3"]),
    ("currency=USD", ["X-2"]),
    ("overdue=on", ["X-2", "X-1", "A-1"]),
    ("issued_from=2026-02-01&issued_to=2026-02-28", ["X-2", "X-1"]),
    ("q=contoso&currency=GBP&overdue=on", ["X-1"]),
])
def test_it_searches_and_filters(as_user, org_a, many, frozen_clock, query, expected):
    response = as_user("viewer").get(reverse("invoice_list", args=[org_a.slug]) + "?" + query)
    assert numbers(response) == expected


def test_it_pages_with_a_fixed_number_of_queries(as_user, org_a, many, make_invoice, frozen_clock,
                                                 django_assert_max_num_queries):
    from recoup.web.views import invoice_entry

    for i in range(60):
        make_invoice(org_a, many, f"P-{i:03d}", "1.00", issue=date(2026, 3, 20))
    client = as_user("viewer")
    url = reverse("invoice_list", args=[org_a.slug])
    # 13: the navigation's worklist and review counts, one each; the currencies of the filter, one
    # index seek per currency (GBP, USD) plus the one that finds no more (ledger.selectors.invoice_currencies);
    # the customers the search names (read first: selectors._customers_named); the count, the page's ids
    # and their rows with their customers, however many invoices there are.
    with django_assert_max_num_queries(13):
        first = client.get(url + "?q=P-")
    assert len(numbers(first)) == invoice_entry.PAGE_SIZE
    second = client.get(url + "?q=P-&page=2")
    assert len(numbers(second)) == 60 - invoice_entry.PAGE_SIZE
    assert set(numbers(first)).isdisjoint(numbers(second))
    assert "page=2" in first.content.decode()


def test_htmx_gets_only_the_results(as_user, org_a, many, frozen_clock):
    response = as_user("viewer").get(reverse("invoice_list", args=[org_a.slug]) + "?q=X-3", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "X-3" in body and "<html" not in body


def test_another_organization_finds_nothing(as_user, org_a, many):
    assert as_user("outsider").get(reverse("invoice_list", args=[org_a.slug])).status_code == 404


def test_the_newest_page_is_read_off_the_index_not_sorted_with_every_customer(as_user, org_a, many, frozen_clock):
    """At 1,000,000 invoices SQLite planned the page joined to the customers as 'scan every customer, sort
    every invoice' (2.8 s); the page's ids come from the invoices alone, then their rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = as_user("viewer").get(reverse("invoice_list", args=[org_a.slug]))
    assert numbers(response) == ["A-2", "X-2", "X-1", "A-1", "X-3"]
    ordered = [q["sql"] for q in ctx.captured_queries if 'FROM "ledger_invoice"' in q["sql"] and "ORDER BY" in q["sql"]]
    assert ordered and all("ledger_customer" not in sql for sql in ordered), ordered

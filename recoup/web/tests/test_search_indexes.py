"""The searches of the invoice and customer lists read indexes, not every invoice (bench/page_bench.py
times them at 1,000,000 invoices: docs/benchmarks.md)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection

from recoup.ledger.models import Contact, Customer, Invoice
from recoup.web.selectors import invoice_search


def plan_of(queryset, prefix: str) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        return "\n".join(str(row[-1] if connection.vendor == "sqlite" else row[0]) for row in cursor.fetchall())


def test_an_invoice_search_reads_the_list_index_alone_not_a_row_per_invoice(org_a, ledger_a):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's plan; PostgreSQL's trigram indexes are checked below")
    for q in ("INV-0500000", "Northwind"):  # a number; a customer's name
        page = invoice_search(org_a, today=date(2026, 3, 31), q=q).values_list("pk", flat=True)[:50]
        plan = plan_of(page, "EXPLAIN QUERY PLAN ")
        assert "COVERING INDEX invoice_list_order" in plan, plan


@pytest.mark.postgres
@pytest.mark.parametrize("queryset, index", [
    (lambda: Invoice.objects.filter(number__icontains="V-10"), "invoice_number_trgm"),
    (lambda: Customer.objects.filter(ref__icontains="C00"), "customer_ref_trgm"),
    (lambda: Customer.objects.filter(legal_name__icontains="northw"), "customer_legal_name_trgm"),
    (lambda: Customer.objects.filter(display_name__icontains="northw"), "customer_display_name_trgm"),
    (lambda: Contact.objects.filter(email__icontains="@example"), "contact_email_trgm"),
])
def test_on_postgresql_a_substring_search_can_use_its_trigram_index(queryset, index, org_a, ledger_a):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a few rows: show the index answers the search
    assert index in plan_of(queryset(), "EXPLAIN "), index


@pytest.mark.parametrize("listed", [500, 1])  # the customers' ids as a list; more than the list holds: a subquery
def test_a_search_finds_invoices_by_number_or_by_customer_however_many_customers_match(
        listed, org_a, make_customer, make_invoice, monkeypatch):
    from recoup.web import selectors

    monkeypatch.setattr(selectors, "IDS_LISTED", listed)
    north = make_customer(org_a, ref="C1", name="Harbour North Ltd")
    south = make_customer(org_a, ref="C2", name="Harbour South Ltd")
    other = make_customer(org_a, ref="C3", name="Inland Ltd")
    make_invoice(org_a, north, "N-1", "10.00", issue=date(2026, 1, 5))
    make_invoice(org_a, south, "S-1", "10.00", issue=date(2026, 2, 5))
    make_invoice(org_a, other, "HARBOUR-9", "10.00", issue=date(2026, 3, 5))
    make_invoice(org_a, other, "I-1", "10.00", issue=date(2026, 3, 6))
    found = invoice_search(org_a, today=date(2026, 3, 31), q="harbour")
    assert [i.number for i in found] == ["HARBOUR-9", "S-1", "N-1"]


@pytest.mark.parametrize("listed", [500, 1])
def test_a_customer_search_finds_by_name_reference_or_contact_email_however_many_match(
        listed, org_a, make_customer, monkeypatch):
    from recoup.web import selectors

    monkeypatch.setattr(selectors, "IDS_LISTED", listed)
    named = make_customer(org_a, ref="C1", name="Quayside Ltd")
    mailed = make_customer(org_a, ref="C2", name="Anchor Ltd")
    mailed_twice = make_customer(org_a, ref="QUAY-3", name="Bollard Ltd")
    make_customer(org_a, ref="C4", name="Inland Ltd")
    Contact.objects.create(org=org_a, customer=mailed, email="ap@quayside-group.example")
    Contact.objects.create(org=org_a, customer=mailed_twice, email="ap@quayside-group.example")
    Contact.objects.create(org=org_a, customer=mailed_twice, email="boss@quayside-group.example")
    found = selectors.customer_search(org_a, today=date(2026, 3, 31), q="quay")
    assert sorted(c.ref for c in found) == ["C1", "C2", "QUAY-3"]
    assert named in found

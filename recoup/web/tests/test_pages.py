"""What the read-only pages show: search, dashboard, aging, statement, invoice."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

from django.urls import reverse
from pypdf import PdfReader

from recoup.ledger.actions import payment_record
from recoup.reports.aging import aging


def search(client, org, **params):
    return client.get(reverse("customer_list", args=[org.slug]), params)


def test_the_customer_search_finds_by_ref_and_by_name(as_user, org_a, ledger_a, make_customer):
    make_customer(org_a, ref="Z-900", name="Zebra Crossings")
    client = as_user("viewer")
    by_ref = search(client, org_a, q="z-900").content.decode()
    assert "Zebra Crossings" in by_ref and "Northwind" not in by_ref
    by_name = search(client, org_a, q="northw").content.decode()
    assert "Northwind Traders" in by_name and "Zebra" not in by_name


def test_the_customer_search_finds_by_contact_email_and_filters_by_kind(as_user, org_a, ledger_a, make_customer):
    from recoup.ledger.models import Contact

    zebra = make_customer(org_a, ref="Z-900", name="Zebra Crossings", kind="consumer")
    Contact.objects.create(org=org_a, customer=zebra, name="Zed", email="zed@zebra.example")
    client = as_user("viewer")
    by_email = search(client, org_a, q="zed@zebra").content.decode()
    assert "Zebra Crossings" in by_email and "Northwind" not in by_email
    consumers = search(client, org_a, kind="consumer").content.decode()
    assert "Zebra Crossings" in consumers and "Northwind" not in consumers


def test_the_live_search_answers_htmx_with_the_results_only(as_user, org_a, ledger_a):
    response = as_user("viewer").get(reverse("customer_list", args=[org_a.slug]), {"q": "C001"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "Northwind Traders" in body and "<html" not in body


def test_the_customer_list_shows_balances_and_filters_overdue(as_user, org_a, ledger_a, make_customer, make_invoice):
    later = make_customer(org_a, ref="C003", name="Not Yet Due Ltd")
    make_invoice(org_a, later, "A-3", "5.00", issue=date(2026, 3, 30), due=date(2099, 1, 1))
    client = as_user("viewer")
    everyone = search(client, org_a).content.decode()
    assert "£150.00" in everyone and "£5.00" in everyone
    overdue = search(client, org_a, overdue="on").content.decode()
    assert "Northwind Traders" in overdue and "Not Yet Due" not in overdue


def test_the_customer_list_never_shows_another_organizations_customers(as_user, org_a, ledger_a, ledger_b):
    page = search(as_user("owner"), org_a, q="Bolt").content.decode()
    assert "Bolt Customer" not in page


def test_the_dashboard_shows_outstanding_overdue_and_the_most_overdue(as_user, org_a, ledger_a, frozen_clock):
    page = as_user("viewer").get(reverse("dashboard", args=[org_a.slug])).content.decode()
    assert "£150.00" in page  # outstanding
    assert "£100.00" in page  # overdue: A-1 was due 2026-01-31
    assert "<svg" in page and "<title" in page
    assert reverse("customer_detail", args=[org_a.slug, ledger_a["customer"].pk]) in page


def test_the_aging_page_totals_match_the_aging_report(as_user, org_a, ledger_a, system, now):
    payment_record(org=org_a, customer=ledger_a["customer"], date=date(2026, 2, 10), amount_minor=2500,
                   currency="GBP", actor=system, now=now)
    client = as_user("viewer")
    as_of = date(2026, 3, 31)
    report = aging(org=org_a, as_of=as_of)
    page = client.get(reverse("aging", args=[org_a.slug]), {"as_of": as_of.isoformat()}).content.decode()
    for label in report.labels:
        amount = report.totals["GBP"][label]
        assert f"£{amount:,.2f}" in page, label
    assert report.totals["GBP"]["total"] == Decimal("125.00")
    response = client.get(reverse("aging", args=[org_a.slug]), {"as_of": as_of.isoformat(), "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["customer_ref"], r["total"]) for r in rows] == [("C001", "125.00")]


def test_the_aging_page_explains_bad_buckets(as_user, org_a, ledger_a):
    page = as_user("viewer").get(reverse("aging", args=[org_a.slug]), {"buckets": "60,30"}).content.decode()
    assert "strictly increasing" in page


def test_the_statement_pdf_names_the_customer(as_user, org_a, ledger_a):
    response = as_user("viewer").get(reverse("statement_pdf", args=[org_a.slug, ledger_a["customer"].pk]),
                                     {"as_of": "2026-03-31"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Northwind Traders" in text


def test_the_customer_page_shows_statement_and_timeline(as_user, org_a, ledger_a):
    page = as_user("viewer").get(reverse("customer_detail", args=[org_a.slug, ledger_a["customer"].pk]),
                                 {"as_of": "2026-02-01"}).content.decode()
    assert "Statement as of 1 Feb 2026" in page
    assert "A-1" in page and "Invoice A-1 issued" in page  # statement line and audit event
    assert "Record a payment" not in page  # a viewer is not offered the form


def test_the_invoice_page_shows_lines_terms_and_history(as_user, org_a, ledger_a, system, now):
    invoice = ledger_a["old"]
    payment_record(org=org_a, customer=ledger_a["customer"], date=date(2026, 2, 10), amount_minor=2500,
                   currency="GBP", invoice=invoice, actor=system, now=now)
    page = as_user("owner").get(reverse("invoice_detail", args=[org_a.slug, invoice.pk])).content.decode()
    assert "Goods" in page and "Net 30" in page
    assert "£75.00" in page  # open balance
    assert "Payment of £25.00 received" in page
    assert reverse("write_off_new", args=[org_a.slug, invoice.pk]) in page


def test_an_aging_bucket_drills_down_to_the_customers_invoices_in_it(as_user, org_a, ledger_a):
    client = as_user("viewer")
    url = reverse("aging_customer", args=[org_a.slug, ledger_a["customer"].pk])
    page = client.get(url, {"as_of": "2026-03-31", "bucket": "31-60"}).content.decode()
    assert "A-1" in page and "A-2" not in page  # A-1 is 59 days past due, A-2 not yet due
    page = client.get(url, {"as_of": "2026-03-31", "bucket": "current"}).content.decode()
    assert "A-2" in page and "A-1" not in page


def test_an_invoice_sent_by_hand_is_logged_and_quiets_the_reminders(as_user, org_a, ledger_a, frozen_clock):
    from recoup.collections.cycle_facts import quiet_after_personal_contact
    from recoup.messaging.models import Message

    invoice = ledger_a["old"]
    response = as_user("collector").post(reverse("invoice_sent_by_hand", args=[org_a.slug, invoice.pk]),
                                         {"channel": "email"})
    assert response["Location"] == reverse("invoice_detail", args=[org_a.slug, invoice.pk])
    logged = Message.objects.get(customer=ledger_a["customer"])
    assert (logged.subject, logged.source, logged.direction) == ("Invoice A-1 sent by hand (e-mail)", "manual", "out")
    today = frozen_clock.date()
    assert quiet_after_personal_contact(org=org_a, on=today) == {ledger_a["customer"].pk: today + timedelta(days=5)}
    assert as_user("viewer").post(reverse("invoice_sent_by_hand", args=[org_a.slug, invoice.pk]),
                                  {"channel": "email"}).status_code == 403

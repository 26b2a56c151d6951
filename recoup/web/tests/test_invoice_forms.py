"""Entering an invoice by hand: header, lines, totals, and every refusal."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from recoup.audit.models import AuditEvent
from recoup.ledger.models import Invoice, PaymentTerms


def invoice_data(customer, lines=(("Widgets", "3", "12.50", "20"),), **fields):
    data = {"number": "A-100", "customer": str(customer.pk), "issue_date": "2026-03-02", "due_date": "",
            "currency": "GBP", "terms": "", "po_number": "PO-7", "description": "March order",
            "lines-TOTAL_FORMS": str(len(lines) + 1), "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "1", "lines-MAX_NUM_FORMS": "200"}
    for i, (desc, qty, price, tax) in enumerate(lines):
        data.update({f"lines-{i}-description": desc, f"lines-{i}-quantity": qty, f"lines-{i}-unit_price": price,
                     f"lines-{i}-tax_rate": tax})
    blank = len(lines)  # an untouched extra row, as the browser sends it
    data.update({f"lines-{blank}-description": "", f"lines-{blank}-quantity": "1", f"lines-{blank}-unit_price": "",
                 f"lines-{blank}-tax_rate": "0"})
    data.update(fields)
    return data


def post(client, org, data):
    return client.post(reverse("invoice_new", args=[org.slug]), data)


def test_a_collector_enters_an_invoice_and_sees_its_totals(as_user, org_a, ledger_a, frozen_clock):
    client = as_user("collector")
    lines = (("Widgets", "3", "12.50", "20"), ("Delivery", "1", "5", "0"))
    response = post(client, org_a, invoice_data(ledger_a["customer"], lines))
    invoice = Invoice.objects.for_org(org_a).get(number="A-100")
    assert response["Location"] == reverse("invoice_detail", args=[org_a.slug, invoice.pk])
    assert (invoice.net_minor, invoice.tax_minor, invoice.total_minor, invoice.open_minor) == (4250, 750, 5000, 5000)
    assert invoice.lines.count() == 2 and invoice.po_number == "PO-7"
    # No due date given: Net 30 (the organization's default) from the issue date.
    assert invoice.due_date == date(2026, 4, 1)
    event = AuditEvent.objects.for_org(org_a).get(verb="invoice.created", subject_id=invoice.pk)
    assert event.actor_label == "a-collector"
    page = client.get(response["Location"]).content.decode()
    assert "Invoice A-100 for £50.00 issued, due 2026-04-01." in page
    assert "£7.50" in page and "Delivery" in page


def test_the_invoice_takes_the_chosen_terms_and_an_explicit_due_date_wins(as_user, org_a, ledger_a):
    client = as_user("owner")
    terms = PaymentTerms.objects.for_org(org_a).exclude(name="Net 30").first() or PaymentTerms.objects.create(
        org=org_a, name="Net 14", net_days=14)
    post(client, org_a, invoice_data(ledger_a["customer"], terms=str(terms.pk)))
    post(client, org_a, invoice_data(ledger_a["customer"], number="A-101", due_date="2026-05-31"))
    first, second = Invoice.objects.get(number="A-100"), Invoice.objects.get(number="A-101")
    assert first.terms == terms and first.terms_as_agreed().net_days == terms.net_days
    assert second.due_date == date(2026, 5, 31)


@pytest.mark.parametrize("fields, lines, message", [
    ({"number": "A-1"}, None, "Invoice number A-1 is already used"),
    ({"due_date": "2026-03-01"}, None, "The due date is before the issue date"),
    ({"currency": "XYZ"}, None, "unknown currency code"),
    ({}, (("Widgets", "1", "10.1234567", "0"),), "Ensure that there are no more than 6 decimal places"),
    ({}, (("Widgets", "1.00001", "10", "0"),), "Ensure that there are no more than 4 decimal places"),
    ({}, (("Widgets", "1", "10", "12.345"),), "Ensure that there are no more than 2 decimal places"),
    ({}, (("Widgets", "1", "12,50", "0"),), "Enter a number"),
    ({}, (("Refund", "1", "-10", "0"),), "an invoice total cannot be negative"),
    ({}, (), "Please submit at least 1 form"),
])
def test_it_refuses_bad_input_and_stores_nothing(as_user, org_a, ledger_a, fields, lines, message):
    data = invoice_data(ledger_a["customer"], **fields) if lines is None else \
        invoice_data(ledger_a["customer"], lines, **fields)
    response = post(as_user("collector"), org_a, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert set(Invoice.objects.values_list("number", flat=True)) == {"A-1", "A-2"}


def test_a_viewer_cannot_enter_an_invoice(as_user, org_a, ledger_a):
    client = as_user("viewer")
    assert post(client, org_a, invoice_data(ledger_a["customer"])).status_code == 403
    assert client.get(reverse("invoice_new", args=[org_a.slug])).status_code == 403
    assert not Invoice.objects.filter(number="A-100").exists()


def test_another_organizations_customer_or_terms_are_refused(as_user, org_a, org_b, ledger_a, ledger_b):
    client = as_user("owner")
    page = post(client, org_a, invoice_data(ledger_b["customer"])).content.decode()
    assert "Select a valid choice" in page
    b_terms = PaymentTerms.objects.for_org(org_b).first()
    page = post(client, org_a, invoice_data(ledger_a["customer"], terms=str(b_terms.pk))).content.decode()
    assert "Select a valid choice" in page
    assert as_user("outsider").post(reverse("invoice_new", args=[org_a.slug]),
                                    invoice_data(ledger_a["customer"])).status_code == 404
    assert not Invoice.objects.filter(number="A-100").exists()


def test_the_form_offers_the_customer_it_was_opened_from(as_user, org_a, ledger_a, ledger_b):
    client = as_user("collector")
    customer = ledger_a["customer"]
    page = client.get(reverse("invoice_new", args=[org_a.slug]) + f"?customer={customer.pk}").content.decode()
    # The customer is named by its reference in a text box (no select of every customer).
    assert f'name="customer" value="{customer.ref}"' in page and '<select name="customer"' not in page
    # Another organization's customer id in the query string preselects nothing.
    page = client.get(reverse("invoice_new", args=[org_a.slug]) + f"?customer={ledger_b['customer'].pk}").content.decode()
    assert "B001" not in page and "Bolt Customer" not in page

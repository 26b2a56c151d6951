"""Applying credit on account to an open invoice from the customer page."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from recoup.audit.models import AuditEvent
from recoup.ledger.actions import credit_note_record, payment_record
from recoup.ledger.models import Allocation, Invoice, Payment


@pytest.fixture
def credit(org_a, ledger_a, system, now):
    """120.00 paid before A-2 was issued: 100.00 settles A-1, 20.00 waits on account (A-2 owes 50.00)."""
    payment = payment_record(org=org_a, customer=ledger_a["customer"], date=date(2026, 2, 1), amount_minor=12000,
                             currency="GBP", reference="BACS 9", actor=system, now=now)
    assert payment.unapplied_minor == 2000
    return payment


def url(org, customer):
    return reverse("credit_apply", args=[org.slug, customer.pk])


def test_the_customer_page_offers_the_credit_and_applying_it_moves_the_balance(as_user, org_a, ledger_a, credit,
                                                                               frozen_clock):
    client = as_user("collector")
    customer, invoice = ledger_a["customer"], ledger_a["new"]
    detail = reverse("customer_detail", args=[org_a.slug, customer.pk])
    page = client.get(detail).content.decode()
    assert "Apply credit on account" in page and "BACS 9: £20.00 left" in page
    response = client.post(url(org_a, customer), {"source": f"payment-{credit.pk}", "invoice": invoice.pk,
                                                  "date": "2026-03-31"})
    assert response["Location"] == detail
    invoice.refresh_from_db(), credit.refresh_from_db()
    assert (invoice.open_minor, credit.unapplied_minor) == (3000, 0)
    assert AuditEvent.objects.for_org(org_a).get(verb="credit.applied").actor_label == "a-collector"
    page = client.get(detail).content.decode()
    assert "£20.00 of credit applied to invoice A-2." in page
    assert "Apply credit on account" not in page  # no credit left to apply


def test_it_never_applies_more_than_the_open_amount(as_user, org_a, ledger_a, system, now, make_invoice):
    small = make_invoice(org_a, ledger_a["customer"], "A-3", "5.00", issue=date(2026, 3, 1))
    note = credit_note_record(org=org_a, customer=ledger_a["customer"], number="CN-9", date=date(2025, 12, 1),
                              amount_minor=8000, currency="GBP", actor=system, now=now)
    assert note.unapplied_minor == 8000
    client = as_user("owner")
    client.post(url(org_a, ledger_a["customer"]), {"source": f"credit_note-{note.pk}", "invoice": small.pk,
                                                   "date": "2026-03-31"})
    small.refresh_from_db(), note.refresh_from_db()
    assert (small.open_minor, note.unapplied_minor) == (0, 7500)
    assert Allocation.objects.get(credit_note=note).amount_minor == 500


def test_it_refuses_a_source_or_invoice_of_another_customer_or_organization(
        as_user, org_a, org_b, ledger_a, ledger_b, credit, make_customer, make_invoice, system, now):
    other = make_customer(org_a, ref="C002", name="Other")
    others_invoice = make_invoice(org_a, other, "O-1", "10.00")
    others_payment = payment_record(org=org_a, customer=other, date=date(2025, 12, 1), amount_minor=500,
                                    currency="GBP", actor=system, now=now)
    b_payment = payment_record(org=org_b, customer=ledger_b["customer"], date=date(2025, 12, 1), amount_minor=500,
                               currency="USD", actor=system, now=now)
    client = as_user("owner")
    customer = ledger_a["customer"]
    attempts = [
        {"source": f"payment-{credit.pk}", "invoice": others_invoice.pk},
        {"source": f"payment-{credit.pk}", "invoice": ledger_b["invoice"].pk},
        {"source": f"payment-{others_payment.pk}", "invoice": ledger_a["new"].pk},
        {"source": f"payment-{b_payment.pk}", "invoice": ledger_a["new"].pk},
    ]
    for data in attempts:
        response = client.post(url(org_a, customer), {**data, "date": "2026-03-31"})
        assert response.status_code == 200 and "Select a valid choice" in response.content.decode(), data
    assert client.post(url(org_a, ledger_b["customer"]), {"source": f"payment-{b_payment.pk}",
                                                          "invoice": ledger_b["invoice"].pk}).status_code == 404
    assert Payment.objects.get(pk=credit.pk).unapplied_minor == 2000
    assert not AuditEvent.objects.filter(verb="credit.applied").exists()


def test_it_refuses_an_invoice_in_another_currency(as_user, org_a, ledger_a, credit, make_invoice):
    usd = make_invoice(org_a, ledger_a["customer"], "A-USD", "10.00", currency="USD")
    response = as_user("owner").post(url(org_a, ledger_a["customer"]), {
        "source": f"payment-{credit.pk}", "invoice": usd.pk, "date": "2026-03-31"})
    assert "Invoice A-USD is in USD, the credit in GBP." in response.content.decode()
    assert Invoice.objects.get(pk=usd.pk).open_minor == 1000


def test_a_viewer_sees_no_form_and_cannot_apply(as_user, org_a, ledger_a, credit):
    client = as_user("viewer")
    customer = ledger_a["customer"]
    assert "Apply credit on account" not in client.get(
        reverse("customer_detail", args=[org_a.slug, customer.pk])).content.decode()
    response = client.post(url(org_a, customer), {"source": f"payment-{credit.pk}", "invoice": ledger_a["new"].pk,
                                                  "date": "2026-03-31"})
    assert response.status_code == 403
    assert Payment.objects.get(pk=credit.pk).unapplied_minor == 2000

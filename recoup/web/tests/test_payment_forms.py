"""Recording payments, credit notes and write-offs through the web forms."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from recoup.audit.models import AuditEvent
from recoup.ledger.models import CreditNote, Invoice, Payment, WriteOff
from recoup.ledger.selectors import customer_balances


def payment_url(org, customer):
    return reverse("payment_new", args=[org.slug, customer.pk])


def post_payment(client, org, customer, **fields):
    data = {"date": "2026-03-15", "amount": "30.00", "currency": "GBP", "method": "bank_transfer",
            "reference": "BACS 123", "payer": "Northwind", "invoice": ""}
    data.update(fields)
    return client.post(payment_url(org, customer), data)


def test_recording_a_payment_changes_the_balance_and_is_audited(as_user, org_a, ledger_a):
    client = as_user("collector")
    customer = ledger_a["customer"]
    assert customer_balances(org=org_a, customer=customer) == {"GBP": Decimal("150.00")}
    response = post_payment(client, org_a, customer)
    assert response.status_code == 302
    assert response["Location"] == reverse("customer_detail", args=[org_a.slug, customer.pk])
    assert customer_balances(org=org_a, customer=customer) == {"GBP": Decimal("120.00")}
    event = AuditEvent.objects.for_org(org_a).get(verb="payment.recorded")
    assert event.actor_label == "a-collector" and event.customer_id == customer.pk
    page = client.get(response["Location"]).content.decode()
    assert "Payment of £30.00 recorded." in page
    assert "£120.00" in page


def test_a_payment_naming_an_invoice_pays_that_invoice(as_user, org_a, ledger_a):
    client = as_user("owner")
    post_payment(client, org_a, ledger_a["customer"], amount="50.00", invoice=str(ledger_a["new"].pk))
    ledger_a["new"].refresh_from_db(), ledger_a["old"].refresh_from_db()
    assert (ledger_a["new"].open_minor, ledger_a["old"].open_minor) == (0, 10000)


def test_a_viewer_cannot_record_a_payment(as_user, org_a, ledger_a):
    client = as_user("viewer")
    assert post_payment(client, org_a, ledger_a["customer"]).status_code == 403
    assert client.get(payment_url(org_a, ledger_a["customer"])).status_code == 403
    assert not Payment.objects.exists()


@pytest.mark.parametrize("amount, message", [
    ("12,50", "use a dot as decimal separator"),
    ("10.005", "more decimals than GBP allows"),
    ("ten", "is not an amount"),
    ("0", "more than zero"),
    ("", "This field is required"),
])
def test_it_refuses_a_bad_amount_and_stores_nothing(as_user, org_a, ledger_a, amount, message):
    response = post_payment(as_user("collector"), org_a, ledger_a["customer"], amount=amount)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Payment.objects.exists()


def test_it_refuses_an_invoice_of_another_customer_or_organization(as_user, org_a, ledger_a, ledger_b, make_customer,
                                                                    make_invoice):
    other = make_customer(org_a, ref="C002", name="Other Customer")
    others_invoice = make_invoice(org_a, other, "A-9", "10.00")
    client = as_user("collector")
    for invoice in (others_invoice, ledger_b["invoice"]):
        response = post_payment(client, org_a, ledger_a["customer"], invoice=str(invoice.pk))
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
    assert not Payment.objects.exists()


def test_it_refuses_a_named_invoice_in_another_currency(as_user, org_a, ledger_a, make_invoice):
    make_invoice(org_a, ledger_a["customer"], "A-USD", "10.00", currency="USD")
    response = post_payment(as_user("collector"), org_a, ledger_a["customer"], currency="USD",
                            invoice=str(ledger_a["old"].pk))
    assert "is in GBP, not USD" in response.content.decode()
    assert not Payment.objects.exists()


def test_a_collector_issues_a_credit_note(as_user, org_a, ledger_a):
    client = as_user("collector")
    url = reverse("credit_note_new", args=[org_a.slug, ledger_a["customer"].pk])
    data = {"number": "CN-1", "date": "2026-03-20", "amount": "20.00", "currency": "GBP",
            "invoice": str(ledger_a["new"].pk), "reason": "Damaged goods"}
    assert client.post(url, data).status_code == 302
    ledger_a["new"].refresh_from_db()
    assert ledger_a["new"].open_minor == 3000
    again = client.post(url, data)
    assert "credit note CN-1 already exists" in again.content.decode()
    assert CreditNote.objects.count() == 1


def test_only_an_owner_writes_off(as_user, org_a, ledger_a):
    invoice = ledger_a["old"]
    url = reverse("write_off_new", args=[org_a.slug, invoice.pk])
    data = {"date": "2026-03-31", "amount": "", "reason": "Customer went bust"}
    assert as_user("collector").post(url, data).status_code == 403
    assert not WriteOff.objects.exists()
    response = as_user("owner").post(url, data)
    assert response["Location"] == reverse("invoice_detail", args=[org_a.slug, invoice.pk])
    invoice.refresh_from_db()
    assert invoice.open_minor == 0 and invoice.status == "written_off"


def test_a_write_off_needs_a_reason_and_at_most_the_open_balance(as_user, org_a, ledger_a):
    client = as_user("owner")
    url = reverse("write_off_new", args=[org_a.slug, ledger_a["old"].pk])
    page = client.post(url, {"date": "2026-03-31", "amount": "500.00", "reason": " "}).content.decode()
    assert "Give a reason" in page
    page = client.post(url, {"date": "2026-03-31", "amount": "500.00", "reason": "Bust"}).content.decode()
    assert "write-off must be between 0 and the open balance" in page
    assert not WriteOff.objects.exists()
    assert Invoice.objects.get(pk=ledger_a["old"].pk).open_minor == 10000

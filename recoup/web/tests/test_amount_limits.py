"""An amount larger than the ledger's integer columns hold is a form error, not a server error."""

from __future__ import annotations

from django.urls import reverse

from recoup.ledger.models import Payment


def test_a_payment_too_large_for_the_ledger_is_refused_on_the_form(as_user, org_a, make_customer):
    customer = make_customer(org_a)
    response = as_user("collector").post(
        reverse("payment_new", args=[org_a.slug, customer.pk]),
        {"date": "2026-03-01", "amount": "99999999999999999999", "currency": "GBP", "method": "cash"})
    assert response.status_code == 200
    assert "too large an amount" in response.content.decode()
    assert not Payment.objects.exists()

"""A configured organization with an open invoice, and the local fake of Stripe's API."""

from __future__ import annotations

from datetime import date

import pytest


@pytest.fixture
def fake_stripe():
    from recoup.payments.fake_stripe import FakeStripe

    with FakeStripe(secret_key="sk_test_acme", webhook_secret="whsec_acme") as fake:
        yield fake


@pytest.fixture
def card_org(org_a, fake_stripe, system, now):
    from recoup.payments.actions import provider_configure

    provider_configure(org=org_a, secret_key="sk_test_acme", webhook_secret="whsec_acme", api_base=fake_stripe.url,
                       actor=system, now=now)
    return org_a


@pytest.fixture
def debtor_invoice(card_org, make_customer, make_invoice):
    customer = make_customer(card_org, ref="C042", name="Northwind Traders")
    return make_invoice(card_org, customer, "INV-1001", "120.00", issue=date(2026, 1, 1), due=date(2026, 1, 31))

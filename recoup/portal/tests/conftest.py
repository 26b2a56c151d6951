"""A customer of each organization with open invoices and a portal link; the throttle starts clean."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest


@dataclass
class Link:
    org: object
    customer: object
    invoice: object
    secret: str

    def url(self, name: str = "portal_home", *args) -> str:
        from django.urls import reverse

        return reverse(name, args=[self.secret, *args])


@pytest.fixture(autouse=True)
def _clean_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def _link(org, make_customer, make_invoice, system, now, ref, name, number, amount, **customer_fields):
    from recoup.ledger.customer_actions import contact_save
    from recoup.portal.actions import token_issue

    customer = make_customer(org, ref=ref, name=name, **customer_fields)
    contact_save(org=org, customer=customer, actor=system, now=now, name=f"{name} accounts",
                 email=f"accounts@{ref.lower()}.example", phone="+447700900123", preferred_channel="email")
    invoice = make_invoice(org, customer, number, amount, issue=date(2026, 1, 1), due=date(2026, 1, 31))
    _token, secret = token_issue(org=org, customer=customer, actor=system, now=now)
    return Link(org=org, customer=customer, invoice=invoice, secret=secret)


@pytest.fixture
def link_a(org_a, make_customer, make_invoice, system):
    from django.utils import timezone

    return _link(org_a, make_customer, make_invoice, system, timezone.now(), "C042", "Northwind Traders",
                 "INV-1001", "120.00")


@pytest.fixture
def link_b(org_b, make_customer, make_invoice, system):
    from django.utils import timezone

    return _link(org_b, make_customer, make_invoice, system, timezone.now(), "B007", "Bolt Customer", "BOLT-9",
                 "990.00")

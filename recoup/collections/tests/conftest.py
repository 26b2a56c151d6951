"""Fixtures for the collections tests: a five-step e-mail policy and debtors with contacts."""

from __future__ import annotations

from datetime import date, datetime, time, timezone

import pytest

# The aiosmtpd peer of the messaging tests, reused as is.
from recoup.messaging.tests.conftest import smtp, smtp_server  # noqa: F401

FIVE_STEPS = """\
name: five-step
description: Five e-mails, from a note before the due date to a final notice.
steps:
  - {key: pre-due, name: Friendly note, offset_days: -3, channels: [email]}
  - {key: first-reminder, name: First reminder, offset_days: 3, channels: [email]}
  - {key: second-reminder, name: Second reminder, offset_days: 10, channels: [email]}
  - {key: final-notice, name: Final notice, offset_days: 20, channels: [email]}
  - {key: last-notice, name: Last notice, offset_days: 30, channels: [email], template: final-notice}
"""


def at(day: date, hour: int = 8) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.utc)


@pytest.fixture
def five_step(org_a, system, now):
    """The five-step policy as org_a's default for every customer."""
    from recoup.collections.actions import policy_load

    org_a.sender_email = "accounts@acme.example"
    org_a.save(update_fields=["sender_email"])
    return policy_load(org=org_a, data=FIVE_STEPS, actor=system, now=now, make_default_for="")


@pytest.fixture
def debtor(make_customer):
    """``debtor(org, ref, email=...)``: a customer with a billing contact (no contact when email is None)."""
    from recoup.ledger.models import Contact

    def make(org, ref, email="", **kw):
        customer = make_customer(org, ref=ref, name=f"{ref} Trading Ltd", **kw)
        if email is not None:
            Contact.objects.create(org=org, customer=customer, name=f"Accounts {ref}",
                                   email=email or f"{ref.lower()}@debtor.example")
        return customer

    return make


@pytest.fixture
def debtors_due_1_march(five_step, debtor, make_invoice, org_a, system, now):
    """``debtors_due_1_march(n)``: org_a with ``n`` customers, each with an invoice due 1 March (the
    first reminder due on the 4th), and an owner who gets the digest; returns org_a."""
    from recoup.orgs.actions import member_add

    def make(n: int):
        for i in range(n):
            make_invoice(org_a, debtor(org_a, f"C{i:03}"), f"INV-{i:03}", "10.00", due=date(2026, 3, 1))
        member_add(org=org_a, username="olga", role="owner", email="olga@acme.example", actor=system, now=now)
        return org_a

    return make

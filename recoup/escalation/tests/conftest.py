"""The escalation tests' demo account: 3 invoices (one with its PDF as sent), a broken payment plan,
12 contacts over several channels and a rejected dispute."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone

import pytest


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.utc)


# (day, hour, minute, channel, direction, summary)
CONTACTS = [
    (date(2026, 1, 20), 9, 15, "email", "out", "Sent a copy of INV-101 on request"),
    (date(2026, 1, 22), 11, 40, "call", "in", "Debtor called about delivery dates"),
    (date(2026, 1, 27), 14, 5, "sms", "out", "Texted the payment link"),
    (date(2026, 1, 30), 10, 30, "letter", "in", "Letter from the debtor asking for time"),
    (date(2026, 2, 2), 16, 20, "email", "in", "Debtor proposed instalments"),
    (date(2026, 2, 4), 9, 50, "call", "out", "Agreed a payment plan by phone"),
    (date(2026, 2, 12), 13, 10, "email", "out", "Confirmed the plan in writing"),
    (date(2026, 2, 21), 15, 45, "sms", "in", "Debtor says the first instalment is late"),
    (date(2026, 2, 26), 10, 0, "call", "out", "Voicemail about the missed instalment"),
    (date(2026, 3, 3), 12, 35, "letter", "out", "Posted a statement of account"),
    (date(2026, 3, 9), 8, 55, "email", "in", "Debtor disputes the quality of INV-103"),
    (date(2026, 3, 16), 17, 25, "call", "out", "Explained why the dispute is rejected"),
]


@dataclass
class Account:
    customer: object
    invoices: list
    plan: object
    dispute: object


def tiny_pdf(text: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=f"<p style='font-size:20pt'>{text}</p>").write_pdf()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def account(org_a, make_customer, make_invoice, system, media):
    """The demo account in org_a (GB), as of 2026-03-31."""
    from recoup.arrangements.actions import dispute_open, plan_create
    from recoup.arrangements.check import arrangements_check
    from recoup.arrangements.dispute_actions import dispute_reject
    from recoup.ledger.actions import payment_record
    from recoup.ledger.document_actions import invoice_attach_pdf
    from recoup.ledger.models import Contact
    from recoup.messaging.actions import contact_log

    org_a.address = "1 High Street\nLondon EC1A 1AA"
    org_a.sender_email = "accounts@acme.example"
    org_a.bank_iban = "GB33BUKB20201555555555"
    org_a.save()
    customer = make_customer(org_a, ref="C100", name="Harbour Cafe Ltd", country="GB")
    contact = Contact.objects.create(org=org_a, customer=customer, name="Pat Harbour", email="pat@harbour.example",
                                     phone="+447700900123", postal_address="2 Quay Road\nBristol BS1 4RN")
    invoices = [make_invoice(org_a, customer, "INV-101", "1200.00", issue=date(2025, 12, 1), due=date(2025, 12, 31)),
                make_invoice(org_a, customer, "INV-102", "800.00", issue=date(2026, 1, 5), due=date(2026, 2, 4)),
                make_invoice(org_a, customer, "INV-103", "450.00", issue=date(2026, 1, 20), due=date(2026, 2, 19))]
    invoice_attach_pdf(org=org_a, invoice=invoices[0], data=tiny_pdf("ORIGINAL PDF OF INV-101"), actor=system,
                       now=at(date(2025, 12, 1)))
    payment_record(org=org_a, customer=customer, date=date(2026, 1, 15), amount_minor=20000, currency="GBP",
                   actor=system, now=at(date(2026, 1, 15)), invoice=invoices[0], reference="part payment")
    for day, hour, minute, channel, direction, summary in CONTACTS:
        contact_log(org=org_a, customer=customer, channel=channel, direction=direction, summary=summary,
                    content=f"Notes: {summary.lower()}.", at=at(day, hour, minute), actor=system, now=at(day, 18),
                    contact=contact)
    plan = plan_create(org=org_a, customer=customer, invoices=[invoices[1]], instalments=4, frequency="weekly",
                       first_date=date(2026, 2, 16), actor=system, now=at(date(2026, 2, 4), 11))
    arrangements_check(org=org_a, on=date(2026, 2, 25), now=at(date(2026, 2, 25), 7))
    plan.refresh_from_db()
    dispute = dispute_open(org=org_a, customer=customer, invoices=[invoices[2]], category="quality",
                           amount_minor=None, message="The coffee machine was faulty.", actor=system,
                           now=at(date(2026, 3, 9), 9))
    dispute_reject(org=org_a, dispute=dispute, explanation="Our engineer found the machine working on site.",
                   actor=system, now=at(date(2026, 3, 16), 17, 30))
    return Account(customer=customer, invoices=invoices, plan=plan, dispute=dispute)

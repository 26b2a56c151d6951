"""Reminders show the principal and each charge still open, in every language, until paid or waived."""

from __future__ import annotations

from datetime import date

import pytest

from conftest import NOW
from recoup.ledger.actions import charge_add, payment_record
from recoup.ledger.charge_actions import charge_waive
from recoup.ledger.models import Invoice
from recoup.messaging.rendering import available_languages, render_message

ON = date(2026, 3, 31)


@pytest.fixture
def invoice(org_a, make_customer, make_invoice, system):
    """INV-1 of 1,200.00 with a 40.00 late fee and 9.50 of interest (GB: charges first)."""
    customer = make_customer(org_a, ref="C042", name="Hilda Pemberton Ltd", country="GB")
    inv = make_invoice(org_a, customer, "INV-1", "1200.00", issue=date(2026, 1, 1), due=date(2026, 1, 31))
    charge_add(org=org_a, invoice=inv, kind="late_fee", on=date(2026, 3, 2), amount_minor=4000, actor=system,
               now=NOW)
    charge_add(org=org_a, invoice=inv, kind="interest", on=date(2026, 3, 2), amount_minor=950, actor=system, now=NOW)
    return inv


def render(org, invoice, language="en", template="final-notice", channel="email"):
    invoice = Invoice.objects.prefetch_related("charges").get(pk=invoice.pk)
    return render_message(org=org, customer=invoice.customer, invoices=[invoice], template=template, channel=channel,
                          language=language, on=ON)


def test_the_principal_and_each_open_charge_are_listed_apart(org_a, invoice):
    message = render(org_a, invoice)
    assert "Of the amounts above, principal and the fees and interest still open:" in message.text
    assert "- INV-1, principal: £1,200.00\n- INV-1, late fee of 2 Mar 2026: £40.00\n" \
           "- INV-1, interest of 2 Mar 2026: £9.50" in message.text
    assert "<li>INV-1, principal: £1,200.00</li>" in message.html


def test_a_part_paid_charge_shows_what_is_open_and_a_paid_one_is_gone(org_a, invoice, system):
    payment_record(org=org_a, customer=invoice.customer, date=date(2026, 3, 10), amount_minor=2500, currency="GBP",
                   invoice=invoice, actor=system, now=NOW)  # costs first: 25.00 of the fee
    text = render(org_a, invoice).text
    assert "- INV-1, late fee of 2 Mar 2026: £15.00 (of £40.00)" in text
    assert "- INV-1, interest of 2 Mar 2026: £9.50\n" in text and "principal: £1,200.00" in text
    payment_record(org=org_a, customer=invoice.customer, date=date(2026, 3, 11), amount_minor=1500, currency="GBP",
                   invoice=invoice, actor=system, now=NOW)
    text = render(org_a, invoice).text
    assert "late fee of" not in text and "- INV-1, interest of 2 Mar 2026: £9.50" in text


def test_waived_charges_are_no_longer_shown_as_owed(org_a, invoice, system):
    for charge in invoice.charges.all():
        charge_waive(org=org_a, charge=charge, on=date(2026, 3, 5), reason="goodwill", actor=system, now=NOW)
    message = render(org_a, invoice)
    assert "principal" not in message.text and "late fee" not in message.text
    assert "Total open: £1,200.00" in message.text


@pytest.mark.parametrize(("language", "principal", "fee"), [
    ("de", "INV-1, Hauptforderung: 1.200,00 £", "INV-1, Mahngebühr vom 02.03.2026: 15,00 £ (von 40,00 £)"),
    ("fr", "INV-1, principal : 1 200,00 £GB", "INV-1, frais de retard du 2 mars 2026 : 15,00 £GB (sur 40,00 £GB)"),
    ("es", "INV-1, principal: 1.200,00 GBP", "INV-1, recargo por demora del 2 mar 2026: 15,00 GBP (de 40,00 GBP)"),
])
def test_every_language_lists_principal_and_open_charges(org_a, invoice, system, language, principal, fee):
    payment_record(org=org_a, customer=invoice.customer, date=date(2026, 3, 10), amount_minor=2500, currency="GBP",
                   invoice=invoice, actor=system, now=NOW)
    assert set(available_languages()) == {"en", "de", "fr", "es"}
    for channel, template in (("email", "final-notice"), ("letter", "final-notice"), ("call", "call")):
        message = render(org_a, invoice, language, template, channel)
        flat = message.text.replace("\u00a0", " ").replace("\u202f", " ")
        assert principal in flat and fee in flat, (language, channel, flat)

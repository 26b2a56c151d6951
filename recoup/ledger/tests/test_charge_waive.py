"""Waiving a charge: its own row, a reason, never more than the charge still has open, audited."""

from datetime import date

import pytest

from recoup.audit.models import AuditEvent
from recoup.ledger.actions import LedgerError, charge_add, payment_record
from recoup.ledger.charge_actions import charge_waive
from recoup.ledger.checks import check_ledger
from recoup.ledger.models import ChargeWaiver, InvoiceStatus
from recoup.ledger.splits import invoice_parts


@pytest.fixture
def fee(org_a, make_customer, make_invoice, system, now):
    """INV-1 of 200.00 with a 30.00 late fee of 5 March (GB: charges first)."""
    invoice = make_invoice(org_a, make_customer(org_a), "INV-1", "200.00")
    return charge_add(org=org_a, invoice=invoice, kind="late_fee", on=date(2026, 3, 5), amount_minor=3000,
                      actor=system, now=now, description="Late fee")


def waive(org, fee, system, now, **kw):
    kw.setdefault("on", date(2026, 3, 10))
    kw.setdefault("reason", "first time late")
    return charge_waive(org=org, charge=fee, actor=system, now=now, **kw)


def test_waiving_takes_what_is_open_off_the_invoice_and_keeps_the_charge(org_a, fee, system, now):
    waiver = waive(org_a, fee, system, now)
    invoice = fee.invoice
    invoice.refresh_from_db()
    fee.refresh_from_db()
    assert (waiver.amount_minor, fee.amount_minor, invoice.open_minor) == (3000, 3000, 20000)
    parts = invoice_parts(invoice)
    assert (parts.principal_open_minor, parts.open_charges, parts.charge(fee.pk).waived_minor) == (20000, (), 3000)
    event = AuditEvent.objects.for_org(org_a).get(verb="charge.waived")
    assert (event.subject_type, event.subject_id) == ("charge", fee.pk)
    assert event.summary == "30.00 GBP of the late fee of 2026-03-05 on INV-1 waived: first time late"
    assert event.data["reason"] == "first time late" and event.data["amount_minor"] == 3000
    assert check_ledger().ok


def test_a_part_paid_charge_can_be_waived_only_up_to_what_is_still_open(org_a, fee, system, now):
    invoice = fee.invoice
    payment_record(org=org_a, customer=invoice.customer, date=date(2026, 3, 8), amount_minor=1200, currency="GBP",
                   invoice=invoice, actor=system, now=now)  # charges first: 12.00 of the fee
    with pytest.raises(LedgerError, match=r"amount: .* at most the 18.00 GBP still open on this charge"):
        waive(org_a, fee, system, now, amount_minor=1801)
    waive(org_a, fee, system, now, amount_minor=800)
    rest = waive(org_a, fee, system, now)
    invoice.refresh_from_db()
    assert rest.amount_minor == 1000
    assert (invoice.open_minor, invoice.status) == (20000, InvoiceStatus.OPEN)
    with pytest.raises(LedgerError, match="nothing left to waive"):
        waive(org_a, fee, system, now)
    assert check_ledger().ok


@pytest.mark.parametrize(("kw", "message"), [
    ({"reason": "  "}, "reason: a waiver needs a reason"),
    ({"on": date(2026, 3, 4)}, "date: a waiver cannot be dated 2026-03-04, before the charge"),
    ({"amount_minor": 0}, "amount: a waiver must be more than zero"),
    ({"amount_minor": 3001}, "amount: .* at most the 30.00 GBP"),
])
def test_bad_input_is_refused_naming_the_field_and_writes_nothing(org_a, fee, system, now, kw, message):
    with pytest.raises(LedgerError, match=message):
        waive(org_a, fee, system, now, **kw)
    assert not ChargeWaiver.objects.exists()
    assert not AuditEvent.objects.filter(verb="charge.waived").exists()


def test_another_organizations_charge_cannot_be_waived(org_b, fee, system, now):
    with pytest.raises(LedgerError, match="does not belong to bolt"):
        waive(org_b, fee, system, now)
    assert not ChargeWaiver.objects.exists()


def test_a_waived_invoice_whose_principal_is_paid_is_paid(org_a, fee, system, now):
    invoice = fee.invoice
    payment_record(org=org_a, customer=invoice.customer, date=date(2026, 3, 8), amount_minor=20000, currency="GBP",
                   invoice=invoice, actor=system, now=now)  # 30.00 fee first, 170.00 principal
    assert invoice_parts(invoice).principal_open_minor == 3000
    # Nothing of the fee is open any more: it was paid, so there is nothing to waive.
    with pytest.raises(LedgerError, match="nothing left to waive"):
        waive(org_a, fee, system, now)
    payment_record(org=org_a, customer=invoice.customer, date=date(2026, 3, 9), amount_minor=3000, currency="GBP",
                   invoice=invoice, actor=system, now=now)
    invoice.refresh_from_db()
    assert (invoice.open_minor, invoice.status) == (0, InvoiceStatus.PAID)

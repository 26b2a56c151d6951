from datetime import date

import pytest

from recoup.ledger.actions import LedgerError, credit_apply, credit_note_record, invoice_write_off, payment_record
from recoup.ledger.models import InvoiceStatus


@pytest.fixture
def customer(org_a, make_customer):
    return make_customer(org_a)


def pay(org, customer, amount_minor, on, system, now, **kw):
    return payment_record(org=org, customer=customer, date=on, amount_minor=amount_minor,
                          currency=org.base_currency, actor=system, now=now, **kw)


def test_it_computes_the_due_date_from_the_organization_terms(org_a, customer, make_invoice):
    inv = make_invoice(org_a, customer, "INV-1", "100.00", issue=date(2026, 1, 15))
    assert inv.due_date == date(2026, 2, 14)
    assert inv.terms_as_agreed().net_days == 30


def test_an_unnamed_payment_pays_the_oldest_due_invoice_first(org_a, customer, make_invoice, system, now):
    old = make_invoice(org_a, customer, "INV-1", "100.00", issue=date(2026, 1, 1))
    new = make_invoice(org_a, customer, "INV-2", "50.00", issue=date(2026, 1, 10))
    payment = pay(org_a, customer, 12000, date(2026, 2, 1), system, now)
    old.refresh_from_db(), new.refresh_from_db()
    assert (old.open_minor, old.status) == (0, InvoiceStatus.PAID)
    assert new.open_minor == 3000
    assert payment.unapplied_minor == 0


def test_a_named_payment_pays_that_invoice_and_excess_stays_on_account(org_a, customer, make_invoice, system, now):
    old = make_invoice(org_a, customer, "INV-1", "100.00", issue=date(2026, 1, 1))
    new = make_invoice(org_a, customer, "INV-2", "50.00", issue=date(2026, 1, 10))
    payment = pay(org_a, customer, 20000, date(2026, 2, 1), system, now, invoice=new)
    old.refresh_from_db(), new.refresh_from_db()
    assert new.open_minor == 0 and old.open_minor == 0
    assert payment.unapplied_minor == 5000


def test_credit_on_account_is_applied_by_the_operator(org_a, customer, make_invoice, system, now):
    payment = pay(org_a, customer, 3000, date(2026, 1, 5), system, now)
    assert payment.unapplied_minor == 3000
    inv = make_invoice(org_a, customer, "INV-9", "100.00", issue=date(2026, 1, 10))
    assert inv.open_minor == 10000
    allocation = credit_apply(org=org_a, source=payment, invoice=inv, on=date(2026, 1, 20), actor=system, now=now)
    inv.refresh_from_db(), payment.refresh_from_db()
    assert allocation.date == date(2026, 1, 20)
    assert inv.open_minor == 7000 and payment.unapplied_minor == 0


def test_a_credit_note_reduces_the_named_invoice(org_a, customer, make_invoice, system, now):
    inv = make_invoice(org_a, customer, "INV-1", "100.00")
    credit_note_record(org=org_a, customer=customer, number="CN-1", date=date(2026, 1, 3), amount_minor=10000,
                       currency="GBP", invoice=inv, actor=system, now=now)
    inv.refresh_from_db()
    assert (inv.open_minor, inv.status) == (0, InvoiceStatus.CREDITED)


def test_a_write_off_closes_the_invoice_and_needs_a_reason(org_a, customer, make_invoice, system, now):
    inv = make_invoice(org_a, customer, "INV-1", "100.00")
    with pytest.raises(LedgerError):
        invoice_write_off(org=org_a, invoice=inv, on=date(2026, 6, 1), reason=" ", actor=system, now=now)
    invoice_write_off(org=org_a, invoice=inv, on=date(2026, 6, 1), reason="Customer insolvent", actor=system, now=now)
    inv.refresh_from_db()
    assert (inv.open_minor, inv.status) == (0, InvoiceStatus.WRITTEN_OFF)


def test_it_refuses_to_pay_another_organizations_invoice(org_a, org_b, make_customer, make_invoice, system, now):
    theirs = make_invoice(org_b, make_customer(org_b, ref="X1"), "B-1", "10.00")
    mine = make_customer(org_a)
    with pytest.raises(LedgerError):
        payment_record(org=org_a, customer=mine, date=date(2026, 2, 1), amount_minor=1000, currency="USD",
                       invoice=theirs, actor=system, now=now)
    theirs.refresh_from_db()
    assert theirs.open_minor == 1000


def test_every_change_writes_an_audit_event(org_a, customer, make_invoice, system, now):
    from recoup.audit.models import AuditEvent

    make_invoice(org_a, customer, "INV-1", "100.00")
    pay(org_a, customer, 5000, date(2026, 2, 1), system, now)
    verbs = list(AuditEvent.objects.for_org(org_a).filter(customer=customer).values_list("verb", flat=True))
    assert verbs == ["invoice.created", "payment.recorded"]


def test_it_refuses_charges_and_write_offs_dated_before_the_invoice(org_a, make_customer, make_invoice, system, now):
    from recoup.ledger.actions import charge_add
    from recoup.ledger.models import Charge, WriteOff

    customer = make_customer(org_a)
    invoice = make_invoice(org_a, customer, "INV-1", "100.00", issue=date(2026, 2, 1))
    with pytest.raises(LedgerError, match="before invoice INV-1 was issued"):
        charge_add(org=org_a, invoice=invoice, kind="late_fee", on=date(2026, 1, 31), amount_minor=500,
                   actor=system, now=now)
    with pytest.raises(LedgerError, match="before invoice INV-1 was issued"):
        invoice_write_off(org=org_a, invoice=invoice, on=date(2026, 1, 31), reason="gone", actor=system, now=now)
    assert not Charge.objects.exists() and not WriteOff.objects.exists()

from datetime import date
from decimal import Decimal

import pytest

from recoup.ledger.actions import (
    LedgerError, charge_add, credit_note_record, invoice_write_off, payment_record,
)
from recoup.ledger.selectors import customer_balances, statement
from recoup.reports.aging import aging


@pytest.fixture
def customer(org_a, make_customer):
    return make_customer(org_a, ref="C001", name="Customer One")


@pytest.fixture
def ledger(org_a, customer, make_invoice, system, now):
    """Two invoices, a fee, a partial payment, a credit note, a write-off and a later payment."""
    inv1 = make_invoice(org_a, customer, "INV-1", "100.00", issue=date(2026, 1, 1))
    inv2 = make_invoice(org_a, customer, "INV-2", "50.00", issue=date(2026, 1, 20))
    charge_add(org=org_a, invoice=inv1, kind="late_fee", on=date(2026, 2, 5), amount_minor=500, actor=system, now=now)
    payment_record(org=org_a, customer=customer, date=date(2026, 2, 10), amount_minor=4000, currency="GBP",
                   reference="BACS 1", actor=system, now=now)
    credit_note_record(org=org_a, customer=customer, number="CN-1", date=date(2026, 2, 12), amount_minor=1000,
                       currency="GBP", invoice=inv2, actor=system, now=now)
    invoice_write_off(org=org_a, invoice=inv2, on=date(2026, 2, 20), reason="goodwill", amount_minor=500,
                      actor=system, now=now)
    payment_record(org=org_a, customer=customer, date=date(2026, 3, 15), amount_minor=20000, currency="GBP",
                   reference="BACS 2", actor=system, now=now)
    return inv1, inv2


def test_customer_balances_net_open_invoices_against_credit_on_account(org_a, customer, ledger):
    # 100 + 5 + 50 - 40 - 10 - 5 - 200 = -100: the customer is in credit.
    assert customer_balances(org=org_a, customer=customer) == {"GBP": Decimal("-100.00")}


def test_the_statement_has_a_running_balance_and_ignores_later_movements(org_a, customer, ledger):
    st = statement(org=org_a, customer=customer, as_of=date(2026, 2, 28))
    [section] = st.sections
    assert [ln.kind for ln in section.lines] == ["invoice", "invoice", "charge", "payment", "credit_note", "write_off"]
    assert [ln.balance for ln in section.lines] == [
        Decimal("100.00"), Decimal("150.00"), Decimal("155.00"), Decimal("115.00"), Decimal("105.00"), Decimal("100.00"),
    ]
    assert section.closing_balance == Decimal("100.00")
    assert section.lines[3].credit == Decimal("40.00") and section.lines[3].reference == "BACS 1"
    opened = {o.number: (o.open_amount, o.days_overdue) for o in section.open_invoices}
    # The payment went to INV-1 (oldest due) first: 105 - 40 = 65; INV-2: 50 - 10 - 5 = 35.
    assert opened == {"INV-1": (Decimal("65.00"), 28), "INV-2": (Decimal("35.00"), 9)}


def test_the_closing_balance_equals_the_aging_total_on_every_date(org_a, customer, ledger):
    for as_of in (date(2026, 1, 10), date(2026, 2, 11), date(2026, 2, 28), date(2026, 3, 31)):
        st = statement(org=org_a, customer=customer, as_of=as_of)
        report = aging(org=org_a, as_of=as_of)
        totals = {(r.customer_ref, r.currency): r.total for r in report.rows}
        for section in st.sections:
            assert totals.get(("C001", section.currency), Decimal("0.00")) == section.closing_balance


def test_since_folds_earlier_movements_into_the_opening_balance(org_a, customer, ledger):
    st = statement(org=org_a, customer=customer, as_of=date(2026, 3, 31), since=date(2026, 2, 11))
    [section] = st.sections
    assert section.opening_balance == Decimal("115.00")
    assert section.lines[0].kind == "credit_note"
    assert section.closing_balance == Decimal("-100.00")


def test_as_json_gives_amounts_as_decimal_strings(org_a, customer, ledger):
    data = statement(org=org_a, customer=customer, as_of=date(2026, 2, 28)).as_json()
    assert data["customer_ref"] == "C001" and data["as_of"] == "2026-02-28"
    assert data["sections"][0]["closing_balance"] == "100.00"
    assert data["sections"][0]["lines"][0] == {
        "date": "2026-01-01", "kind": "invoice", "reference": "INV-1", "description": "Invoice INV-1",
        "debit": "100.00", "credit": "0.00", "balance": "100.00",
    }


def test_it_refuses_a_customer_of_another_organization(org_a, org_b, make_customer):
    foreign = make_customer(org_b, ref="B1")
    with pytest.raises(LedgerError):
        statement(org=org_a, customer=foreign, as_of=date(2026, 3, 31))
    with pytest.raises(LedgerError):
        customer_balances(org=org_a, customer=foreign)

"""The principal/charges split read from the ledger: the order in force, and the same balance as the
stored one for random ledgers built through the real actions."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from recoup.core.charges import CHARGES_FIRST, PRINCIPAL_FIRST
from recoup.ledger.actions import charge_add, payment_record
from recoup.ledger.charge_actions import charge_waive
from recoup.ledger.models import Charge, Invoice
from recoup.ledger.selectors import statement
from recoup.ledger.splits import invoice_parts, payment_order
from recoup.ledger.tests.test_ledger_properties import DB_SETTINGS, build_ledger, ledger_ops, rolled_back


def test_the_order_is_the_setting_else_the_law_of_the_contract_else_charges_first(org_a, make_customer,
                                                                                  make_invoice):
    business = make_invoice(org_a, make_customer(org_a, ref="B"), "INV-1", "10.00")
    # A consumer's contract follows the consumer's law (Rome I art. 6): here Germany's BGB 367(1).
    consumer = make_invoice(org_a, make_customer(org_a, ref="C", kind="consumer", country="DE"), "INV-2", "10.00")
    assert payment_order(business).text == "costs, then interest, then principal " \
                                           "(no rule in force fixes one: charges first)"
    assert payment_order(consumer).basis == "DE.bgb-367.appropriation, BGB 367(1)"
    org_a.payment_order = "principal_first"
    org_a.save()
    for invoice in (business, consumer):
        invoice = Invoice.objects.get(pk=invoice.pk)
        assert payment_order(invoice).order == PRINCIPAL_FIRST


# (invoice pick, kind, amount, days after issue) / (invoice pick, charge pick, percent of what is open, days)
# / (invoice pick, percent of the open balance, days after issue)
extra_charge = st.tuples(st.just("charge"), st.integers(0, 10**6), st.sampled_from(["late_fee", "interest", "other"]),
                         st.integers(1, 20_000), st.integers(0, 90))
extra_waive = st.tuples(st.just("waive"), st.integers(0, 10**6), st.integers(0, 10**6), st.integers(1, 100),
                        st.integers(0, 60))
extra_pay = st.tuples(st.just("pay"), st.integers(0, 10**6), st.integers(1, 100), st.integers(0, 120))
extra_ops = st.lists(st.one_of(extra_charge, extra_waive, extra_pay, extra_pay), max_size=10)


def _replay_extra(org, invoices, ops, actor, now):
    for op in ops:
        invoice = invoices[op[1] % len(invoices)]
        invoice.refresh_from_db()
        if op[0] == "charge":
            _, _, kind, amount, after = op
            charge_add(org=org, invoice=invoice, kind=kind, on=invoice.issue_date + timedelta(days=after),
                       amount_minor=amount, actor=actor, now=now)
        elif op[0] == "waive":
            _, _, pick, percent, after = op
            open_charges = invoice_parts(invoice).open_charges
            if open_charges:
                row = open_charges[pick % len(open_charges)]
                charge_waive(org=org, charge=row.charge, on=row.charge.date + timedelta(days=after), reason="test",
                             amount_minor=max(1, row.open_minor * percent // 100), actor=actor, now=now)
        elif invoice.open_minor > 0:
            _, _, percent, after = op
            payment_record(org=org, customer=invoice.customer, date=invoice.issue_date + timedelta(days=after),
                           amount_minor=max(1, invoice.open_minor * percent // 100), currency=invoice.currency,
                           invoice=invoice, actor=actor, now=now)


@DB_SETTINGS
@given(ops=ledger_ops, extra=extra_ops, setting=st.sampled_from(["", "charges_first", "principal_first"]))
def test_principal_and_charges_add_up_to_the_stored_balance(org_a, system, now, ops, extra, setting):
    with rolled_back():
        org_a.payment_order = setting
        org_a.save()
        ledger = build_ledger(org_a, ops, actor=system, now=now)
        if ledger.invoices:
            _replay_extra(org_a, ledger.invoices, extra, system, now)
        for invoice in Invoice.objects.for_org(org_a).select_related("org", "customer"):
            parts = invoice_parts(invoice)
            assert parts.split.ahead_minor == 0, f"{invoice.number}: money left ahead of every charge"
            assert parts.principal_open_minor + sum(c.open_minor for c in parts.charges) == invoice.open_minor
            assert 0 <= parts.principal_open_minor <= invoice.total_minor
            assert all(c.open_minor >= 0 for c in parts.charges)
            assert len(parts.charges) == Charge.objects.filter(invoice=invoice).count()
            assert parts.order.order == (PRINCIPAL_FIRST if setting == "principal_first" else CHARGES_FIRST)
        for customer in ledger.customers:
            as_of = ledger.last_day + timedelta(days=200)
            for section in statement(org=org_a, customer=customer, as_of=as_of).sections:
                for row in section.open_invoices:
                    owed = row.principal_open + sum(c.open_amount for c in row.charges)
                    assert owed == row.open_amount, f"{row.number} on the statement"


def test_a_statement_as_of_an_earlier_date_splits_as_of_that_date(org_a, make_customer, make_invoice, system, now):
    customer = make_customer(org_a)
    invoice = make_invoice(org_a, customer, "INV-1", "100.00", issue=date(2026, 1, 1))
    charge_add(org=org_a, invoice=invoice, kind="late_fee", on=date(2026, 2, 1), amount_minor=1000, actor=system,
               now=now)
    payment_record(org=org_a, customer=customer, date=date(2026, 2, 10), amount_minor=1500, currency="GBP",
                   actor=system, now=now)
    [before] = statement(org=org_a, customer=customer, as_of=date(2026, 2, 5)).sections[0].open_invoices
    [after] = statement(org=org_a, customer=customer, as_of=date(2026, 2, 10)).sections[0].open_invoices
    assert (before.principal_open, [c.open_amount for c in before.charges]) == (100, [10])
    assert (after.principal_open, after.charges, after.open_amount) == (95, [], 95)

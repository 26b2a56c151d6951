"""Property tests of the ledger: random ledgers built through the real actions.

Each example is written inside a savepoint that is rolled back at its end, so
examples never see each other. ``ledger_ops`` and ``build_ledger`` are shared
with ``recoup/reports/tests/test_aging_properties.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recoup.core.money import from_minor
from recoup.ledger.actions import (
    LineInput,
    charge_add,
    credit_apply,
    credit_note_record,
    invoice_create,
    invoice_write_off,
    payment_record,
)
from recoup.ledger.models import Allocation, Charge, CreditNote, Customer, Invoice, Payment, WriteOff

START = date(2026, 1, 1)
CURRENCIES = ("GBP", "JPY", "KWD")
CUSTOMERS = 3
DB_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

days = st.integers(0, 150)
customer_index = st.integers(0, CUSTOMERS - 1)
currency = st.sampled_from(CURRENCIES)
pick = st.integers(0, 10**6)  # index into what exists by then, modulo its length

invoice_op = st.tuples(st.just("invoice"), customer_index, currency, st.integers(1, 200_000), days, st.integers(0, 60))
# (kind, customer, currency, amount, day, named invoice or None); a named invoice decides customer and currency.
payment_op = st.tuples(st.just("payment"), customer_index, currency, st.integers(1, 300_000), days, st.none() | pick)
credit_note_op = st.tuples(st.just("credit_note"), customer_index, currency, st.integers(1, 100_000), days,
                           st.none() | pick)
charge_op = st.tuples(st.just("charge"), pick, st.integers(1, 20_000), st.integers(0, 90))
# (kind, invoice, percent of the open balance 1..100, days after issue)
write_off_op = st.tuples(st.just("write_off"), pick, st.integers(1, 100), st.integers(0, 120))
apply_op = st.tuples(st.just("apply"), pick, pick, days)

ledger_ops = st.lists(
    st.one_of(invoice_op, invoice_op, payment_op, payment_op, credit_note_op, charge_op, write_off_op, apply_op),
    min_size=1, max_size=14,
)


class _Rollback(Exception):
    pass


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run the block in a savepoint and undo everything it wrote."""
    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass


@dataclass
class Ledger:
    customers: list[Customer]
    invoices: list[Invoice] = field(default_factory=list)
    sources: list[Payment | CreditNote] = field(default_factory=list)
    last_day: date = START


def build_ledger(org, ops, *, actor, now, record_source: Callable | None = None) -> Ledger:
    """Replay ``ops`` through the ledger actions; ops that make no sense at that point are skipped.

    ``record_source(day, record)`` wraps each payment and credit note: it gets
    the source's date and a function that records it, and returns its result.
    """
    ledger = Ledger(customers=[
        Customer.objects.create(org=org, ref=f"P{i}", legal_name=f"Property Customer {i}") for i in range(CUSTOMERS)
    ])
    return replay(org, ledger, ops, actor=actor, now=now, record_source=record_source)


def replay(org, ledger: Ledger, ops, *, actor, now, record_source: Callable | None = None) -> Ledger:
    """Replay more ``ops`` on a ledger ``build_ledger`` made (as ``build_ledger`` does)."""
    record_source = record_source or (lambda day, record: record())
    for op in ops:
        kind = op[0]
        if kind == "invoice":
            _, who, cur, amount, day, due_in = op
            issue = START + timedelta(days=day)
            ledger.invoices.append(invoice_create(
                org=org, customer=ledger.customers[who], number=f"INV-{len(ledger.invoices) + 1}", issue_date=issue,
                due_date=issue + timedelta(days=due_in), currency=cur, actor=actor, now=now,
                lines=[LineInput(description="Goods", quantity=Decimal(1), unit_price=from_minor(amount, cur))],
            ))
            ledger.last_day = max(ledger.last_day, issue)
        elif kind in ("payment", "credit_note"):
            _, who, cur, amount, day, named = op
            invoice = ledger.invoices[named % len(ledger.invoices)] if named is not None and ledger.invoices else None
            customer = invoice.customer if invoice else ledger.customers[who]
            cur = invoice.currency if invoice else cur
            on = START + timedelta(days=day)
            if kind == "payment":
                def record(customer=customer, on=on, amount=amount, cur=cur, invoice=invoice):
                    return payment_record(org=org, customer=customer, date=on, amount_minor=amount, currency=cur,
                                          invoice=invoice, actor=actor, now=now, reference=f"R{len(ledger.sources)}")
            else:
                def record(customer=customer, on=on, amount=amount, cur=cur, invoice=invoice):
                    return credit_note_record(org=org, customer=customer, number=f"CN-{len(ledger.sources)}",
                                              date=on, amount_minor=amount, currency=cur, invoice=invoice,
                                              actor=actor, now=now)
            ledger.sources.append(record_source(on, record))
            ledger.last_day = max(ledger.last_day, on)
        elif kind in ("charge", "write_off") and ledger.invoices:
            _, which, amount, after = op
            invoice = ledger.invoices[which % len(ledger.invoices)]
            invoice.refresh_from_db()
            on = invoice.issue_date + timedelta(days=after)
            if kind == "charge":
                charge_add(org=org, invoice=invoice, kind="late_fee", on=on, amount_minor=amount, actor=actor, now=now)
            elif invoice.open_minor > 0:
                part = max(1, invoice.open_minor * amount // 100)
                invoice_write_off(org=org, invoice=invoice, on=on, reason="Property test", amount_minor=part,
                                  actor=actor, now=now)
            ledger.last_day = max(ledger.last_day, on)
        elif kind == "apply" and ledger.invoices and ledger.sources:
            _, source_pick, invoice_pick, day = op
            source = ledger.sources[source_pick % len(ledger.sources)]
            invoice = ledger.invoices[invoice_pick % len(ledger.invoices)]
            source.refresh_from_db()
            invoice.refresh_from_db()
            if (source.unapplied_minor > 0 and invoice.open_minor > 0 and invoice.customer_id == source.customer_id
                    and invoice.currency == source.currency):
                on = START + timedelta(days=day)
                allocation = credit_apply(org=org, source=source, invoice=invoice, on=on, actor=actor, now=now)
                ledger.last_day = max(ledger.last_day, allocation.date)
    return ledger


def _sum(queryset) -> int:
    return queryset.aggregate(s=Sum("amount_minor"))["s"] or 0


def assert_ledger_invariants(org) -> None:
    """No negative balance, no cent lost, stored balances true, nothing crosses a line."""
    for invoice in Invoice.objects.for_org(org):
        allocations = Allocation.objects.filter(invoice=invoice)
        expected = (invoice.total_minor + _sum(Charge.objects.filter(invoice=invoice)) - _sum(allocations)
                    - _sum(WriteOff.objects.filter(invoice=invoice)))
        assert invoice.open_minor == expected, f"stored balance of {invoice.number} is not the formula"
        assert invoice.open_minor >= 0, f"{invoice.number} has a negative balance"
    for model, link in ((Payment, "payment"), (CreditNote, "credit_note")):
        for source in model.objects.for_org(org):
            allocations = Allocation.objects.filter(**{link: source})
            assert _sum(allocations) + source.unapplied_minor == source.amount_minor, f"{source} lost a cent"
            assert source.unapplied_minor >= 0
            for allocation in allocations.select_related("invoice"):
                assert allocation.org_id == org.pk == allocation.invoice.org_id
                assert allocation.invoice.customer_id == source.customer_id
                assert allocation.invoice.currency == source.currency
                assert allocation.date >= source.date


@pytest.fixture
def other_org_invoice(org_b, make_customer, make_invoice):
    """An open invoice in another organization that no example may touch."""
    return make_invoice(org_b, make_customer(org_b, ref="P0"), "INV-1", "250.00", currency="GBP")


@DB_SETTINGS
@given(ops=ledger_ops)
def test_random_ledgers_keep_every_balance_true_and_never_lose_a_cent(org_a, other_org_invoice, system, now, ops):
    with rolled_back():
        build_ledger(org_a, ops, actor=system, now=now)
        assert_ledger_invariants(org_a)
        other_org_invoice.refresh_from_db()
        assert other_org_invoice.open_minor == 25000
        assert not Allocation.objects.filter(invoice=other_org_invoice).exists()


@DB_SETTINGS
@given(ops=ledger_ops, amount=st.integers(1, 300_000), day=days, name=st.booleans())
def test_a_payment_never_makes_a_balance_negative_and_leaves_the_rest_on_account(
    org_a, system, now, ops, amount, day, name
):
    with rolled_back():
        ledger = build_ledger(org_a, ops, actor=system, now=now)
        customer = ledger.customers[0]
        named = next((i for i in ledger.invoices if i.customer_id == customer.pk and i.currency == "GBP"), None)
        on = START + timedelta(days=day)
        eligible = Invoice.objects.for_org(org_a).filter(customer=customer, currency="GBP", open_minor__gt=0)
        open_before = {i.pk: i.open_minor for i in eligible if i.issue_date <= on or (name and i == named)}
        payment = payment_record(org=org_a, customer=customer, date=on, amount_minor=amount, currency="GBP",
                                 invoice=named if name else None, actor=system, now=now)
        assert_ledger_invariants(org_a)
        applied = {a.invoice_id: a.amount_minor for a in payment.allocations.all()}
        assert set(applied) <= set(open_before)
        assert payment.unapplied_minor == max(0, amount - sum(open_before.values()))
        if name and named is not None and named.pk in open_before:
            assert applied[named.pk] == min(amount, open_before[named.pk])


def test_a_payment_naming_a_settled_invoice_pays_the_others_by_the_rule(org_a, make_customer, make_invoice, system,
                                                                          now):
    # Found by the property above: this used to crash with "payment names unknown item".
    customer = make_customer(org_a)
    paid = make_invoice(org_a, customer, "INV-1", "10.00", issue=date(2026, 1, 1))
    other = make_invoice(org_a, customer, "INV-2", "30.00", issue=date(2026, 1, 2))
    payment_record(org=org_a, customer=customer, date=date(2026, 1, 5), amount_minor=1000, currency="GBP",
                   invoice=paid, actor=system, now=now)
    again = payment_record(org=org_a, customer=customer, date=date(2026, 1, 6), amount_minor=5000, currency="GBP",
                           invoice=paid, actor=system, now=now)
    other.refresh_from_db()
    assert other.open_minor == 0
    assert again.unapplied_minor == 2000

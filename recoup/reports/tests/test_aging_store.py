"""Today's stored aging rows say what the live report says, whatever changed the ledger since they
were written, and are not used once the day has passed.

The property test writes the rows after a random ledger, then changes it further through the
ledger's actions (payments, credit notes, invoices one by one and in bulk, charges and waivers,
write-offs, credit applied, reversals, renames, a batch of named payments as bank and books imports
record them, and a bare SQL update as any other code might do) without writing them again, and
compares every stored row, the totals and the most overdue with ``aging(org, as_of=today)``.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recoup.ledger.actions import LedgerError, LineInput, payment_reverse
from recoup.ledger.bulk_actions import NamedPayment, NewInvoice, invoices_create_many, payments_record_named
from recoup.ledger.charge_actions import charge_waive
from recoup.ledger.customer_actions import customer_update
from recoup.ledger.models import Charge, Customer, Invoice, Payment
from recoup.ledger.tests.test_ledger_properties import (
    DB_SETTINGS,
    START,
    build_ledger,
    customer_index,
    ledger_ops,
    pick,
    replay,
    rolled_back,
)
from recoup.reports import aging_store
from recoup.reports.aging import aging
from recoup.reports.models import AgingChange, StoredAgingRow

TODAY = START + timedelta(days=90)  # some movements of the examples fall after it

names = st.sampled_from(["alpha", "Alpha", "beta", "Zed", "émile", "Émile", "Ærø", "o'brien", "O Brien", "b"])
extra_ops = st.lists(st.one_of(
    st.tuples(st.just("rename"), customer_index, names),
    st.tuples(st.just("bulk_invoices"), customer_index, st.integers(1, 90_000), st.integers(0, 120)),
    st.tuples(st.just("named_payments"), pick, st.integers(1, 100), st.integers(0, 120)),
    st.tuples(st.just("reverse"), pick),
    st.tuples(st.just("waive"), pick, st.integers(0, 60)),
    st.tuples(st.just("move_due"), pick, st.integers(-60, 60)),
), max_size=6)


def apply_extra(org, ledger, ops, *, actor, now) -> None:
    """The changes ``build_ledger`` does not make; ones that make no sense at that point are skipped."""
    for op in ops:
        kind = op[0]
        invoices = list(Invoice.objects.for_org(org).order_by("pk"))
        if kind == "rename":
            _, who, name = op
            customer_update(org=org, customer=Customer.objects.get(pk=ledger.customers[who].pk), actor=actor,
                            now=now, display_name=name)
        elif kind == "bulk_invoices":  # a CSV import or a sync from the books
            _, who, amount, day = op
            n = Invoice.objects.for_org(org).count()
            issue = START + timedelta(days=day)
            invoices_create_many(org=org, actor=actor, now=now, items=[
                NewInvoice(customer=ledger.customers[who], number=f"BULK-{n + k}", issue_date=issue, currency="GBP",
                           due_date=issue + timedelta(days=14 * k),
                           lines=[LineInput(description="Goods", quantity=Decimal(1),
                                            unit_price=Decimal(amount) / 100)])
                for k in range(2)])
        elif kind == "named_payments" and invoices:  # a bank statement's matched lines, a sync's payments
            _, which, percent, day = op
            chosen = [i for i in invoices[which % len(invoices)::2] if i.open_minor > 0][:3]
            try:
                payments_record_named(org=org, actor=actor, now=now, items=[
                    NamedPayment(invoice=i, date=max(i.issue_date, START + timedelta(days=day)),
                                 amount_minor=max(1, i.open_minor * percent // 100), reference="bank") for i in chosen])
            except LedgerError:
                pass
        elif kind == "reverse":
            payments = list(Payment.objects.for_org(org).order_by("pk"))
            if payments:
                try:
                    payment_reverse(org=org, payment=payments[op[1] % len(payments)], reason="Bounced",
                                    actor=actor, now=now)
                except LedgerError:
                    pass
        elif kind == "waive":
            charges = list(Charge.objects.for_org(org).order_by("pk"))
            if charges:
                charge = charges[op[1] % len(charges)]
                try:
                    charge_waive(org=org, charge=charge, on=charge.date + timedelta(days=op[2]), reason="Goodwill",
                                 actor=actor, now=now)
                except LedgerError:
                    pass
        elif kind == "move_due" and invoices:  # any code at all: a bare UPDATE, no action, no signal
            invoice = invoices[op[1] % len(invoices)]
            Invoice.objects.filter(pk=invoice.pk).update(due_date=invoice.due_date + timedelta(days=op[2]))


def key(row) -> tuple:
    return (row.customer_id, row.customer_ref, row.customer, row.currency, list(row.buckets_minor),
            row.credit_minor, row.total_minor, row.overdue_minor, row.oldest_overdue)


def assert_stored_is_live(org, today: date) -> None:
    assert aging_store.stored_is_current(org, today)
    live = aging(org=org, as_of=today)
    stored = [aging_store.as_aging_row(r) for r in aging_store.stored_rows(org)]
    assert [key(r) for r in stored] == [key(r) for r in live.rows]  # every row, in the report's order
    assert aging_store.stored_totals(org, today).totals_minor == live.totals_minor
    overdue = sorted((r for r in live.rows if r.overdue_minor > 0),
                     key=lambda r: (-r.overdue_minor, r.customer_ref, r.currency))[:10]
    assert [key(r) for r in aging_store.stored_most_overdue(org)] == [key(r) for r in overdue]
    assert not AgingChange.objects.filter(org_id=org.pk).exists()


@DB_SETTINGS
@given(before=ledger_ops, after=ledger_ops, extra=extra_ops, full=st.booleans())
def test_the_stored_rows_follow_every_ledger_change_after_they_were_written(org_a, system, now, before, after,
                                                                           extra, full):
    threshold = aging_store.FULL_REFRESH_AT
    aging_store.FULL_REFRESH_AT = 0 if full else threshold  # every row recomputed, or only the changed customers
    try:
        with rolled_back():
            ledger = build_ledger(org_a, before, actor=system, now=now)
            aging_store.store_write(org=org_a, on=TODAY, now=now)
            assert_stored_is_live(org_a, TODAY)
            replay(org_a, ledger, after, actor=system, now=now)
            apply_extra(org_a, ledger, extra, actor=system, now=now)
            assert_stored_is_live(org_a, TODAY)
    finally:
        aging_store.FULL_REFRESH_AT = threshold


def test_changes_are_noted_per_customer_and_forgotten_once_folded_in(org_a, org_b, make_customer, make_invoice,
                                                                     system, now):
    north, south = make_customer(org_a, ref="N"), make_customer(org_a, ref="S")
    make_invoice(org_a, north, "N-1", "100.00", issue=date(2026, 1, 1), due=date(2026, 1, 31))
    other = make_invoice(org_b, make_customer(org_b, ref="X"), "X-1", "10.00")
    aging_store.store_write(org=org_a, on=date(2026, 3, 31), now=now)
    make_invoice(org_a, south, "S-1", "40.00", issue=date(2026, 3, 1), due=date(2026, 3, 15))
    Invoice.objects.filter(pk=other.pk).update(due_date=date(2026, 1, 1))  # org_b has no stored rows: no note
    assert set(AgingChange.objects.values_list("org_id", "customer_id")) == {(org_a.pk, south.pk)}
    assert aging_store.stored_is_current(org_a, date(2026, 3, 31))
    assert not AgingChange.objects.exists()
    assert {r.ref: r.total_minor for r in aging_store.stored_rows(org_a)} == {"N": 10000, "S": 4000}


def test_an_erased_customers_name_leaves_the_stored_rows_at_once(org_a, make_customer, make_invoice,
                                                                  system, now):
    from recoup.ledger.actions import credit_note_record
    from recoup.ops.debtor import debtor_erase

    customer = make_customer(org_a, ref="C", name="Jane Doe Trading")
    credit_note_record(org=org_a, customer=customer, number="CN-1", date=date(2026, 2, 1), amount_minor=500,
                       currency="GBP", actor=system, now=now)  # credit on account: a row, and no open debt
    aging_store.store_write(org=org_a, on=date(2026, 3, 31), now=now)
    assert [r.name for r in aging_store.stored_rows(org_a)] == ["Jane Doe Trading"]
    assert debtor_erase(org=org_a, customer=customer, reason="Asked by e-mail", actor=system, now=now).erased
    assert not StoredAgingRow.objects.filter(name__contains="Jane").exists()  # before any page folds it in
    assert aging_store.stored_is_current(org_a, date(2026, 3, 31))
    assert [r.name for r in aging_store.stored_rows(org_a)] == ["Erased customer C"]


def test_rows_of_an_earlier_day_are_not_current(org_a, make_customer, make_invoice, system, now):
    customer = make_customer(org_a, ref="C")
    make_invoice(org_a, customer, "C-1", "100.00", issue=date(2026, 1, 1), due=date(2026, 1, 31))
    aging_store.store_write(org=org_a, on=date(2026, 3, 30), now=now)
    assert not aging_store.stored_is_current(org_a, date(2026, 3, 31))
    assert aging_store.stored_is_current(org_a, date(2026, 3, 30))
    # An older day never replaces a newer one.
    aging_store.store_write(org=org_a, on=date(2026, 3, 31), now=now)
    assert aging_store.store_write(org=org_a, on=date(2026, 3, 1), now=now) is None
    assert aging_store.stored_is_current(org_a, date(2026, 3, 31))


def test_every_trigger_is_installed_and_a_lost_one_comes_back_after_migrate(db):
    from django.core.management import call_command
    from django.db import connection

    from recoup.reports import triggers

    assert triggers.installed_names(connection) == triggers.expected_names(connection.vendor)
    with connection.cursor() as cursor:  # as a SQLite table rebuild by a later migration would
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER reports_aging_change_ledger_invoice_update")
        else:
            cursor.execute("DROP TRIGGER reports_aging_change_ledger_invoice_update ON ledger_invoice")
    assert "reports_aging_change_ledger_invoice_update" not in triggers.installed_names(connection)
    call_command("migrate", verbosity=0)
    assert triggers.installed_names(connection) == triggers.expected_names(connection.vendor)


@pytest.mark.postgres
def test_the_stored_order_is_pythons_on_postgresql_too(org_a, make_customer, make_invoice, system, now):
    for i, name in enumerate(["b", "Émile", "alpha", "O Brien", "o'brien", "Zed", "émile", "Ærø"]):
        make_invoice(org_a, make_customer(org_a, ref=f"C{i}", name=name), f"I-{i}", "10.00",
                     issue=date(2026, 1, 1), due=date(2026, 1, 31))
    aging_store.store_write(org=org_a, on=date(2026, 3, 31), now=now)
    live = aging(org=org_a, as_of=date(2026, 3, 31))
    assert [r.ref for r in aging_store.stored_rows(org_a)] == [r.customer_ref for r in live.rows]
    # Whatever the database's own collation (en_US sorts "o'brien" among the "ob..."), code point order:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT column_name, collation_name FROM information_schema.columns"
                       " WHERE table_name = 'reports_storedagingrow' AND column_name IN ('sort_name', 'ref')")
        assert dict(cursor.fetchall()) == {"sort_name": "C", "ref": "C"}


def test_the_totals_are_summed_off_their_own_index_on_sqlite(org_a, make_customer, make_invoice, system, now):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's plan (PostgreSQL sums the rows in C either way)")
    customer = make_customer(org_a, ref="C1", name="Harbour Cafe")
    make_invoice(org_a, customer, "INV-1", "50.00", issue=TODAY - timedelta(days=40))
    aging_store.store_write(org=org_a, on=TODAY, now=now)
    with CaptureQueriesContext(connection) as queries:
        totals = aging_store.stored_totals(org_a, TODAY).totals_minor
    assert totals["GBP"]["total"] == 5000
    (summed,) = [q["sql"] for q in queries.captured_queries if "SUM(" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + summed)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "COVERING INDEX stored_aging_totals" in plan, plan

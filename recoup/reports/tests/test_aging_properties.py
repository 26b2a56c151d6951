"""Property tests of the SQL aging report against random ledgers built through the actions.

The oracle recomputes the report in Python from the rows dated on or before
the as-of date, with the pure rules of ``recoup.core.aging`` and
``recoup.core.ledger``; the SQL must agree to the cent.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from recoup.core.aging import DEFAULT_EDGES, AgingItem, age_items
from recoup.core.ledger import Movement, MovementKind, open_balance_minor
from recoup.core.money import from_minor
from recoup.ledger.models import Allocation, Charge, CreditNote, Invoice, Payment, WriteOff
from recoup.ledger.tests.test_ledger_properties import (
    DB_SETTINGS,
    START,
    build_ledger,
    days,
    ledger_ops,
    rolled_back,
)
from recoup.reports.aging import aging, aging_totals

edges_choices = st.sampled_from([DEFAULT_EDGES, (7,), (15, 45), (1, 2, 3, 30, 365)])


def report_rows(report) -> dict[tuple[str, str], tuple[list[Decimal], Decimal]]:
    return {(r.customer_ref, r.currency): (list(r.buckets), r.credit) for r in report.rows}


def oracle_rows(org, as_of: date, edges) -> dict[tuple[str, str], tuple[list[Decimal], Decimal]]:
    """The aging report recomputed in Python from the rows dated on or before ``as_of``."""
    moves: dict[int, list[Movement]] = defaultdict(list)
    for invoice_id, payment_id, on, minor in Allocation.objects.for_org(org).values_list(
        "invoice_id", "payment_id", "date", "amount_minor"
    ):
        kind = MovementKind.ALLOCATION if payment_id else MovementKind.CREDIT
        moves[invoice_id].append(Movement(kind, on, minor))
    for model, kind in ((Charge, MovementKind.CHARGE), (WriteOff, MovementKind.WRITEOFF)):
        for invoice_id, on, minor in model.objects.for_org(org).values_list("invoice_id", "date", "amount_minor"):
            moves[invoice_id].append(Movement(kind, on, minor))

    items: dict[tuple[str, str], list[AgingItem]] = defaultdict(list)
    for invoice in Invoice.objects.for_org(org).filter(issue_date__lte=as_of).select_related("customer"):
        open_minor = open_balance_minor(total_minor=invoice.total_minor, movements=moves[invoice.pk], as_of=as_of)
        items[(invoice.customer.ref, invoice.currency)].append(
            AgingItem(issue_date=invoice.issue_date, due_date=invoice.due_date, open_minor=open_minor))

    credit: dict[tuple[str, str], int] = defaultdict(int)
    for model, link in ((Payment, "payment"), (CreditNote, "credit_note")):
        for source in model.objects.for_org(org).filter(date__lte=as_of).select_related("customer"):
            applied = sum(a.amount_minor for a in Allocation.objects.filter(**{link: source}) if a.date <= as_of)
            credit[(source.customer.ref, source.currency)] += source.amount_minor - applied

    rows = {}
    for key in set(items) | set(credit):
        currency = key[1]
        buckets = age_items(items[key], as_of=as_of, edges=edges)
        if any(buckets) or credit[key]:
            rows[key] = ([from_minor(b, currency) for b in buckets], from_minor(-credit[key], currency))
    return rows


def assert_report_adds_up(report) -> None:
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in report.rows:
        assert sum(row.buckets) + row.credit == row.total
        assert row.credit <= 0
        for label, value in zip(report.labels, row.buckets):
            totals[row.currency][label] += value
        totals[row.currency]["credit"] += row.credit
        totals[row.currency]["total"] += row.total
    assert {cur: dict(t) for cur, t in totals.items()} == report.totals


@DB_SETTINGS
@given(ops=ledger_ops)
def test_after_everything_the_buckets_sum_to_the_stored_open_balances_less_credit(org_a, system, now, ops):
    with rolled_back():
        ledger = build_ledger(org_a, ops, actor=system, now=now)
        report = aging(org=org_a, as_of=ledger.last_day)
        assert_report_adds_up(report)
        expected: dict[tuple[str, str], int] = defaultdict(int)
        for invoice in Invoice.objects.for_org(org_a).select_related("customer"):
            expected[(invoice.customer.ref, invoice.currency)] += invoice.open_minor
        for model in (Payment, CreditNote):
            for source in model.objects.for_org(org_a).select_related("customer"):
                expected[(source.customer.ref, source.currency)] -= source.unapplied_minor
        totals = {(r.customer_ref, r.currency): r.total for r in report.rows}
        assert {key: total for key, total in totals.items() if total} == {
            key: from_minor(minor, key[1]) for key, minor in expected.items() if minor
        }


@DB_SETTINGS
@given(ops=ledger_ops, day=st.integers(-1, 220), edges=edges_choices)
def test_aging_as_of_any_date_matches_the_rows_dated_on_or_before_it(org_a, system, now, ops, day, edges):
    with rolled_back():
        build_ledger(org_a, ops, actor=system, now=now)
        as_of = START + timedelta(days=day)
        report = aging(org=org_a, as_of=as_of, edges=edges)
        assert_report_adds_up(report)
        assert report_rows(report) == oracle_rows(org_a, as_of, edges)

        by_invoice = aging(org=org_a, as_of=as_of, edges=edges, by="invoice")
        assert by_invoice.totals == report.totals
        assert aging_totals(org=org_a, as_of=as_of, edges=edges).totals == report.totals


@DB_SETTINGS
@given(ops=ledger_ops, day=st.integers(0, 220))
def test_aging_total_is_what_was_invoiced_and_charged_less_what_was_received_by_that_date(
    org_a, system, now, ops, day
):
    with rolled_back():
        build_ledger(org_a, ops, actor=system, now=now)
        as_of = START + timedelta(days=day)
        owed: dict[str, int] = defaultdict(int)
        for invoice in Invoice.objects.for_org(org_a).filter(issue_date__lte=as_of):
            owed[invoice.currency] += invoice.total_minor
            owed[invoice.currency] += sum(c.amount_minor for c in invoice.charges.filter(date__lte=as_of))
            owed[invoice.currency] -= sum(w.amount_minor for w in invoice.write_offs.filter(date__lte=as_of))
        for model in (Payment, CreditNote):
            for source in model.objects.for_org(org_a).filter(date__lte=as_of):
                owed[source.currency] -= source.amount_minor
        report = aging(org=org_a, as_of=as_of)
        assert {cur: t["total"] for cur, t in report.totals.items() if t["total"]} == {
            cur: from_minor(minor, cur) for cur, minor in owed.items() if minor
        }


@DB_SETTINGS
@given(ops=ledger_ops)
def test_as_of_the_day_before_a_payment_the_report_ignores_it(org_a, system, now, ops):
    def record_and_compare(day: date, record):
        before = aging(org=org_a, as_of=day - timedelta(days=1)).as_json()
        source = record()
        assert aging(org=org_a, as_of=day - timedelta(days=1)).as_json() == before
        return source

    with rolled_back():
        build_ledger(org_a, ops, actor=system, now=now, record_source=record_and_compare)


@DB_SETTINGS
@given(ops=ledger_ops, day=days)
def test_another_organizations_ledger_never_shows_in_the_report(org_a, org_b, system, now, ops, day):
    with rolled_back():
        build_ledger(org_b, ops, actor=system, now=now)
        as_of = START + timedelta(days=day)
        assert aging(org=org_a, as_of=as_of).rows == []
        assert report_rows(aging(org=org_b, as_of=as_of)) == oracle_rows(org_b, as_of, DEFAULT_EDGES)

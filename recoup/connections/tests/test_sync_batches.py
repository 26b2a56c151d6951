"""A page's records written together cost a few statements, not several per record, and leave
exactly what writing them one by one leaves; an incremental sync reads only what changed."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from recoup.audit.models import AuditEvent
from recoup.connections import batches, crypto
from recoup.connections.models import Connection, ConnectionStatus
from recoup.connections.sync import sync_connection
from recoup.connections.tests.snapshots import ledger_snapshot, open_by_customer
from recoup.connections.tests.xero_double import XeroDouble, ms
from recoup.ledger.models import Customer, Invoice, Payment


def seed(double: XeroDouble, contacts: int, invoices: int) -> list[str]:
    rng = random.Random(contacts * 1000 + invoices)
    people = [double.add_contact(f"Customer {i}", f"c{i}@example.test" if i % 3 else "not-an-address", f"C-{i}")
              for i in range(contacts)]
    ids = [double.add_invoice(people[i % contacts], f"INV-{i:05d}", f"{rng.randint(100, 99999) / 100:.2f}",
                              status="DRAFT" if i % 17 == 5 else "AUTHORISED") for i in range(invoices)]
    for n, iid in enumerate(ids):
        if double.invoices[iid]["Status"] != "AUTHORISED":
            continue
        if n % 3 == 0:
            double.pay(iid, str(double.invoices[iid]["Total"]))
        elif n % 7 == 1:
            double.pay(iid, "1.00")
            double.pay(iid, "0.50")
        elif n % 11 == 2:
            double.credit(iid, f"CN-{n // 40}", "0.25")  # numbers repeat: the books allow it, Recoup does not
    return ids


def connect(org, double, monkeypatch, now) -> Connection:
    from recoup.connections import providers

    monkeypatch.setattr(providers, "TRANSPORT", double.transport())
    return Connection.objects.create(
        org=org, provider="xero", status=ConnectionStatus.ACTIVE, remote_id="tenant-1", remote_name="Demo",
        access_token_enc=crypto.encrypt("access-1"), refresh_token_enc=crypto.encrypt("refresh-1"),
        token_expires_at=now + timedelta(days=365), payment_account="090", connected_at=now)


def trail(org) -> list[tuple]:
    """The audit trail with ids named by what they are (numbers, references)."""
    names = {("invoice", pk): n for pk, n in Invoice.objects.for_org(org).values_list("pk", "number")}
    names |= {("customer", pk): r for pk, r in Customer.objects.for_org(org).values_list("pk", "ref")}
    names |= {("payment", pk): f"{ref}:{r}" for pk, ref, r in Payment.objects.for_org(org).values_list(
        "pk", "customer__ref", "reference")}
    invoices = {str(pk): n for (kind, pk), n in names.items() if kind == "invoice"}
    out = []
    for verb, kind, subject, customer, summary, data in AuditEvent.objects.for_org(org).order_by("seq").values_list(
            "verb", "subject_type", "subject_id", "customer_id", "summary", "data"):
        if verb == "payment.recorded":
            data = {**data, "allocations": {invoices[k]: v for k, v in data["allocations"].items()}}
        out.append((verb, names.get((kind, subject), kind), names.get(("customer", customer)), summary, data))
    return [e for e in out if not e[0].startswith(("org.", "connection."))]


def one_by_one(monkeypatch) -> None:
    """Every record through ``PageWriter.apply``, as before pages were written in batches."""
    monkeypatch.setattr(batches.PageBatch, "add", lambda self, record: self.w.apply(record))


def test_a_sync_in_batches_leaves_the_ledger_and_trail_that_one_by_one_leaves(org_a, org_b, clock, monkeypatch, now):
    double = XeroDouble()
    ids = seed(double, contacts=12, invoices=60)
    connections = {org_a: connect(org_a, double, monkeypatch, now), org_b: connect(org_b, double, monkeypatch, now)}

    def both(at) -> tuple:
        batched = sync_connection(connection=Connection.objects.get(pk=connections[org_a].pk), now=at)
        with monkeypatch.context() as m:
            one_by_one(m)
            single = sync_connection(connection=Connection.objects.get(pk=connections[org_b].pk), now=at)
        assert batched.ok and single.ok, (batched.error, single.error)
        assert batched.counts == single.counts
        assert ledger_snapshot(org_a) == ledger_snapshot(org_b)
        assert trail(org_a) == trail(org_b)
        assert open_by_customer(org_a) == {k: v for k, v in double.amounts_due().items() if v}
        return batched.counts

    first = both(now)
    assert first["contact_details_refused"] == 4 and first["drafts_skipped"] == 4
    # Then, in the books: voids (one part paid, one credited), payments, a credit, a new invoice.
    open_ids = [i for i in ids if double.invoices[i]["Status"] == "AUTHORISED"]
    for i in open_ids[:3]:
        double.void(i)
    double.pay(open_ids[3], "3.00")
    double.credit(open_ids[4], "CN-LATER", "1.00")
    double.add_invoice(double.invoices[open_ids[5]]["Contact"]["ContactID"], "INV-LATER", "10.00")
    later = both(now + timedelta(hours=1))
    assert later["invoices_voided"] == 3 and later["invoices_created"] == 1


def statements(org, double, monkeypatch, now) -> int:
    with CaptureQueriesContext(db) as ctx:
        assert sync_connection(connection=connect(org, double, monkeypatch, now), now=now).ok
    return len(ctx.captured_queries)


def test_a_first_sync_costs_a_few_statements_a_page_not_several_a_record(org_a, org_b, clock, monkeypatch, now):
    small, large = XeroDouble(), XeroDouble()
    seed(small, contacts=5, invoices=20)
    seed(large, contacts=50, invoices=200)  # ten times the records, still one page of each stream
    more = sum(map(len, (large.contacts, large.invoices, large.payments, large.credit_notes))) - \
        sum(map(len, (small.contacts, small.invoices, small.payments, small.credit_notes)))
    few, many = statements(org_a, small, monkeypatch, now), statements(org_b, large, monkeypatch, now)
    # The database takes a few hundred rows an INSERT: what grows is their number, not one per record.
    assert (many - few) / more < 0.2, f"{few} statements for 20 invoices, {many} for 200 ({more} more records)"


def test_an_incremental_sync_reads_only_what_changed(org_a, org_b, clock, monkeypatch, now):
    counts, plans = [], []
    for org, size in ((org_a, 20), (org_b, 300)):
        double = XeroDouble()
        ids = seed(double, contacts=size // 4, invoices=size)
        connection = connect(org, double, monkeypatch, now)
        assert sync_connection(connection=connection, now=now).ok
        open_ids = [i for i in ids if double.invoices[i]["Status"] == "AUTHORISED"][:4]
        double.pay(open_ids[0], "2.00")
        double.void(open_ids[1])
        double.invoices[open_ids[2]].update(DueDate="2026-04-30T00:00:00", UpdatedDateUTC=ms(double.tick()))
        double.add_invoice(double.invoices[open_ids[3]]["Contact"]["ContactID"], "INV-NEW", "12.34")
        with CaptureQueriesContext(db) as ctx:
            again = sync_connection(connection=Connection.objects.get(pk=connection.pk), now=now + timedelta(hours=1))
        assert again.ok, again.error
        assert (again.counts.get("payments_created"), again.counts.get("invoices_voided"),
                again.counts.get("invoices_updated"), again.counts.get("invoices_created")) == (1, 1, 1, 1)
        counts.append(len(ctx.captured_queries))
        plans.append(_scans([q["sql"] for q in ctx.captured_queries]))
    assert counts[0] == counts[1], f"an incremental sync of a ledger 15 times larger ran {counts[1]} statements, not {counts[0]}"
    assert plans == [[], []], "a table read whole by an incremental sync"


LEDGER_TABLES = ("ledger_", "connections_", "audit_")


def _scans(queries: list[str]) -> list[str]:
    """The reads (on SQLite) that walk a whole ledger, connections or audit table instead of an index."""
    if db.vendor != "sqlite":
        return []
    found = []
    with db.cursor() as cursor:
        for sql in queries:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            found += [f"{row[-1]}: {sql[:160]}" for row in cursor.fetchall()
                      if row[-1].startswith("SCAN") and any(t in row[-1] for t in LEDGER_TABLES)]
    return found


def test_an_invoice_the_ledger_refuses_in_a_batch_is_named_as_one_by_one_would(org_a, clock, monkeypatch, now):
    double = XeroDouble()
    seed(double, contacts=3, invoices=9)
    bad = double.add_invoice(next(iter(double.contacts)), "INV-BAD", "10.00", date="2026-03-05", due="2026-03-01")
    result = sync_connection(connection=connect(org_a, double, monkeypatch, now), now=now)
    assert not result.ok
    assert result.error == f"Xero invoice INV-BAD ({bad}): due date 2026-03-01 is before issue date 2026-03-05"
    assert not Invoice.objects.for_org(org_a).exists(), "the page is not written"


@pytest.mark.parametrize("twice", ["INV-00001", "INV-00002"])
def test_an_invoice_number_twice_in_a_page_is_refused_as_one_by_one(org_a, clock, monkeypatch, now, twice):
    double = XeroDouble()
    seed(double, contacts=3, invoices=6)
    double.add_invoice(next(iter(double.contacts)), twice, "10.00")
    result = sync_connection(connection=connect(org_a, double, monkeypatch, now), now=now)
    assert not result.ok and f"Recoup already has an invoice {twice}" in result.error

"""The hash chain: every edit of history is found, and the first broken event is named."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from recoup.audit.actions import Actor, record
from recoup.audit.models import AuditEvent, AuditHead
from recoup.audit.selectors import chain_verify, customer_events, events_jsonl, invoice_events


@pytest.fixture
def history(org_a, org_b, make_customer, make_invoice, now):
    """Invoices in both organizations: org_a's chain has a handful of events."""
    alpha = make_customer(org_a, "C1", "Alpha Ltd")
    for n in range(1, 4):
        make_invoice(org_a, alpha, f"A-{n}", "120.00")
    make_invoice(org_b, make_customer(org_b, "C1", "Beta Inc"), "B-1", "50.00")
    return alpha


pytestmark = pytest.mark.usefixtures("as_database_superuser")


def verify_text(org) -> str:
    with pytest.raises(CommandError):
        call_command("audit", "verify", "--org", org.slug, stdout=(out := __import__("io").StringIO()))
    return out.getvalue()


def test_it_chains_each_organization_separately(history, org_a, org_b):
    seqs = list(AuditEvent.objects.for_org(org_a).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    first_b = AuditEvent.objects.for_org(org_b).order_by("seq").first()
    assert first_b.seq == 1 and first_b.prev_hash == "0" * 64
    assert chain_verify(org_a).ok and chain_verify(org_b).ok
    assert AuditHead.objects.get(org=org_a).seq == len(seqs)


def test_it_names_the_event_whose_amount_was_changed(history, org_a, org_b):
    event = AuditEvent.objects.for_org(org_a).get(verb="invoice.created", subject_id__isnull=False,
                                                  data__total="120.00", summary__contains="A-2")
    AuditEvent.objects.filter(pk=event.pk).update(data={**event.data, "total": "12.00"})
    report = chain_verify(org_a)
    assert not report.ok and report.broken_seq == event.seq and "content changed" in report.problem
    assert f"event #{event.seq} (id {event.pk})" in verify_text(org_a)
    assert chain_verify(org_b).ok, "another organization's chain is untouched"


def test_it_names_the_gap_where_an_event_was_deleted(history, org_a):
    event = AuditEvent.objects.for_org(org_a).order_by("seq")[2]
    AuditEvent.objects.filter(pk=event.pk).delete()
    report = chain_verify(org_a)
    assert not report.ok and report.broken_seq == event.seq and "missing" in report.problem


def test_it_notices_the_last_event_deleted(history, org_a):
    last = AuditEvent.objects.for_org(org_a).order_by("-seq").first()
    AuditEvent.objects.filter(pk=last.pk).delete()
    report = chain_verify(org_a)
    assert not report.ok and report.broken_seq == last.seq and "end deleted" in report.problem


def test_it_names_the_first_of_two_reordered_events(history, org_a):
    second, third = AuditEvent.objects.for_org(org_a).order_by("seq")[1:3]
    AuditEvent.objects.filter(pk=second.pk).update(seq=0)
    AuditEvent.objects.filter(pk=third.pk).update(seq=second.seq)
    AuditEvent.objects.filter(pk=second.pk).update(seq=third.seq)
    report = chain_verify(org_a)
    assert not report.ok and report.broken_seq == second.seq


def test_it_notices_a_rewritten_chain_that_did_not_update_the_head(history, org_a):
    last = AuditEvent.objects.for_org(org_a).order_by("-seq").first()
    forged = {**last.content(), "summary": "nothing happened"}
    from recoup.audit.chain import event_hash
    AuditEvent.objects.filter(pk=last.pk).update(summary="nothing happened", hash=event_hash(**forged))
    report = chain_verify(org_a)
    assert not report.ok and "head" in report.problem


def test_verify_command_reports_every_organization(history, capsys):
    call_command("audit", "verify", "--format", "json", stdout=(out := __import__("io").StringIO()))
    rows = json.loads(out.getvalue())
    assert {r["org"] for r in rows} == {"acme", "bolt"} and all(r["ok"] for r in rows)


def test_export_is_json_lines_of_one_organization(history, org_a, tmp_path):
    path = tmp_path / "audit.jsonl"
    call_command("audit", "export", "--org", "acme", "--output", str(path))
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert rows and {r["org"] for r in rows} == {"acme"}
    assert [r["seq"] for r in rows] == sorted(r["seq"] for r in rows)
    assert rows[1]["prev_hash"] == rows[0]["hash"]
    assert "".join(events_jsonl(org_a, customer=history)).count("\n") == customer_events(org_a, history).count()


def test_events_per_invoice_stay_in_their_organization(history, org_a, org_b):
    from recoup.ledger.models import Invoice

    invoice = Invoice.objects.for_org(org_a).get(number="A-1")
    verbs = list(invoice_events(org_a, invoice).values_list("verb", flat=True))
    assert verbs == ["invoice.created"]
    assert not invoice_events(org_b, invoice).exists()


def test_record_keeps_json_as_it_reads_back(org_a, now):
    event = record(org=org_a, actor=Actor.system("t"), at=now, verb="x.y", subject=org_a, summary="s",
                   data={1: ("a", 2)})
    assert event.data == {"1": ["a", 2]}
    assert chain_verify(org_a).ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_refuses_update_and_delete(org_a, now):
    from django.db import DatabaseError, transaction

    event = record(org=org_a, actor=Actor.system("t"), at=now, verb="x.y", subject=org_a, summary="s")
    for sql in ("UPDATE audit_auditevent SET summary = 'edited' WHERE id = %s",
                "DELETE FROM audit_auditevent WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).summary == "s"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_do_not_fork_the_chain(org_a, now):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections, transaction

    def write(n: int) -> None:
        try:
            for i in range(10):
                with transaction.atomic():
                    record(org=org_a, actor=Actor.system(f"w{n}"), at=now, verb="x.y", subject=org_a,
                           summary=f"{n}-{i}")
        finally:
            connections.close_all()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(4)))
    before = AuditEvent.objects.for_org(org_a).filter(verb="x.y").count()
    assert before == 40 and chain_verify(org_a).ok


def test_events_recorded_together_chain_exactly_as_one_by_one(org_a, system, now):
    from recoup.audit.actions import Event, record_many

    record(org=org_a, actor=system, at=now, verb="test.one", subject=org_a, summary="before")
    made = record_many(org=org_a, actor=system, events=[
        Event(at=now, verb="test.many", subject=org_a, summary=f"event {i}", data={"i": i}) for i in range(3)])
    record(org=org_a, actor=system, at=now, verb="test.one", subject=org_a, summary="after")
    assert [e.seq for e in made] == [e.seq for e in AuditEvent.objects.filter(verb="test.many").order_by("seq")]
    assert chain_verify(org_a).ok

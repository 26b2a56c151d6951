"""``audit.batch``: events recorded inside it are appended when it ends, as if recorded one by one."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.audit.models import AuditEvent
from recoup.audit.selectors import chain_verify


def _content(org) -> list[tuple]:
    return list(AuditEvent.objects.for_org(org).order_by("seq").values_list(
        "seq", "verb", "subject_type", "subject_id", "customer_id", "summary", "data", "actor_label"))


def _write(org, customer, now, system) -> None:
    portal = Actor.system("portal")
    audit.record(org=org, actor=system, at=now, verb="t.first", subject=customer, customer=customer, summary="one",
                 data={"n": (1, 2)})
    audit.record(org=org, actor=portal, at=now, verb="t.second", subject=org, summary="two")
    audit.record(org=org, actor=system, at=now, verb="t.third", subject=customer, customer=customer, summary="three")


def test_a_batch_writes_the_same_chain_as_one_by_one(org_a, org_b, make_customer, now, system):
    one, two = make_customer(org_a, "C1", "Alpha Ltd"), make_customer(org_b, "C1", "Alpha Ltd")
    _write(org_a, one, now, system)
    with audit.batch():
        _write(org_b, two, now, system)
        assert not AuditEvent.objects.for_org(org_b).filter(verb__startswith="t.").exists(), "nothing written yet"
    assert chain_verify(org_a).ok and chain_verify(org_b).ok
    a = [row[1:] for row in _content(org_a) if row[1].startswith("t.")]
    b = [row[1:] for row in _content(org_b) if row[1].startswith("t.")]
    ids = {one.pk: "c", two.pk: "c", org_a.pk: "o", org_b.pk: "o"}
    assert [(v, t, ids[s], ids.get(c), *rest) for v, t, s, c, *rest in a] == \
           [(v, t, ids[s], ids.get(c), *rest) for v, t, s, c, *rest in b]
    assert [r[0] for r in b] == ["t.first", "t.second", "t.third"]


def test_record_returns_nothing_inside_a_batch(org_a, now, system):
    with audit.batch():
        assert audit.record(org=org_a, actor=system, at=now, verb="t.x", subject=org_a, summary="s") is None
    assert AuditEvent.objects.for_org(org_a).filter(verb="t.x").count() == 1


def test_an_exception_leaving_the_batch_drops_its_events(org_a, now, system):
    with pytest.raises(RuntimeError), transaction.atomic(), audit.batch():
        audit.record(org=org_a, actor=system, at=now, verb="t.x", subject=org_a, summary="s")
        raise RuntimeError("rolled back")
    assert not AuditEvent.objects.for_org(org_a).filter(verb="t.x").exists()
    audit.record(org=org_a, actor=system, at=now, verb="t.after", subject=org_a, summary="s")
    assert chain_verify(org_a).ok


def test_an_event_of_a_savepoint_rolled_back_inside_the_batch_is_dropped(org_a, now, system):
    callbacks = len(connection.run_on_commit)
    with audit.batch():
        audit.record(org=org_a, actor=system, at=now, verb="t.kept", subject=org_a, summary="before")
        try:
            with transaction.atomic():
                audit.record(org=org_a, actor=system, at=now, verb="t.gone", subject=org_a, summary="undone")
                raise RuntimeError("undone")
        except RuntimeError:
            pass
        with transaction.atomic():
            audit.record(org=org_a, actor=system, at=now, verb="t.kept", subject=org_a, summary="after")
    assert [r[5] for r in _content(org_a) if r[1].startswith("t.")] == ["before", "after"]
    assert chain_verify(org_a).ok
    assert len(connection.run_on_commit) == callbacks, "the batch leaves no callbacks of its own behind"


def test_nested_batches_write_once_when_the_outer_one_ends(org_a, now, system):
    with audit.batch():
        with audit.batch():
            audit.record(org=org_a, actor=system, at=now, verb="t.inner", subject=org_a, summary="s")
        assert not AuditEvent.objects.for_org(org_a).filter(verb="t.inner").exists()
    assert AuditEvent.objects.for_org(org_a).filter(verb="t.inner").count() == 1


def test_events_recorded_together_inside_a_batch_keep_their_place_among_the_others(org_a, now, system):
    # A sync page records customers one by one and invoices many at once: the chain tells it in that order.
    with audit.batch():
        audit.record(org=org_a, actor=system, at=now, verb="t.before", subject=org_a, summary="s")
        assert audit.record_many(org=org_a, actor=system, events=[
            audit.Event(at=now, verb="t.many", subject=org_a, summary=f"{i}") for i in range(2)]) == []
        audit.record(org=org_a, actor=system, at=now, verb="t.after", subject=org_a, summary="s")
        assert not AuditEvent.objects.for_org(org_a).filter(verb__startswith="t.").exists(), "nothing written yet"
    assert [row[1] for row in _content(org_a) if row[1].startswith("t.")] == ["t.before", "t.many", "t.many", "t.after"]
    assert chain_verify(org_a).ok


def test_events_recorded_together_in_a_savepoint_rolled_back_inside_the_batch_are_dropped(org_a, now, system):
    with audit.batch():
        try:
            with transaction.atomic():
                audit.record_many(org=org_a, actor=system, events=[
                    audit.Event(at=now, verb="t.gone", subject=org_a, summary="s")])
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        audit.record(org=org_a, actor=system, at=now, verb="t.kept", subject=org_a, summary="s")
    assert [row[1] for row in _content(org_a) if row[1].startswith("t.")] == ["t.kept"]

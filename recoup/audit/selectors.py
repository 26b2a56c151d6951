"""Reading the audit trail: per customer, per invoice, the chain check and the JSON Lines export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from recoup.audit.chain import GENESIS, event_hash
from recoup.audit.models import AuditEvent, AuditHead
from recoup.orgs.models import Organization


def customer_events(org: Organization, customer: Any) -> QuerySet[AuditEvent]:
    """Every event about one customer, in chain order."""
    return AuditEvent.objects.for_org(org).filter(customer_id=customer.pk).order_by("seq")


def invoice_events(org: Organization, invoice: Any) -> QuerySet[AuditEvent]:
    """Events about one invoice or a movement on it (allocation, payment, credit note, charge, write-off)."""
    allocations = invoice.allocations.all()
    subjects = (
        Q(subject_type="invoice", subject_id=invoice.pk)
        | Q(subject_type="allocation", subject_id__in=allocations.values("pk"))
        | Q(subject_type="payment", subject_id__in=allocations.filter(payment__isnull=False).values("payment_id"))
        | Q(subject_type="creditnote", subject_id__in=allocations.filter(credit_note__isnull=False).values("credit_note_id"))
        | Q(subject_type="charge", subject_id__in=invoice.charges.values("pk"))
        | Q(subject_type="writeoff", subject_id__in=invoice.write_offs.values("pk"))
    )
    return AuditEvent.objects.for_org(org).filter(subjects).order_by("seq")


@dataclass(frozen=True)
class ChainReport:
    org: str
    events: int
    ok: bool
    broken_seq: int | None = None
    broken_id: int | None = None
    problem: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"org": self.org, "events": self.events, "ok": self.ok, "broken_seq": self.broken_seq,
                "broken_id": self.broken_id, "problem": self.problem}

    def text(self) -> str:
        if self.ok:
            return f"{self.org}: {self.events} events, chain verifies"
        where = f"event #{self.broken_seq}" + (f" (id {self.broken_id})" if self.broken_id else "")
        return f"{self.org}: chain BROKEN at {where}: {self.problem}"


def chain_verify(org: Organization) -> ChainReport:
    """Walk the organization's chain in sequence order and name the first event that does not fit.

    Detects a changed field (the stored hash no longer matches the content), a deleted
    event (a gap in the sequence, or the head ahead of the last event), and two events
    swapped or re-numbered (the previous-hash link or the content hash breaks).
    """
    expected_seq, prev, count = 1, GENESIS, 0
    for event in AuditEvent.objects.for_org(org).order_by("seq", "id").iterator(chunk_size=2000):
        count += 1

        def broken(problem: str, seq: int = event.seq, pk: int | None = event.pk) -> ChainReport:
            return ChainReport(org.slug, count, False, seq, pk, problem)

        if event.seq != expected_seq:
            what = "missing" if event.seq > expected_seq else "repeated"
            return broken(f"sequence jumps from #{expected_seq - 1} to #{event.seq}: event #{expected_seq} {what} "
                          f"(deleted or renumbered)", seq=expected_seq if event.seq > expected_seq else event.seq)
        if event.prev_hash != prev:
            return broken(f"{event.verb}: does not follow event #{event.seq - 1} (an event before it was changed, "
                          "deleted or moved)")
        if event_hash(**event.content()) != event.hash:
            return broken(f"{event.verb} at {event.at:%Y-%m-%d %H:%M:%S}: content changed since it was written")
        prev, expected_seq = event.hash, expected_seq + 1
    head = AuditHead.objects.filter(org_id=org.pk).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq != expected_seq - 1 or head_hash != prev:
        return ChainReport(org.slug, count, False, head_seq if head_seq >= expected_seq else expected_seq, None,
                           f"chain head records event #{head_seq} but the chain ends at #{expected_seq - 1} "
                           "(events at the end deleted, or the head edited)")
    return ChainReport(org.slug, count, True)


def event_as_json(event: AuditEvent) -> dict[str, Any]:
    """One event as an export row; the hash fields let a reader re-verify the chain."""
    return {
        "org": event.org.slug,
        "seq": event.seq, "at": event.at.isoformat(), "actor_kind": event.actor_kind, "actor": event.actor_label,
        "verb": event.verb, "subject_type": event.subject_type, "subject_id": event.subject_id,
        "customer_id": event.customer_id, "summary": event.summary, "data": event.data,
        "prev_hash": event.prev_hash, "hash": event.hash,
    }


def events_jsonl(org: Organization, *, customer: Any = None) -> Iterator[str]:
    """The organization's events (or one customer's) as JSON Lines, in chain order."""
    events = AuditEvent.objects.for_org(org).select_related("org").order_by("seq")
    if customer is not None:
        events = events.filter(customer_id=customer.pk)
    for event in events.iterator(chunk_size=2000):
        yield json.dumps(event_as_json(event), ensure_ascii=False, sort_keys=True) + "\n"

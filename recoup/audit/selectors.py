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
    seq: int = 0  # the last event checked (the head when the chain verifies)
    hash: str = GENESIS

    def as_json(self) -> dict[str, Any]:
        return {"org": self.org, "events": self.events, "ok": self.ok, "broken_seq": self.broken_seq,
                "broken_id": self.broken_id, "problem": self.problem}

    def text(self) -> str:
        if self.ok:
            return f"{self.org}: {self.events} events, chain verifies"
        where = f"event #{self.broken_seq}" + (f" (id {self.broken_id})" if self.broken_id else "")
        return f"{self.org}: chain BROKEN at {where}: {self.problem}"


def _head(org: Organization) -> tuple[int, str]:
    head = AuditHead.objects.filter(org_id=org.pk).values_list("seq", "hash").first()
    return head or (0, GENESIS)


def chain_verify(org: Organization, *, since: tuple[int, str] | None = None) -> ChainReport:
    """Walk the organization's chain in sequence order and name the first event that does not fit.

    Detects a changed field (the stored hash no longer matches the content), a deleted
    event (a gap in the sequence, or the head ahead of the last event), and two events
    swapped or re-numbered (the previous-hash link or the content hash breaks). A chain
    rewritten and re-hashed to the end, head included, fits: only a checkpoint taken before
    can tell (``recoup.audit.checkpoints``).

    The head is read first and the walk stops there, so events appended meanwhile by a running
    app are not mistaken for a broken chain; an event after the head is found by the head read
    again at the end. ``since`` (a sequence number and the hash it must have, from a checkpoint
    already checked) starts the walk after it instead of at the first event.
    """
    head_seq, head_hash = _head(org)
    start_seq, prev = since or (0, GENESIS)
    if start_seq:
        anchor = AuditEvent.objects.for_org(org).filter(seq=start_seq).values_list("pk", "hash").first()
        if anchor is None or anchor[1] != prev:
            what = "is gone" if anchor is None else "has another hash"
            return ChainReport(org.slug, 0, False, start_seq, anchor and anchor[0],
                               f"event #{start_seq} {what} than when last checked", start_seq, prev)
    expected_seq, count = start_seq + 1, 0
    events = AuditEvent.objects.for_org(org).filter(seq__gt=start_seq, seq__lte=max(head_seq, start_seq))
    for event in events.order_by("seq", "id").iterator(chunk_size=2000):
        count += 1

        def broken(problem: str, seq: int = event.seq, pk: int | None = event.pk) -> ChainReport:
            return ChainReport(org.slug, count, False, seq, pk, problem, expected_seq - 1, prev)

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
    last = expected_seq - 1
    if head_seq != last or head_hash != prev:
        return ChainReport(org.slug, count, False, head_seq if head_seq > last else expected_seq, None,
                           f"chain head records event #{head_seq} but the chain ends at #{last} "
                           "(events at the end deleted, or the head edited)", last, prev)
    beyond = AuditEvent.objects.for_org(org).filter(seq__gt=last).order_by("seq").values_list("seq", "pk").first()
    if beyond and beyond[0] > _head(org)[0]:  # not an event a writer appended (and moved the head) meanwhile
        return ChainReport(org.slug, count, False, beyond[0], beyond[1],
                           f"event #{beyond[0]} lies after the chain head #{last} (the head was moved back)", last, prev)
    return ChainReport(org.slug, count, True, seq=last, hash=prev)


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

"""The one way to write an audit event."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Iterator, Sequence

from django.db import connection, transaction
from django.utils import timezone

from recoup.audit.chain import GENESIS, event_hash, normalize_data
from recoup.audit.models import ActorKind, AuditEvent, AuditHead
from recoup.orgs.models import Organization


@dataclass(frozen=True)
class Actor:
    """Who did something: a signed-in user, the system, or a debtor via the portal."""

    kind: str
    label: str
    user: Any = None

    @classmethod
    def system(cls, label: str = "Recoup") -> "Actor":
        return cls(kind=ActorKind.SYSTEM, label=label)

    @classmethod
    def for_user(cls, user: Any) -> "Actor":
        return cls(kind=ActorKind.USER, label=user.get_username(), user=user)


@dataclass(frozen=True)
class Event:
    """One event for ``record_many``: the arguments ``record`` takes, less org and actor."""

    at: datetime
    verb: str
    subject: Any
    summary: str
    customer: Any = None
    data: dict[str, Any] | None = None


@dataclass(frozen=True)
class _Subject:
    """A subject as ``record`` saw it (its type's name and id), for an event appended later."""

    type_name: str
    pk: Any

    @classmethod
    def of(cls, subject: Any) -> "_Subject":
        return cls(type(subject).__name__.lower(), getattr(subject, "pk", None))


@dataclass
class _Pending:
    """An event ``record`` buffered under ``batch``: its organization and actor, and an on-commit marker
    whose disappearance says the savepoint it was recorded in was rolled back."""

    org: Organization
    actor: Actor
    event: Event
    marker: Any


_buffer: ContextVar[list[_Pending] | None] = ContextVar("audit_buffer", default=None)


@contextmanager
def batch() -> Iterator[None]:
    """Buffer the events ``record`` appends inside the block and append them, in order, when it ends:
    the same chain, with one lock of the organization's head instead of one per event.

    Use it inside a transaction (the cycle wraps each customer's transaction in one). An exception
    leaving the block drops the buffered events with everything else the block rolls back; an event
    recorded inside an inner ``atomic`` block that rolled back (a savepoint caught by its caller) is
    dropped too, as the event would have been without the batch. Nested batches join the outer one.
    Outside a transaction ``record`` writes at once.
    """
    if _buffer.get() is not None or not connection.in_atomic_block:
        yield
        return
    pending: list[_Pending] = []
    token = _buffer.set(pending)
    try:
        yield
    finally:
        _buffer.reset(token)
    _flush(pending)


def _flush(pending: list[_Pending]) -> None:
    # Django drops the on-commit callbacks registered inside a savepoint it rolls back; an event whose
    # marker is gone was recorded in such a savepoint. The markers themselves are taken out again.
    mine = {id(p.marker) for p in pending}
    alive = {id(func) for _, func, _ in connection.run_on_commit if id(func) in mine}
    connection.run_on_commit = [entry for entry in connection.run_on_commit if id(entry[1]) not in mine]
    kept = [p for p in pending if id(p.marker) in alive]
    start = 0
    for i in range(1, len(kept) + 1):  # one append per run of events of the same organization
        if i == len(kept) or kept[i].org.pk != kept[start].org.pk:
            # No savepoint of its own: the batch runs inside a transaction, and a failed append fails it.
            _append(kept[start].org, [(p.actor, p.event) for p in kept[start:i]], savepoint=False)
            start = i


def record(
    *,
    org: Organization,
    actor: Actor,
    at: datetime,
    verb: str,
    subject: Any,
    summary: str,
    customer: Any = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent | None:
    """Append one event to the organization's chain; call inside the transaction that made the change.

    The organization's ``AuditHead`` row is locked (``SELECT ... FOR UPDATE``) until that
    transaction ends, so concurrent writers take turns and the chain never forks.
    Under ``batch`` the event is appended when the batch ends and ``None`` is returned
    (nothing reads the returned event inside the cycle, the one user of ``batch``).
    """
    made = record_many(org=org, actor=actor, events=[Event(at=at, verb=verb, subject=subject, summary=summary,
                                                           customer=customer, data=data)])
    return made[0] if made else None


def record_many(*, org: Organization, actor: Actor, events: Sequence[Event]) -> list[AuditEvent]:
    """Append several events by one actor in one go (a statement import, a batch of payments):
    the same chain as ``record`` one by one, with one lock of the head and one INSERT.

    Under ``batch`` the events join its buffer, in order with the ``record`` calls around them,
    and nothing is returned (they are appended when the batch ends)."""
    pending = _buffer.get()
    if pending is None:
        return _append(org, [(actor, event) for event in events])
    marker = lambda: None  # noqa: E731  (a distinct object per call: the savepoint these events belong to)
    transaction.on_commit(marker)
    pending.extend(_Pending(org=org, actor=actor, marker=marker, event=replace(
        e, subject=_Subject.of(e.subject), data=normalize_data(e.data))) for e in events)
    return []


def _append(org: Organization, items: Sequence[tuple[Actor, Event]], savepoint: bool = True) -> list[AuditEvent]:
    """Append (actor, event) pairs to the organization's chain, in order, under one lock of its head."""
    if not items:
        return []
    with transaction.atomic(savepoint=savepoint):
        try:
            head = AuditHead.objects.select_for_update(no_key=True).get(org_id=org.pk)
        except AuditHead.DoesNotExist:
            AuditHead.objects.get_or_create(org_id=org.pk, defaults={"seq": 0, "hash": GENESIS})
            head = AuditHead.objects.select_for_update(no_key=True).get(org_id=org.pk)
        seq, prev, rows = head.seq, head.hash, []
        to_time = AuditEvent._meta.get_field("at").to_python
        for actor, event in items:
            # Read back through the column types: the hash must match what verify will read.
            at = to_time(event.at)
            if timezone.is_naive(at):
                at = timezone.make_aware(at)
            seq += 1
            subject = event.subject if isinstance(event.subject, _Subject) else _Subject.of(event.subject)
            content = dict(
                org_id=org.pk, seq=seq, at=at, actor_kind=str(actor.kind), actor_label=actor.label[:200],
                verb=event.verb, subject_type=subject.type_name, subject_id=subject.pk,
                customer_id=getattr(event.customer, "pk", None),
                summary=event.summary[:500], data=normalize_data(event.data), prev_hash=prev,
            )
            digest = event_hash(**content)
            rows.append(AuditEvent(
                org=org, seq=seq, at=at, actor_kind=content["actor_kind"], actor_user=actor.user,
                actor_label=content["actor_label"], verb=event.verb, subject_type=content["subject_type"],
                subject_id=content["subject_id"], customer=event.customer, summary=content["summary"],
                data=content["data"], prev_hash=prev, hash=digest,
            ))
            prev = digest
        made = AuditEvent.objects.bulk_create(rows, batch_size=500)
        AuditHead.objects.filter(org_id=org.pk).update(seq=seq, hash=prev)
    return made

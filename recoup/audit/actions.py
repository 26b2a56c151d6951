"""The one way to write an audit event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from django.db import transaction
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
) -> AuditEvent:
    """Append one event to the organization's chain; call inside the transaction that made the change.

    The organization's ``AuditHead`` row is locked (``SELECT ... FOR UPDATE``) until that
    transaction ends, so concurrent writers take turns and the chain never forks.
    """
    [event] = record_many(org=org, actor=actor, events=[Event(at=at, verb=verb, subject=subject, summary=summary,
                                                              customer=customer, data=data)])
    return event


def record_many(*, org: Organization, actor: Actor, events: Sequence[Event]) -> list[AuditEvent]:
    """Append several events by one actor in one go (a statement import, a batch of payments):
    the same chain as ``record`` one by one, with one lock of the head and one INSERT."""
    if not events:
        return []
    with transaction.atomic():
        AuditHead.objects.get_or_create(org_id=org.pk, defaults={"seq": 0, "hash": GENESIS})
        head = AuditHead.objects.select_for_update().get(org_id=org.pk)
        seq, prev, rows = head.seq, head.hash, []
        to_time = AuditEvent._meta.get_field("at").to_python
        for event in events:
            # Read back through the column types: the hash must match what verify will read.
            at = to_time(event.at)
            if timezone.is_naive(at):
                at = timezone.make_aware(at)
            seq += 1
            content = dict(
                org_id=org.pk, seq=seq, at=at, actor_kind=str(actor.kind), actor_label=actor.label[:200],
                verb=event.verb, subject_type=type(event.subject).__name__.lower(),
                subject_id=getattr(event.subject, "pk", None), customer_id=getattr(event.customer, "pk", None),
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

"""The one way to write an audit event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from recoup.audit.models import ActorKind, AuditEvent
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
    """Append one event; call inside the transaction that made the change."""
    return AuditEvent.objects.create(
        org=org,
        at=at,
        actor_kind=actor.kind,
        actor_user=actor.user,
        actor_label=actor.label,
        verb=verb,
        subject_type=type(subject).__name__.lower(),
        subject_id=getattr(subject, "pk", None),
        customer=customer,
        summary=summary[:500],
        data=data or {},
    )

"""Reads of the collector's inbox: what the debtor said or did, one list, newest first.

Each item is an inbox task (``INBOX_KINDS``): a reply by e-mail or SMS, a portal "Write to us"
message (both reply tasks; the message's channel tells them apart), a dispute raised in the portal,
a promise to pay made in the portal or broken. Unhandled items are open tasks; marking one handled
closes it (``inbox_actions.inbox_mark_handled``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q, QuerySet

from recoup.messaging.models import INBOX_KINDS, MessageChannel, Task, TaskKind, TaskStatus
from recoup.orgs.models import Organization


class InboxKind(models.TextChoices):
    REPLY = "reply", "Reply"
    PORTAL = "portal", "Portal message"
    DISPUTE = "dispute", "Dispute"
    PROMISE = "promise", "Promise"


class InboxState(models.TextChoices):
    UNHANDLED = "unhandled", "Unhandled"
    HANDLED = "handled", "Handled"
    ALL = "all", "All"


_PORTAL = Q(message__channel=MessageChannel.PORTAL)
KIND_FILTERS = {
    InboxKind.REPLY: Q(kind=TaskKind.REPLY) & ~_PORTAL,
    InboxKind.PORTAL: Q(kind=TaskKind.REPLY) & _PORTAL,
    InboxKind.DISPUTE: Q(kind=TaskKind.DISPUTE),
    InboxKind.PROMISE: Q(kind=TaskKind.PROMISE),
}


def inbox_items(*, org: Organization, kind: str = "", state: str = InboxState.UNHANDLED) -> QuerySet[Task]:
    """The organization's inbox items of ``kind`` (all kinds when empty) in ``state``, newest first."""
    items = Task.objects.for_org(org).filter(kind__in=INBOX_KINDS)
    if kind:
        items = items.filter(KIND_FILTERS[InboxKind(kind)])
    if state == InboxState.UNHANDLED:
        items = items.filter(status=TaskStatus.OPEN)
    elif state == InboxState.HANDLED:
        items = items.filter(status=TaskStatus.DONE)
    return items.select_related("customer", "message").order_by("-created_at", "-id")


def inbox_kind(task: Task) -> InboxKind:
    """Which of the inbox's kinds ``task`` is (its message read through ``select_related``)."""
    if task.kind == TaskKind.REPLY:
        portal = task.message is not None and task.message.channel == MessageChannel.PORTAL
        return InboxKind.PORTAL if portal else InboxKind.REPLY
    return InboxKind(task.kind)


def inbox_item(*, org: Organization, pk: int) -> Task | None:
    return Task.objects.for_org(org).filter(pk=pk, kind__in=INBOX_KINDS).select_related("customer", "message").first()

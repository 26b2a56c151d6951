"""Reads of the outbox, always within one organization."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, Subquery

from recoup.audit.models import AuditEvent
from recoup.ledger.models import Contact, Customer, Invoice
from recoup.messaging.models import (
    INBOX_KINDS, Attachment, ContactPointStatus, LetterBatch, LetterBatchStatus, Message, MessageChannel,
    MessageStatus, Task, TaskKind, TaskStatus,
)
from recoup.orgs.models import Organization


def customer_messages(*, org: Organization, customer: Customer):
    """A customer's messages, newest first."""
    return Message.objects.for_org(org).filter(customer=customer).order_by("-created_at", "-id")


def cycle_messages_waiting(*, org: Organization, now):
    """The cycle's messages not yet on their way at ``now``: queued and still waiting for the contact
    window to open, or drafts not yet reviewed (a later step's message replaces them)."""
    return Message.objects.for_org(org).filter(source="cycle").filter(
        Q(status=MessageStatus.QUEUED, attempts=0, next_attempt_at__gt=now) | Q(status=MessageStatus.DRAFT))


def contact_point_usable(*, org: Organization, contact: Contact, channel: str, address: str) -> bool:
    """False when this address bounced or was reported wrong for the channel (or one sharing the address)."""
    return not ContactPointStatus.objects.for_org(org).filter(
        contact=contact, channel=channel, address=address.strip()).exists()


def open_calls(*, org: Organization):
    return (Message.objects.for_org(org).filter(channel=MessageChannel.CALL, status=MessageStatus.OPEN)
            .select_related("customer", "contact").order_by("created_at", "id"))


def open_letter_batches(*, org: Organization):
    return LetterBatch.objects.for_org(org).filter(status=LetterBatchStatus.OPEN).order_by("date")


def open_tasks(*, org: Organization):
    return Task.objects.for_org(org).filter(status=TaskStatus.OPEN).select_related("customer")


# Audit verbs that record who made a message: queued by the cycle or a user, logged by hand, or received.
CREATING_VERBS = ("message.queued", "contact.logged", "message.received", "portal.message")


@dataclass(frozen=True)
class LogEntry:
    """One line of a customer's communication log."""

    message: Message
    actor: str  # who queued or logged it, from the audit log

    @property
    def who(self) -> str:
        """The source (cycle, manual, ...) and the actor."""
        return " · ".join(filter(None, [self.message.source, self.actor]))

    @property
    def summary(self) -> str:
        first = next((ln.strip() for ln in self.message.body_text.splitlines() if ln.strip()), "")
        text = self.message.subject or first
        return text if len(text) <= 120 else text[:119] + "…"


def message_actors(*, org: Organization, message_ids: list[int]) -> dict[int, str]:
    """The label of the actor who queued or logged each message, from the audit log."""
    rows = (AuditEvent.objects.for_org(org)
            .filter(subject_type="message", subject_id__in=message_ids, verb__in=CREATING_VERBS)
            .order_by("id").values_list("subject_id", "actor_label"))
    actors: dict[int, str] = {}
    for subject_id, label in rows:
        actors.setdefault(subject_id, label)
    return actors


def communication_log(*, org: Organization, customer: Customer, limit: int | None = None) -> list[LogEntry]:
    """Every message to or from the customer, automatic or manual, newest first."""
    messages = list(customer_messages(org=org, customer=customer).select_related("contact")[:limit])
    actors = message_actors(org=org, message_ids=[m.pk for m in messages])
    return [LogEntry(m, actors.get(m.pk, "")) for m in messages]


def outbox_and_log(*, org: Organization, customer: Customer | None = None, statuses: Sequence[str] = (),
                   channel: str = "", limit: int = 200) -> list[LogEntry]:
    """The organization's messages, newest first: the outbox (queued, sending, failed, drafts) and the log
    (sent, received, calls logged), one customer's or all, with who made each (``recoup messages list``)."""
    messages = Message.objects.for_org(org).select_related("customer", "contact").order_by("-created_at", "-id")
    if customer is not None:
        messages = messages.filter(customer=customer)
    if statuses:
        messages = messages.filter(status__in=statuses)
    if channel:
        messages = messages.filter(channel=channel)
    found = list(messages[:limit])
    actors = message_actors(org=org, message_ids=[m.pk for m in found])
    return [LogEntry(m, actors.get(m.pk, "")) for m in found]


def attachment_names(*, org: Organization, message_ids: list[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {}
    for message_id, filename in (Attachment.objects.filter(message__org=org, message_id__in=message_ids)
                                 .order_by("id").values_list("message_id", "filename")):
        names.setdefault(message_id, []).append(filename)
    return names


def customer_message(*, org: Organization, customer: Customer, pk: int) -> Message | None:
    return (customer_messages(org=org, customer=customer).select_related("contact")
            .prefetch_related("attachments").filter(pk=pk).first())


def open_task_list(*, org: Organization):
    """Open tasks other than the inbox's (replies, disputes, promises: ``messaging.inbox``), oldest first."""
    return open_tasks(org=org).exclude(kind__in=INBOX_KINDS).select_related("message").order_by("created_at", "id")


def open_replies(*, org: Organization):
    """Replies the operator has not looked at yet: open reply tasks with their message, oldest first."""
    return (open_tasks(org=org).filter(kind=TaskKind.REPLY).select_related("message", "message__customer")
            .order_by("created_at", "id"))


def open_batch_letters(*, org: Organization) -> list[tuple[LetterBatch, list[Message]]]:
    """Each open print batch with the letters waiting in it."""
    batches = list(open_letter_batches(org=org))
    letters = (Message.objects.for_org(org).filter(batch__in=batches, status=MessageStatus.BATCHED)
               .select_related("customer").order_by("id"))
    by_batch: dict[int, list[Message]] = {b.pk: [] for b in batches}
    for letter in letters:
        by_batch[letter.batch_id].append(letter)
    return [(b, by_batch[b.pk]) for b in batches]


def open_invoices_by_customer(*, org: Organization, customer_ids: list[int]) -> dict[int, list[Invoice]]:
    """The customers' invoices with a balance, oldest due first."""
    found: dict[int, list[Invoice]] = {pk: [] for pk in customer_ids}
    for invoice in (Invoice.objects.for_org(org).filter(customer_id__in=customer_ids).exclude(open_minor=0)
                    .order_by("due_date", "number")):
        found[invoice.customer_id].append(invoice)
    return found


def _count(queryset) -> Subquery:
    return Subquery(queryset.filter(org=OuterRef("pk")).order_by().values("org").annotate(n=Count("pk")).values("n"))


def open_counts(*, org: Organization) -> tuple[int, int]:
    """For the navigation badges, in one query on every page: the worklist's open items (calls to make,
    open tasks, letters to post) and the inbox's unhandled items (replies, disputes, promises)."""
    counts = Organization.objects.filter(pk=org.pk).annotate(
        calls=_count(Message.objects.filter(channel=MessageChannel.CALL, status=MessageStatus.OPEN)),
        tasks=_count(Task.objects.filter(status=TaskStatus.OPEN).exclude(kind__in=INBOX_KINDS)),
        letters=_count(Message.objects.filter(status=MessageStatus.BATCHED, batch__status=LetterBatchStatus.OPEN)),
        inbox=_count(Task.objects.filter(status=TaskStatus.OPEN, kind__in=INBOX_KINDS)),
    ).values_list("calls", "tasks", "letters", "inbox").first() or (0, 0, 0, 0)
    calls, tasks, letters, inbox = (n or 0 for n in counts)
    return calls + tasks + letters, inbox


def worklist_count(*, org: Organization) -> int:
    """Open items of the worklist: calls to make, open tasks (not the inbox's), letters to post."""
    return open_counts(org=org)[0]

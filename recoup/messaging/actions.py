"""Use cases that write messages, letter batches, contact point statuses and operator tasks.

``message_queue`` runs inside the caller's transaction (the cycle's decision and
its outbox row commit together) and asks a worker to deliver after the commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from email.utils import parseaddr
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.core.text import control_characters, describe
from recoup.ledger.models import Contact, Customer
from recoup.orgs.models import Organization, check_same_org
from recoup.messaging import hooks
from recoup.messaging.still_owed import withdraw_if_overtaken
from recoup.messaging.models import (
    Attachment, CallOutcome, ContactPointStatus, Direction, LetterBatch, LetterBatchStatus, Message,
    MessageChannel, MessageInvoice, MessageStatus, SENDING_CHANNELS, Task, TaskKind, TaskStatus,
)


class MessagingError(ValueError):
    """A messaging request Recoup refuses, with a message for the operator."""


# Channels that reach the same address: a wrong phone number is wrong for SMS and calls alike.
SHARED_ADDRESS = {
    MessageChannel.EMAIL: (MessageChannel.EMAIL,),
    MessageChannel.SMS: (MessageChannel.SMS, MessageChannel.CALL),
    MessageChannel.CALL: (MessageChannel.SMS, MessageChannel.CALL),
    MessageChannel.LETTER: (MessageChannel.LETTER,),
}
CANCELLABLE = (MessageStatus.QUEUED, MessageStatus.BATCHED, MessageStatus.OPEN)


def _same_org(org: Organization, *objs: object) -> None:
    check_same_org(org, *objs, error=MessagingError)


def sending_domain() -> str:
    """The domain of the From address, used on the right of every Message-ID."""
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"


def _check_address(channel: str, to_address: str) -> None:
    if not to_address.strip():
        raise MessagingError(f"to_address: a {channel} message needs an address")
    if channel == MessageChannel.EMAIL:
        try:
            validate_email(to_address)
        except ValidationError:
            raise MessagingError(f"to_address: {to_address!r} is not an e-mail address") from None


@transaction.atomic  # joins the caller's transaction; alone, the message and its attachments commit together
def message_queue(
    *, org: Organization, customer: Customer, channel: str, to_address: str, subject: str, body_text: str,
    body_html: str = "", attachments: Sequence[tuple[str, str, bytes]] = (), idempotency_key: str,
    actor: Actor, now: datetime, contact: Contact | None = None, source: str = "manual", source_ref: str = "",
    step_key: str = "", statement_as_of: date | None = None, not_before: datetime | None = None,
    draft: bool = False, replaces: Message | None = None, asks: Sequence = (),
) -> Message:
    """Put one outgoing message in the outbox, or return the one already queued under ``idempotency_key``.

    Runs in the caller's transaction; delivery is enqueued once it commits. ``not_before``
    holds delivery until then (the debtor's contact window opens, say). ``draft``: the message
    waits for the operator's approval instead (review mode). ``replaces``: the failed message of
    the same step this one is sent instead of (channel fallback). ``asks``: the ledger Invoices
    the text asks to be paid, as rendered (their ``open_minor`` is what it states); delivery checks
    them against the ledger before the message leaves (``still_owed``).
    Raises MessagingError naming the field for a bad channel, address or key.
    """
    _same_org(org, customer, contact)
    if contact is not None and contact.customer_id != customer.pk:
        raise MessagingError(f"contact: {contact} is not a contact of customer {customer.ref}")
    if channel not in SENDING_CHANNELS:
        raise MessagingError(f"channel: {channel!r} is not one of {', '.join(SENDING_CHANNELS)}")
    if not idempotency_key or len(idempotency_key) > 255:
        raise MessagingError("idempotency_key: give a key of 1 to 255 characters")
    to_address = to_address.strip()
    _check_address(channel, to_address)
    try:
        # No look-up first: the key is nearly always new, and the unique constraint answers for the
        # rest (a savepoint, so a twin, earlier or concurrent, does not break the caller's transaction).
        with transaction.atomic():
            message = Message.objects.create(
                org=org, customer=customer, contact=contact, channel=channel, direction=Direction.OUT,
                status=MessageStatus.DRAFT if draft else MessageStatus.QUEUED, to_address=to_address,
                replaces=replaces, subject=subject[:300], body_text=body_text,
                body_html=body_html, message_id=f"<{uuid.uuid4().hex}@{sending_domain()}>",
                idempotency_key=idempotency_key, next_attempt_at=max(now, not_before or now), created_at=now,
                source=source,
                source_ref=source_ref, step_key=step_key, statement_as_of=statement_as_of,
            )
    except IntegrityError:
        existing = Message.objects.for_org(org).filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing
    Attachment.objects.bulk_create(
        [Attachment(message=message, filename=name, content_type=ctype, data=bytes(data))
         for name, ctype, data in attachments]
    )
    MessageInvoice.objects.bulk_create(
        [MessageInvoice(message=message, invoice_id=invoice.pk, open_minor=invoice.open_minor)
         for invoice in {invoice.pk: invoice for invoice in asks}.values()])
    data = {"channel": channel, "source": source, "step": step_key, "key": idempotency_key}
    if replaces is not None:
        data["replaces"] = replaces.pk
    audit.record(org=org, actor=actor, at=now, verb="message.drafted" if draft else "message.queued", subject=message,
                 customer=customer, summary=f"{channel} to {to_address}: {subject}"[:500], data=data)
    if not draft:
        hooks.delivery_requested()
    return message


@transaction.atomic
def message_cancel(*, org: Organization, message: Message, reason: str, actor: Actor, now: datetime) -> Message:
    """Withdraw a message not yet on its way (queued, in an open print batch, or a call not yet made)."""
    _same_org(org, message)
    if message.batch_id and message.batch.status != LetterBatchStatus.OPEN:
        raise MessagingError("this letter's batch is already posted")
    done = Message.objects.for_org(org).filter(pk=message.pk, status__in=CANCELLABLE).update(
        status=MessageStatus.CANCELLED, last_error=f"cancelled: {reason}"[:1000], batch=None)
    if not done:
        message.refresh_from_db()
        raise MessagingError(f"message {message.pk} is {message.status} and can no longer be cancelled")
    message.refresh_from_db()
    audit.record(org=org, actor=actor, at=now, verb="message.cancelled", subject=message,
                 customer=message.customer, summary=f"{message.channel} message cancelled: {reason}")
    return message


def contact_point_mark_unusable(*, org: Organization, contact: Contact, channel: str, address: str, reason: str,
                                actor: Actor, now: datetime) -> list[ContactPointStatus]:
    """Mark a contact's address unusable for ``channel`` and the channels that share that address."""
    _same_org(org, contact)
    marked = []
    for ch in SHARED_ADDRESS[MessageChannel(channel)]:
        status, created = ContactPointStatus.objects.get_or_create(
            org=org, contact=contact, channel=ch, address=address,
            defaults={"unusable_since": now, "reason": reason[:1000]})
        marked.append(status)
    audit.record(org=org, actor=actor, at=now, verb="contact.point_unusable", subject=contact,
                 customer=contact.customer, summary=f"{channel} {address} unusable: {reason}",
                 data={"channel": channel, "address": address})
    return marked


def task_open(*, org: Organization, customer: Customer | None, kind: str, text: str, actor: Actor,
              now: datetime, message: Message | None = None, about=None) -> Task:
    """Open a task in the operator's worklist (or, for the debtor's replies, disputes and promises, the
    inbox); ``about`` is the row it concerns beyond its customer and message (a dispute, a promise)."""
    _same_org(org, customer, message, about)
    task = Task.objects.create(org=org, customer=customer, message=message, kind=TaskKind(kind), text=text,
                               created_at=now, about_type=type(about).__name__.lower() if about is not None else "",
                               about_id=getattr(about, "pk", None))
    audit.record(org=org, actor=actor, at=now, verb="task.opened", subject=task, customer=customer,
                 summary=text[:500], data={"kind": kind})
    return task


@transaction.atomic
def message_received(*, org: Organization, customer: Customer, channel: str, subject: str, text: str, source: str,
                     key: str, actor: Actor, now: datetime, verb: str = "message.received",
                     summary: str = "") -> Message:
    """Keep a message the customer sent another way than e-mail (the portal's "Write to us") as an
    incoming message on their log, and open a reply task for it in the worklist, as for an e-mail reply.

    ``key`` makes it once only (a form posted twice keeps one); ``verb`` and ``summary`` name the
    audit event, on the customer's timeline."""
    _same_org(org, customer)
    if channel not in MessageChannel.values:
        raise MessagingError(f"channel: {channel!r} is not one of {', '.join(MessageChannel.values)}")
    existing = Message.objects.for_org(org).filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    message = Message.objects.create(
        org=org, customer=customer, channel=channel, direction=Direction.IN, status=MessageStatus.SENT,
        to_address="", subject=subject[:300], body_text=text, message_id=f"<{uuid.uuid4().hex}@{sending_domain()}>",
        idempotency_key=key, created_at=now, sent_at=now, source=source)
    audit.record(org=org, actor=actor, at=now, verb=verb, subject=message, customer=customer,
                 summary=(summary or f"{MessageChannel(channel).label} message from {customer.name}: {subject}")[:500])
    task_open(org=org, customer=customer, message=message, kind=TaskKind.REPLY, actor=actor, now=now,
              text=f"{customer.name} wrote in the {MessageChannel(channel).label.lower()}: {text}"[:2000])
    return message


@transaction.atomic
def call_log_outcome(*, org: Organization, message: Message, outcome: str, note: str, actor: Actor,
                     now: datetime) -> Message:
    """Close an open call task with what happened; a wrong number makes the phone unusable."""
    _same_org(org, message)
    if outcome not in CallOutcome.values:
        raise MessagingError(f"outcome: {outcome!r} is not one of {', '.join(CallOutcome.values)}")
    if message.channel != MessageChannel.CALL:
        raise MessagingError(f"message {message.pk} is a {message.channel} message, not a call")
    done = Message.objects.for_org(org).filter(pk=message.pk, status=MessageStatus.OPEN).update(
        status=MessageStatus.DONE, call_outcome=outcome, call_note=note, sent_at=now)
    if not done:
        message.refresh_from_db()
        raise MessagingError(f"call {message.pk} is {message.status}, not open")
    message.refresh_from_db()
    audit.record(org=org, actor=actor, at=now, verb="call.logged", subject=message, customer=message.customer,
                 summary=f"call to {message.to_address}: {CallOutcome(outcome).label}" + (f" ({note})" if note else ""),
                 data={"outcome": outcome, "note": note})
    if outcome == CallOutcome.WRONG_NUMBER:
        if message.contact is not None:
            contact_point_mark_unusable(org=org, contact=message.contact, channel=MessageChannel.CALL,
                                        address=message.to_address, reason="wrong number (call)", actor=actor,
                                        now=now)
        hooks.message_failed(message, actor=actor, now=now)  # a cycle's call step goes on its next channel
    return message


def letter_batch_add(*, message: Message, today, now: datetime) -> LetterBatch:
    """Put a letter in its organization's open print batch for ``today`` (idempotent on retries)."""
    if message.batch_id:
        return message.batch
    batch, _ = LetterBatch.objects.get_or_create(
        org=message.org, date=today, status=LetterBatchStatus.OPEN, defaults={"created_at": now})
    Message.objects.filter(pk=message.pk).update(batch=batch)
    message.batch = batch
    return batch


@transaction.atomic
def letter_batch_mark_posted(*, org: Organization, batch: LetterBatch, actor: Actor, now: datetime) -> LetterBatch:
    """Freeze the batch's PDF and mark it and its letters posted; letters whose invoices were paid
    since they were batched are withdrawn first (``still_owed``)."""
    from recoup.messaging.letter_pdf import letter_batch_pdf

    _same_org(org, batch)
    batch = LetterBatch.objects.select_for_update(no_key=True).get(pk=batch.pk)
    if batch.status != LetterBatchStatus.OPEN:
        raise MessagingError(f"letter batch of {batch.date} is already posted")
    # A letter whose invoices were paid since it was batched does not go (``still_owed``).
    withdrawn = sum(withdraw_if_overtaken(letter, actor=actor, now=now) is not None
                    for letter in Message.objects.for_org(org).filter(batch=batch, status=MessageStatus.BATCHED)
                    .select_related("org", "customer"))
    letters = Message.objects.for_org(org).filter(batch=batch, status=MessageStatus.BATCHED)
    if not withdrawn and not letters.exists():  # all withdrawn: the batch closes with nothing to post
        raise MessagingError(f"letter batch of {batch.date} holds no letter to post")
    batch.pdf = letter_batch_pdf(batch)
    batch.status, batch.posted_at = LetterBatchStatus.POSTED, now
    batch.save(update_fields=["pdf", "status", "posted_at"])
    count = letters.update(status=MessageStatus.POSTED, sent_at=now)
    audit.record(org=org, actor=actor, at=now, verb="letters.posted", subject=batch,
                 summary=f"{count} letter(s) of {batch.date} posted"
                 + (f", {withdrawn} withdrawn (paid since)" if withdrawn else ""),
                 data={"letters": count, "withdrawn": withdrawn})
    return batch


@transaction.atomic
def letter_mark_returned(*, org: Organization, message: Message, reason: str, actor: Actor,
                         now: datetime) -> Message:
    """A posted letter came back undelivered: the postal address is unusable and, for a cycle letter,
    the step goes on its next channel (``recoup.collections.fallback``)."""
    _same_org(org, message)
    if not reason.strip():
        raise MessagingError("reason: say why the letter came back (e.g. addressee unknown)")
    done = Message.objects.for_org(org).filter(pk=message.pk, channel=MessageChannel.LETTER,
                                               status=MessageStatus.POSTED).update(
        status=MessageStatus.FAILED, last_error=f"returned: {reason}"[:2000])
    if not done:
        message.refresh_from_db()
        raise MessagingError(f"message {message.pk} is a {message.status} {message.channel}, not a posted letter")
    message.refresh_from_db()
    audit.record(org=org, actor=actor, at=now, verb="letter.returned", subject=message, customer=message.customer,
                 summary=f"letter to {message.to_address.splitlines()[0]} returned: {reason}"[:500],
                 data={"reason": reason})
    if message.contact is not None:
        contact_point_mark_unusable(org=org, contact=message.contact, channel=MessageChannel.LETTER,
                                    address=message.contact.postal_address.strip(), reason=f"letter returned: {reason}",
                                    actor=actor, now=now)
    hooks.message_failed(message, actor=actor, now=now)
    return message


# A manual contact is a record of something that already happened, so it is never delivered.
MANUAL_STATUS = {MessageChannel.CALL: MessageStatus.DONE}
CONTACT_ADDRESS = {MessageChannel.EMAIL: "email", MessageChannel.SMS: "phone", MessageChannel.CALL: "phone",
                   MessageChannel.LETTER: "postal_address"}


@transaction.atomic
def contact_log(*, org: Organization, customer: Customer, channel: str, direction: str, summary: str,
                content: str = "", at: datetime, actor: Actor, now: datetime,
                contact: Contact | None = None) -> Message:
    """Record a contact made or received outside Recoup: a call, a letter received, a note, an e-mail sent by hand.

    Stored as a Message (source "manual", status done for a call, sent otherwise)
    so the communication log holds every contact in one place; ``at`` is when it
    happened. Raises MessagingError naming the field for bad input.
    """
    _same_org(org, customer, contact)
    if contact is not None and contact.customer_id != customer.pk:
        raise MessagingError(f"contact: {contact} is not a contact of customer {customer.ref}")
    if channel not in SENDING_CHANNELS:
        raise MessagingError(f"channel: {channel!r} is not one of {', '.join(SENDING_CHANNELS)}")
    if direction not in Direction.values:
        raise MessagingError(f"direction: {direction!r} is not one of {', '.join(Direction.values)}")
    summary = summary.strip()
    if not summary:
        raise MessagingError("summary: say in a few words what the contact was about")
    if len(summary) > 300:
        raise MessagingError("summary: at most 300 characters; put the rest in the content")
    if at > now:
        raise MessagingError("at: a contact cannot be logged in the future")
    field = CONTACT_ADDRESS.get(channel)
    address = getattr(contact, field, "") if (contact is not None and field) else ""
    key = uuid.uuid4().hex
    message = Message.objects.create(
        org=org, customer=customer, contact=contact, channel=channel, direction=direction,
        status=MANUAL_STATUS.get(channel, MessageStatus.SENT), to_address=address or "", subject=summary,
        body_text=content, message_id=f"<{key}@{sending_domain()}>", idempotency_key=f"manual:{key}",
        created_at=at, sent_at=at, source="manual",
    )
    audit.record(org=org, actor=actor, at=now, verb="contact.logged", subject=message, customer=customer,
                 summary=f"{Direction(direction).label.lower()} {MessageChannel(channel).label.lower()}: {summary}",
                 data={"channel": channel, "direction": direction, "at": at.isoformat()})
    return message


@transaction.atomic
def task_close(*, org: Organization, task: Task, actor: Actor, now: datetime, note: str = "") -> Task:
    """Mark an operator task done; closing one already done is refused (someone else got there first)."""
    _same_org(org, task)
    done = Task.objects.for_org(org).filter(pk=task.pk, status=TaskStatus.OPEN).update(status=TaskStatus.DONE)
    task.refresh_from_db()
    if not done:
        raise MessagingError(f"task {task.pk} is already {task.get_status_display().lower()}")
    audit.record(org=org, actor=actor, at=now, verb="task.closed", subject=task, customer=task.customer,
                 summary=f"{task.get_kind_display()} closed" + (f": {note}" if note else ""),
                 data={"kind": task.kind, "note": note})
    return task


@transaction.atomic
def reply_done(*, org: Organization, task: Task, resume: bool, actor: Actor, now: datetime, note: str = "") -> int:
    """Close a reply task the operator has read; with ``resume``, lift the pause the reply put on its customer.

    The pause stays while another reply of the same customer is still unread.
    Returns how many pauses were lifted.
    """
    if task.kind != TaskKind.REPLY:
        raise MessagingError(f"task {task.pk} is a {task.get_kind_display().lower()} task, not a reply")
    task_close(org=org, task=task, actor=actor, now=now, note=note)
    if not resume or task.customer is None:
        return 0
    if Task.objects.for_org(org).filter(customer=task.customer, kind=TaskKind.REPLY, status=TaskStatus.OPEN).exists():
        return 0
    return hooks.resume_after_reply(org, task.customer, actor=actor, now=now)


class ContactRefused(MessagingError):
    """The compliance gate does not let this contact happen (now); ``answer`` says why and which rule."""

    def __init__(self, answer) -> None:
        self.answer = answer
        until = f" (possible from {answer.until.isoformat()})" if answer.until else ""
        super().__init__(f"{answer.reason}{until}")


def message_send(*, org: Organization, customer: Customer, channel: str, to_address: str, subject: str = "",
                 body_text: str = "", body_html: str = "", actor: Actor, now: datetime,
                 contact: Contact | None = None, purpose: str = "manual", invoice_ids: Sequence[int] = (),
                 idempotency_key: str | None = None) -> Message:
    """An operator's own e-mail, SMS, letter or call task: it passes the one compliance gate, then the outbox.

    Blocked, or deferred by anything but the contact window, raises ContactRefused (the refusal
    is written to the customer's timeline); held by the window only, it is queued to go when the
    window opens. Delivery asks the gate again. No override.
    """
    _same_org(org, customer, contact)
    bad = control_characters(subject) if channel == MessageChannel.EMAIL else []
    if bad:  # the subject is an e-mail header: one line
        raise MessagingError(f"subject: contains {describe(bad)}; type the subject on one line")
    local = now.astimezone(ZoneInfo(org.timezone)).date()
    address = to_address.strip() if channel != MessageChannel.LETTER else (
        contact.postal_address.strip() if contact is not None else "")
    answer = hooks.contact_gate(org=org, customer=customer, channel=channel, step_key="", on=local, now=now,
                          purpose=purpose, address=address, invoice_ids=invoice_ids)
    window_only = answer.verdict == "defer" and answer.gate == "contact_window"
    if not answer.allowed and not window_only:
        with transaction.atomic():  # the refusal stays on the timeline although the caller gets an error
            audit.record(org=org, actor=actor, at=now, verb="contact.refused", subject=customer, customer=customer,
                         summary=f"{channel} to {to_address} not sent: {answer.reason}"[:500], data=answer.as_json())
        raise ContactRefused(answer)
    key = idempotency_key or f"manual:{uuid.uuid4().hex}"
    return message_queue(org=org, customer=customer, channel=channel, to_address=to_address, subject=subject,
                         body_text=body_text, body_html=body_html, idempotency_key=key, actor=actor, now=now,
                         contact=contact, source="manual", not_before=answer.until if window_only else None)


def call_task_open(*, org: Organization, customer: Customer, contact: Contact, actor: Actor, now: datetime,
                   note: str = "", invoice_ids: Sequence[int] = ()) -> Message:
    """A call for the operator to make, through the same gate as any contact (call frequency included)."""
    if contact is None or not contact.phone.strip():
        raise MessagingError("contact: a call needs a contact with a phone number")
    return message_send(org=org, customer=customer, channel=MessageChannel.CALL, to_address=contact.phone,
                        subject=note or f"Call {customer.name}", body_text=note, actor=actor, now=now,
                        contact=contact, purpose="manual", invoice_ids=invoice_ids)

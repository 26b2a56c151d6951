"""The outbox: every message is a row first, then a channel delivers it.

``Message`` rows are the queue (claimed with a conditional UPDATE, see
``delivery.py``). Attachments live in the database next to their message so
that queueing is one transaction: a rolled-back decision leaves no orphan file,
a crash loses no attachment, and one backup of the database holds everything.
Collection attachments are small (invoice and statement PDFs of tens of KB).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from recoup.orgs.models import OrgOwned


class MessageChannel(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "SMS"
    LETTER = "letter", "Letter"
    CALL = "call", "Call"
    # Incoming only: what the customer wrote in the portal ("Write to us"); nothing is sent through it.
    PORTAL = "portal", "Portal"


# The channels a message can go out on, or a contact be logged on (the portal only receives).
SENDING_CHANNELS = [c for c in MessageChannel.values if c != MessageChannel.PORTAL]


class Direction(models.TextChoices):
    OUT = "out", "Outgoing"
    IN = "in", "Incoming"


class MessageStatus(models.TextChoices):
    # Review mode: the cycle's message waits for the operator; approving queues it, once.
    DRAFT = "draft", "Draft (awaiting approval)"
    EXPIRED = "expired", "Draft expired unapproved"
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"
    # Letters: queued -> batched (in the day's print batch) -> posted.
    BATCHED = "batched", "In print batch"
    POSTED = "posted", "Posted"
    # Calls: queued -> open (in the operator's call queue) -> done.
    OPEN = "open", "Call to make"
    DONE = "done", "Call logged"


class CallOutcome(models.TextChoices):
    REACHED = "reached", "Reached"
    NO_ANSWER = "no_answer", "No answer"
    VOICEMAIL = "voicemail", "Left voicemail"
    PROMISE_TO_PAY = "promise_to_pay", "Promise to pay"
    DISPUTE = "dispute", "Dispute"
    WRONG_NUMBER = "wrong_number", "Wrong number"


class LetterBatchStatus(models.TextChoices):
    OPEN = "open", "Open"
    POSTED = "posted", "Posted"


class LetterBatch(OrgOwned):
    """The letters of one day, printed as one PDF and posted together."""

    date = models.DateField()
    status = models.CharField(max_length=8, choices=LetterBatchStatus.choices, default=LetterBatchStatus.OPEN)
    # The PDF as posted, frozen when the batch is marked posted.
    pdf = models.BinaryField(null=True, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "date"], condition=Q(status="open"),
                                    name="one_open_letter_batch_per_day"),
        ]

    def __str__(self) -> str:
        return f"letters {self.date} ({self.status})"


class Message(OrgOwned):
    customer = models.ForeignKey("ledger.Customer", on_delete=models.PROTECT, related_name="messages")
    contact = models.ForeignKey("ledger.Contact", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="messages")
    channel = models.CharField(max_length=8, choices=MessageChannel.choices)
    direction = models.CharField(max_length=3, choices=Direction.choices, default=Direction.OUT)
    status = models.CharField(max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED)
    to_address = models.TextField(help_text="E-mail address, phone number or postal address")
    subject = models.CharField(max_length=300, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    # RFC 5322 Message-ID, made once at creation and reused on every retry.
    message_id = models.CharField(max_length=255, unique=True)
    idempotency_key = models.CharField(max_length=255)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    provider_id = models.CharField(max_length=255, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    source = models.CharField(max_length=32, default="manual")
    source_ref = models.CharField(max_length=255, blank=True)
    step_key = models.CharField(max_length=100, blank=True)
    # Attach the customer's statement as of this date: rendered (WeasyPrint) on the first
    # delivery attempt rather than in the cycle, then kept with the message like any attachment.
    statement_as_of = models.DateField(null=True, blank=True)
    batch = models.ForeignKey(LetterBatch, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="letters")
    call_outcome = models.CharField(max_length=16, choices=CallOutcome.choices, blank=True)
    call_note = models.TextField(blank=True)
    # Review mode: who approved (or skipped) the draft, and when.
    reviewed_by = models.CharField(max_length=200, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # Channel fallback: the failed message of the same step this one is sent instead of.
    replaces = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="fallbacks")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "idempotency_key"], name="message_idempotency_key_per_org"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="message_delivery_due"),
            models.Index(fields=["org", "customer", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.to_address} ({self.status})"


class MessageInvoice(models.Model):
    """An invoice a message asks the debtor to pay, and the open amount its text shows.

    Written when the message is queued; delivery compares it with the ledger as it is when
    the message leaves (``recoup.messaging.still_owed``), so nothing asks for money already paid.
    """

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="asks")
    invoice = models.ForeignKey("ledger.Invoice", on_delete=models.CASCADE, related_name="+")
    open_minor = models.BigIntegerField(help_text="The invoice's open amount as the message states it")

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["message", "invoice"], name="message_asks_invoice_once")]

    def __str__(self) -> str:
        return f"message {self.message_id} asks {self.open_minor} of invoice {self.invoice_id}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    data = models.BinaryField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename


class ContactPointStatus(OrgOwned):
    """A contact's address for a channel that must not be used again (hard bounce, wrong number).

    Keyed by the address too: once the operator corrects the contact's e-mail or
    phone, the new address is usable.
    """

    contact = models.ForeignKey("ledger.Contact", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8, choices=MessageChannel.choices)
    address = models.TextField()
    unusable_since = models.DateTimeField()
    reason = models.TextField()

    class Meta:
        verbose_name_plural = "contact point statuses"
        constraints = [
            models.UniqueConstraint(fields=["org", "contact", "channel", "address"],
                                    name="one_status_per_contact_point"),
        ]


class TaskKind(models.TextChoices):
    DELIVERY_FAILED = "delivery_failed", "Message could not be delivered"
    CONTACT_UNUSABLE = "contact_unusable", "Contact point unusable"
    REVIEW = "review", "Review"
    ESCALATION_REVIEW = "escalation_review", "Escalation review"
    REPLY = "reply", "Reply received"
    CONTACT_NEEDED = "contact_needed", "New contact point needed"
    DISPUTE = "dispute", "Dispute raised"
    PROMISE = "promise", "Promise to pay"


# What the debtor said or did, read in the inbox rather than the worklist's open tasks: replies by
# e-mail or SMS and portal messages (both REPLY), disputes raised and promises made or broken.
INBOX_KINDS = (TaskKind.REPLY, TaskKind.DISPUTE, TaskKind.PROMISE)


class TaskStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"


class Task(OrgOwned):
    """Something the operator must look at: a bounced address, a failed delivery, a review."""

    customer = models.ForeignKey("ledger.Customer", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="+")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks")
    kind = models.CharField(max_length=32, choices=TaskKind.choices)
    text = models.TextField()
    status = models.CharField(max_length=8, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    created_at = models.DateTimeField()
    # What the task is about beyond its customer and message (a dispute, a promise), named as the audit
    # log names subjects: the model's name and its id. Messaging does not import the apps above it.
    about_type = models.CharField(max_length=40, blank=True)
    about_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org", "status", "created_at"]),
                   models.Index(fields=["org", "kind", "status", "created_at"], name="task_inbox")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.text[:60]}"


class TemplateVersion(OrgOwned):
    """One saved wording of a message template (``rendering``: name, channel, language) for one
    organization. Each save, restore or reset adds a version; the highest one is in force. A
    version with ``shipped`` set brings back the text Recoup ships (its text fields are empty)."""

    template = models.CharField(max_length=64)
    channel = models.CharField(max_length=10)
    language = models.CharField(max_length=8)
    version = models.PositiveIntegerField()
    shipped = models.BooleanField(default=False)
    subject = models.TextField(blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    # The version a restore copied (None for an edit or a reset).
    restored_from = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["org", "template", "channel", "language", "version"],
                                               name="template_version_once")]

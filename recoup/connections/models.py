"""Connections to the books: which system an organization keeps its invoices in, the tokens to
reach it (encrypted: ``crypto.py``), where the last sync stopped, which remote record is which
Recoup row, and the payments waiting to be written back.

Remote ids live here, never in ledger columns: ``RemoteLink`` maps (connection, kind, remote id)
to a ledger row's id. A link is written in the same transaction as the row it links, so a sync
killed anywhere finds either both or neither.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from recoup.orgs.models import Organization, OrgOwned


class Provider(models.TextChoices):
    XERO = "xero", "Xero"
    QUICKBOOKS = "quickbooks", "QuickBooks Online"
    STRIPE_BILLING = "stripe_billing", "Stripe Billing"


class ConnectionStatus(models.TextChoices):
    CHOOSING = "choosing", "Authorized: choose the organization to connect"
    ACTIVE = "active", "Connected"
    BROKEN = "broken", "Needs reconnecting"
    DISCONNECTED = "disconnected", "Disconnected"


class Connection(OrgOwned):
    """One organization's link to one provider (at most one per provider)."""

    provider = models.CharField(max_length=16, choices=Provider.choices)
    status = models.CharField(max_length=12, choices=ConnectionStatus.choices, default=ConnectionStatus.CHOOSING)
    remote_id = models.CharField(max_length=64, blank=True, help_text="Xero tenant, QuickBooks realm, Stripe account")
    remote_name = models.CharField(max_length=200, blank=True)
    # While CHOOSING: the tenants the authorization reaches, [{"id": ..., "name": ...}].
    choices = models.JSONField(default=list, blank=True)
    # Fernet tokens (recoup.connections.crypto): ciphertext only, the key is never in the database.
    access_token_enc = models.TextField(blank=True)
    refresh_token_enc = models.TextField(blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    # Per stream: {"invoices": {"since": ISO, "page": 2, "max_seen": ISO}, ...}; saved with each page.
    cursor = models.JSONField(default=dict, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True, help_text="Start of the last sync that finished")
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # Where a payment written back lands: Xero bank account code, QuickBooks deposit account id.
    payment_account = models.CharField(max_length=64, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "provider"], name="one_connection_per_provider")]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.remote_name or self.remote_id}".strip()

    @property
    def is_active(self) -> bool:
        return self.status == ConnectionStatus.ACTIVE


class BooksSettings(models.Model):
    """The organization's choices about its books (one row, created on first use)."""

    org = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="+")
    writeback = models.BooleanField(default=True, help_text="Write payments recorded in Recoup to the books")
    stale_after_hours = models.PositiveSmallIntegerField(
        default=6, help_text="The cycle defers every step when the books were last synced longer ago than this")


class OAuthState(models.Model):
    """One authorization in flight: the ``state`` sent to the provider and the PKCE verifier."""

    state = models.CharField(max_length=64, unique=True)
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    provider = models.CharField(max_length=16, choices=Provider.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)
    code_verifier = models.CharField(max_length=128, blank=True)
    redirect_uri = models.CharField(max_length=500)
    created_at = models.DateTimeField()


class LinkKind(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    INVOICE = "invoice", "Invoice"
    PAYMENT = "payment", "Payment"
    CREDIT_NOTE = "credit_note", "Credit note"


class RemoteLink(OrgOwned):
    """A remote record and the Recoup row it became (``local_id`` of the kind's ledger model).

    ``version`` is what the provider says changes with every edit (Xero's UpdatedDateUTC,
    QuickBooks' SyncToken, Stripe's event id): an unchanged record is skipped without a write.
    """

    connection = models.ForeignKey(Connection, on_delete=models.PROTECT, related_name="links")
    kind = models.CharField(max_length=12, choices=LinkKind.choices)
    remote_id = models.CharField(max_length=100)
    local_id = models.BigIntegerField()
    version = models.CharField(max_length=64, blank=True)
    number = models.CharField(max_length=64, blank=True, help_text="The remote number, for links and messages")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "kind", "remote_id"], name="remote_link_unique"),
        ]
        indexes = [models.Index(fields=["org", "kind", "local_id"], name="remote_link_local")]


class SyncRun(OrgOwned):
    """One sync of one connection: when, how it ended, what it counted."""

    connection = models.ForeignKey(Connection, on_delete=models.PROTECT, related_name="runs")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    full = models.BooleanField(default=False)
    ok = models.BooleanField(default=False)
    counts = models.JSONField(default=dict)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]


class WritebackStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be written"
    SENDING = "sending", "Being written"
    WRITTEN = "written", "Written"
    FAILED = "failed", "Failed"


class Writeback(OrgOwned):
    """A part of a Recoup payment applied to an invoice from the books, to be written there once.

    ``key`` is sent as the provider's idempotency key (and in the payment's reference), so a
    request repeated after a crash is recognised by the provider, and the payment is recognised
    when it comes back in a sync.
    """

    connection = models.ForeignKey(Connection, on_delete=models.PROTECT, related_name="writebacks")
    allocation_id = models.BigIntegerField()
    payment_id = models.BigIntegerField()
    invoice_id = models.BigIntegerField()
    invoice_remote_id = models.CharField(max_length=100)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    date = models.DateField()
    key = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=8, choices=WritebackStatus.choices, default=WritebackStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    written_at = models.DateTimeField(null=True, blank=True)
    remote_id = models.CharField(max_length=100, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "allocation_id"], name="writeback_once_per_allocation"),
        ]
        indexes = [
            models.Index(fields=["org", "invoice_id"], name="writeback_by_invoice"),
            models.Index(fields=["status", "next_attempt_at"], name="writeback_due",
                         condition=Q(status__in=["pending", "sending"])),
        ]


class WritebackCursor(OrgOwned):
    """The last audit event the write-back collector has read, per organization."""

    last_event_id = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org"], name="writeback_cursor_per_org")]

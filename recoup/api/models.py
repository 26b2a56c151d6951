"""The API's own rows: tokens, idempotency records, webhook endpoints and their delivery outbox.

Tokens are stored as a SHA-256 hash of the secret (never the secret itself) plus a short
public prefix to find the row. Webhook deliveries are the outbox for webhooks: one row per
(endpoint, event), claimed with a conditional UPDATE by whoever delivers (``webhooks.delivery``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from recoup.orgs.models import OrgOwned


class Scope(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Read and write"


class ApiToken(OrgOwned):
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, help_text="Public part of the token, shown in lists")
    token_hash = models.CharField(max_length=64, help_text="SHA-256 of the whole token, hex")
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.READ)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def can_write(self) -> bool:
        return self.scope == Scope.WRITE


class IdempotencyRecord(OrgOwned):
    """A POST made with an ``Idempotency-Key``: what was asked (fingerprint) and what was answered."""

    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body")
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    status_code = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "key"], name="idempotency_key_once_per_org")]


class WebhookEndpoint(OrgOwned):
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    secret = models.CharField(max_length=64, help_text="HMAC-SHA256 key for the Recoup-Signature header")
    event_types = models.JSONField(default=list, help_text="Event types sent here; empty means all")
    active = models.BooleanField(default=True)
    since_event_id = models.BigIntegerField(default=0, help_text="Audit events after this one are sent here")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(OrgOwned):
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.CharField(max_length=64, help_text="Stable id of the event; a resend keeps it")
    event_type = models.CharField(max_length=64)
    dedupe_key = models.CharField(max_length=200, help_text="audit event id, type and object: one delivery each")
    audit_event_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    resend_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "dedupe_key"], condition=Q(resend_of__isnull=True),
                                    name="webhook_delivery_once_per_endpoint"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
                   models.Index(fields=["org", "endpoint", "created_at"])]

    def __str__(self) -> str:
        return f"{self.event_type} to {self.endpoint} ({self.status})"


class WebhookCursor(models.Model):
    """Per organization: the last audit event turned into webhook deliveries."""

    org = models.OneToOneField("orgs.Organization", primary_key=True, on_delete=models.CASCADE, related_name="+")
    last_event_id = models.BigIntegerField(default=0)

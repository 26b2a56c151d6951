"""The audit trail: one append-only, hash-chained row per state change, written by ``audit.record``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from recoup.audit.chain import GENESIS
from recoup.orgs.models import OrgOwned


class ActorKind(models.TextChoices):
    USER = "user", "User"
    SYSTEM = "system", "System"
    DEBTOR = "debtor", "Debtor (portal)"


class AuditEvent(OrgOwned):
    # Users and customers with history are kept (deactivated or anonymized), never deleted:
    # PROTECT, because a SET_NULL would rewrite evidence (and PostgreSQL refuses the UPDATE).
    seq = models.PositiveBigIntegerField(help_text="1, 2, 3... per organization")
    at = models.DateTimeField()
    actor_kind = models.CharField(max_length=8, choices=ActorKind.choices)
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    actor_label = models.CharField(max_length=200)
    verb = models.CharField(max_length=64)
    subject_type = models.CharField(max_length=32)
    subject_id = models.BigIntegerField(null=True)
    customer = models.ForeignKey("ledger.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    summary = models.CharField(max_length=500)
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["org", "customer", "at"]), models.Index(fields=["org", "subject_type", "subject_id"])]
        constraints = [models.UniqueConstraint(fields=["org", "seq"], name="audit_one_event_per_seq")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.verb} {self.summary}"

    def content(self) -> dict[str, Any]:
        """The fields the chain's hash covers (see ``recoup.audit.chain``)."""
        return dict(org_id=self.org_id, seq=self.seq, at=self.at, actor_kind=self.actor_kind,
                    actor_label=self.actor_label, verb=self.verb, subject_type=self.subject_type,
                    subject_id=self.subject_id, customer_id=self.customer_id, summary=self.summary,
                    data=self.data, prev_hash=self.prev_hash)


class AuditHead(models.Model):
    """The last event of one organization's chain; its row lock serializes writers."""

    org = models.OneToOneField("orgs.Organization", primary_key=True, on_delete=models.CASCADE, related_name="+")
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS)

    def __str__(self) -> str:
        return f"{self.org_id}: #{self.seq}"

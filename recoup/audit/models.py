"""The audit trail: one append-only row per state change, written by ``audit.record``."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from recoup.orgs.models import OrgOwned


class ActorKind(models.TextChoices):
    USER = "user", "User"
    SYSTEM = "system", "System"
    DEBTOR = "debtor", "Debtor (portal)"


class AuditEvent(OrgOwned):
    at = models.DateTimeField()
    actor_kind = models.CharField(max_length=8, choices=ActorKind.choices)
    actor_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=200)
    verb = models.CharField(max_length=64)
    subject_type = models.CharField(max_length=32)
    subject_id = models.BigIntegerField(null=True)
    customer = models.ForeignKey("ledger.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    summary = models.CharField(max_length=500)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["org", "customer", "at"]), models.Index(fields=["org", "subject_type", "subject_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.verb} {self.summary}"

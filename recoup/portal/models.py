"""The debtor's portal: link tokens, contact preferences not held by the ledger, messages to the business.

A token's secret is shown once (in the link) and stored only as its SHA-256:
the secret is 256 random bits, so a leaked database gives no working link.
"""

from __future__ import annotations

from django.db import models

from recoup.orgs.models import OrgOwned


class PortalToken(OrgOwned):
    customer = models.ForeignKey("ledger.Customer", on_delete=models.CASCADE, related_name="+")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=200, blank=True)
    created_by = models.CharField(max_length=200)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org", "customer", "revoked_at"])]

    def __str__(self) -> str:
        return f"portal link {self.pk} of customer {self.customer_id}"


class PortalPreference(OrgOwned):
    """When the debtor prefers to be contacted (their local time); channels and language live on the ledger."""

    customer = models.OneToOneField("ledger.Customer", on_delete=models.CASCADE, related_name="+")
    contact_from = models.TimeField(null=True, blank=True)
    contact_to = models.TimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"preferences of customer {self.customer_id}"


class PortalMessage(OrgOwned):
    """A message the debtor wrote to the business in the portal."""

    customer = models.ForeignKey("ledger.Customer", on_delete=models.CASCADE, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"message from customer {self.customer_id}: {self.text[:40]}"

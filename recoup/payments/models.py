"""Online payments: the provider account of an organization, checkout sessions and the webhooks received.

Bank transfer details are the organization's own (``Organization.bank_*``,
edited on the settings page); references and EPC QR codes are computed
(``rf.py``, ``epc.py``), so nothing about them is stored here.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from recoup.orgs.models import OrgOwned


class ProviderName(models.TextChoices):
    STRIPE = "stripe", "Stripe Checkout"


class ProviderAccount(OrgOwned):
    """How one organization takes card payments: its provider's keys and API address.

    ``api_base`` is the provider's API (Stripe: https://api.stripe.com); tests and
    the demo point it at the local fake (``recoup fake-stripe``).
    """

    provider = models.CharField(max_length=16, choices=ProviderName.choices, default=ProviderName.STRIPE)
    secret_key = models.CharField(max_length=255)
    webhook_secret = models.CharField(max_length=255)
    api_base = models.URLField(default="https://api.stripe.com")
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "provider"], name="one_account_per_provider")]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} ({'on' if self.enabled else 'off'})"


class CheckoutStatus(models.TextChoices):
    OPEN = "open", "Waiting for the payer"
    PAID = "paid", "Paid and recorded"
    EXPIRED = "expired", "Expired"


class CheckoutSession(OrgOwned):
    """One attempt to pay by card: what was asked for, and the payment it became."""

    customer = models.ForeignKey("ledger.Customer", on_delete=models.PROTECT, related_name="+")
    provider = models.CharField(max_length=16, choices=ProviderName.choices)
    provider_session_id = models.CharField(max_length=255)
    url = models.URLField(max_length=1000)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    # The invoice the payment names when the payer chose exactly one; else the ledger's rule decides.
    invoice = models.ForeignKey("ledger.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    invoice_numbers = models.JSONField(default=list)
    status = models.CharField(max_length=8, choices=CheckoutStatus.choices, default=CheckoutStatus.OPEN)
    payment = models.ForeignKey("ledger.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_session_id"], name="checkout_session_unique"),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="checkout_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.provider_session_id} ({self.status})"


class WebhookOutcome(models.TextChoices):
    RECORDED = "recorded", "Payment recorded"
    IGNORED = "ignored", "Not an event Recoup acts on"
    UNKNOWN_SESSION = "unknown_session", "No such checkout session here"
    ALREADY_PAID = "already_paid", "Session already paid"
    MISMATCH = "mismatch", "Currency differs from the session"


class WebhookEvent(OrgOwned):
    """A verified provider event, kept once: a repeated delivery of the same id changes nothing."""

    provider = models.CharField(max_length=16, choices=ProviderName.choices)
    event_id = models.CharField(max_length=255)
    kind = models.CharField(max_length=100)
    received_at = models.DateTimeField()
    outcome = models.CharField(max_length=16, choices=WebhookOutcome.choices)
    session = models.ForeignKey(CheckoutSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "provider", "event_id"], name="webhook_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id} {self.kind}: {self.outcome}"

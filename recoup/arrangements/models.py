"""Arrangements with a debtor: payment plans, promises to pay, settlements and disputes.

Each arrangement covers chosen invoices of one customer and holds their collection through
the cycle's pauses (``collections.Pause``), kept in ``pauses`` so they can be lifted exactly
once. Only ``arrangements.actions`` writes these rows; the daily check
(``arrangements.check``) moves them on (broken, kept, lapsed, paid).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from recoup.orgs.models import OrgOwned


class ArrangementSettings(OrgOwned):
    """What a debtor may arrange alone, per organization; amounts in its base currency's minor units."""

    max_months = models.PositiveIntegerField(default=12)
    min_instalment_minor = models.BigIntegerField()
    max_balance_minor = models.BigIntegerField()
    promise_horizon_days = models.PositiveIntegerField(default=30)
    grace_days = models.PositiveIntegerField(default=5)
    reminder_days_before = models.PositiveIntegerField(default=3)
    dispute_sla_days = models.PositiveIntegerField(default=14)
    decision_days = models.PositiveIntegerField(
        default=7, help_text="A proposed plan holds reminders this many days while it waits for the operator")
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "arrangement settings"
        constraints = [models.UniqueConstraint(fields=["org"], name="one_arrangement_settings_per_org")]


class Frequency(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    FORTNIGHTLY = "fortnightly", "Every two weeks"
    MONTHLY = "monthly", "Monthly"


class PlanStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed (awaiting decision)"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    BROKEN = "broken", "Broken"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


class Source(models.TextChoices):
    PORTAL = "portal", "Debtor (portal)"
    OPERATOR = "operator", "Operator"


class PaymentPlan(OrgOwned):
    customer = models.ForeignKey("ledger.Customer", on_delete=models.PROTECT, related_name="payment_plans")
    invoices = models.ManyToManyField("ledger.Invoice", related_name="payment_plans")
    pauses = models.ManyToManyField("collections.Pause", related_name="+", blank=True)
    currency = models.CharField(max_length=3)
    total_minor = models.BigIntegerField()
    down_payment_minor = models.BigIntegerField(default=0)
    instalment_count = models.PositiveIntegerField()
    frequency = models.CharField(max_length=12, choices=Frequency.choices)
    first_date = models.DateField()
    start_date = models.DateField(help_text="The organization's date the plan was made; payments count from it")
    status = models.CharField(max_length=10, choices=PlanStatus.choices)
    source = models.CharField(max_length=10, choices=Source.choices)
    limit_reasons = models.TextField(blank=True, help_text="Why it waits for the operator")
    note = models.TextField(blank=True)
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=200, blank=True)
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org", "status"]), models.Index(fields=["org", "customer"])]

    def __str__(self) -> str:
        return f"plan #{self.pk}"


class InstalmentStatus(models.TextChoices):
    DUE = "due", "Due"
    PAID = "paid", "Paid"
    MISSED = "missed", "Missed"


class Instalment(OrgOwned):
    plan = models.ForeignKey(PaymentPlan, on_delete=models.CASCADE, related_name="instalments")
    number = models.PositiveIntegerField(help_text="0 is the down payment")
    due_date = models.DateField()
    amount_minor = models.BigIntegerField()
    status = models.CharField(max_length=8, choices=InstalmentStatus.choices, default=InstalmentStatus.DUE)
    reminder = models.ForeignKey("messaging.Message", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="instalment_number_unique")]
        indexes = [models.Index(fields=["org", "due_date"])]

    def __str__(self) -> str:
        return f"{self.plan} instalment {self.number}"


class PromiseStatus(models.TextChoices):
    OPEN = "open", "Open"
    KEPT = "kept", "Kept"
    BROKEN = "broken", "Broken"
    CANCELLED = "cancelled", "Cancelled"


class Promise(OrgOwned):
    customer = models.ForeignKey("ledger.Customer", on_delete=models.PROTECT, related_name="promises")
    invoices = models.ManyToManyField("ledger.Invoice", related_name="promises")
    pauses = models.ManyToManyField("collections.Pause", related_name="+", blank=True)
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField(help_text="What was promised (the open balance when none was named)")
    pay_by = models.DateField()
    made_on = models.DateField()
    grace_days = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=PromiseStatus.choices, default=PromiseStatus.OPEN)
    source = models.CharField(max_length=10, choices=Source.choices)
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org", "status"]), models.Index(fields=["org", "customer"])]

    def __str__(self) -> str:
        return f"promise #{self.pk}"


class SettlementStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed by the debtor"
    OFFERED = "offered", "Offered to the debtor"
    ACCEPTED = "accepted", "Accepted (awaiting payment)"
    PAID = "paid", "Paid and settled"
    LAPSED = "lapsed", "Lapsed"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Settlement(OrgOwned):
    """A reduced amount in full satisfaction of the covered invoices, if paid by the deadline."""

    customer = models.ForeignKey("ledger.Customer", on_delete=models.PROTECT, related_name="settlements")
    invoices = models.ManyToManyField("ledger.Invoice", related_name="settlements")
    pauses = models.ManyToManyField("collections.Pause", related_name="+", blank=True)
    currency = models.CharField(max_length=3)
    balance_minor = models.BigIntegerField(help_text="The open balance when it was offered")
    amount_minor = models.BigIntegerField(help_text="What settles it")
    deadline = models.DateField()
    offered_on = models.DateField()
    reason = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=SettlementStatus.choices)
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    written_off_minor = models.BigIntegerField(default=0)
    letter_pdf = models.BinaryField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org", "status"])]

    def __str__(self) -> str:
        return f"settlement #{self.pk}"


class DisputeCategory(models.TextChoices):
    WRONG_AMOUNT = "wrong_amount", "Wrong amount"
    NOT_DELIVERED = "not_delivered", "Not delivered"
    QUALITY = "quality", "Quality"
    ALREADY_PAID = "already_paid", "Already paid"
    OTHER = "other", "Other"


class DisputeStatus(models.TextChoices):
    OPEN = "open", "Open"
    UNDER_REVIEW = "under_review", "Under review"
    MEDIATION = "mediation", "In mediation"
    ARBITRATION = "arbitration", "In arbitration"
    RESOLVED_CREDIT = "resolved_credit", "Resolved by credit note"
    RESOLVED = "resolved", "Resolved"
    REJECTED = "rejected", "Rejected"


OPEN_DISPUTE_STATUSES = (DisputeStatus.OPEN, DisputeStatus.UNDER_REVIEW, DisputeStatus.MEDIATION,
                         DisputeStatus.ARBITRATION)


class Dispute(OrgOwned):
    customer = models.ForeignKey("ledger.Customer", on_delete=models.PROTECT, related_name="disputes")
    invoices = models.ManyToManyField("ledger.Invoice", related_name="disputes")
    pauses = models.ManyToManyField("collections.Pause", related_name="+", blank=True)
    category = models.CharField(max_length=16, choices=DisputeCategory.choices)
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField(null=True, blank=True, help_text="Disputed amount (none: all of it)")
    message = models.TextField()
    status = models.CharField(max_length=16, choices=DisputeStatus.choices, default=DisputeStatus.OPEN)
    source = models.CharField(max_length=10, choices=Source.choices)
    opened_on = models.DateField()
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    resolution = models.TextField(blank=True)
    credit_note = models.ForeignKey("ledger.CreditNote", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    closed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org", "status"]), models.Index(fields=["org", "customer"])]
        constraints = [models.CheckConstraint(condition=Q(amount_minor__isnull=True) | Q(amount_minor__gt=0),
                                              name="dispute_amount_positive")]

    def __str__(self) -> str:
        return f"dispute #{self.pk}"


class DisputeAttachment(OrgOwned):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    data = models.BinaryField()
    size = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename


class ReferralKind(models.TextChoices):
    MEDIATION = "mediation", "Mediation"
    ARBITRATION = "arbitration", "Arbitration"


class Referral(OrgOwned):
    """A dispute sent to a neutral party: who, when, and what came of it."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="referrals")
    kind = models.CharField(max_length=12, choices=ReferralKind.choices)
    neutral_party = models.CharField(max_length=200)
    referred_on = models.DateField()
    hearing_on = models.DateField(null=True, blank=True)
    concluded_on = models.DateField(null=True, blank=True)
    outcome = models.TextField(blank=True)
    binding = models.BooleanField(default=False)

    class Meta:
        ordering = ["referred_on", "id"]

    def __str__(self) -> str:
        return f"{self.kind} with {self.neutral_party}"

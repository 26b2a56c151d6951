"""Escalation: the operator's review, letters before action, agencies and placements, court and
ADR cases, documents kept as evidence, and recoveries of written-off amounts.

Amounts are integer minor units next to a currency, as in the ledger. Holds on collection are
the cycle's own pauses (``collections.Pause``), linked here so a recall or the end of a response
period knows which pause is whose.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q

from recoup.orgs.models import OrgOwned


class ReviewChoice(models.TextChoices):
    CONTINUE = "continue", "Continue the policy"
    PAYMENT_PLAN = "payment_plan", "Offer a payment plan"
    SETTLEMENT = "settlement", "Offer a settlement"
    LETTER_BEFORE_ACTION = "letter_before_action", "Send a letter before action"
    AGENCY = "agency", "Place with an agency"
    SMALL_CLAIMS = "small_claims", "Go to small claims"
    WRITE_OFF = "write_off", "Write off"


class EscalationReview(OrgOwned):
    """The operator's decision on an account that reached an escalation step (or was opened by hand)."""

    customer = models.ForeignKey("ledger.Customer", on_delete=models.PROTECT, related_name="escalation_reviews")
    task = models.ForeignKey("messaging.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    choice = models.CharField(max_length=24, choices=ReviewChoice.choices)
    note = models.TextField(blank=True)
    decided_by = models.CharField(max_length=200)
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["-decided_at", "-id"]

    def __str__(self) -> str:
        return f"review of {self.customer}: {self.choice}"


class LetterKind(models.TextChoices):
    EW_LETTER_OF_CLAIM = "ew_letter_of_claim", "Letter of Claim (Pre-Action Protocol for Debt Claims)"
    FINAL_DEMAND = "final_demand", "Final demand"
    TIME_BARRED_NOTICE = "time_barred_notice", "Notice of a time-barred debt"


# Enclosures a letter cannot go without (the Pre-Action Protocol, paragraph 3.1 and its Annex).
REQUIRED_ENCLOSURES: dict[str, tuple[str, ...]] = {
    LetterKind.EW_LETTER_OF_CLAIM: ("information_sheet", "reply_form"),
    LetterKind.FINAL_DEMAND: (),
    LetterKind.TIME_BARRED_NOTICE: (),
}
ENCLOSURE_TITLES = {"information_sheet": "Information Sheet", "reply_form": "Reply Form",
                    "statement": "Statement of account"}


class LetterBeforeAction(OrgOwned):
    customer = models.ForeignKey("ledger.Customer", on_delete=models.PROTECT, related_name="letters_before_action")
    number = models.PositiveIntegerField(help_text="Counts per organization: letter before action #N")
    kind = models.CharField(max_length=24, choices=LetterKind.choices)
    jurisdiction = models.CharField(max_length=8, blank=True)
    invoices = models.ManyToManyField("ledger.Invoice", related_name="+")
    currency = models.CharField(max_length=3)
    principal_minor = models.BigIntegerField()
    charges_minor = models.BigIntegerField(default=0, help_text="Fees and interest already charged")
    interest_minor = models.BigIntegerField(default=0, help_text="Statutory interest accrued, not yet charged")
    sent_on = models.DateField()
    response_days = models.PositiveIntegerField()
    deadline = models.DateField(help_text="The last day of the response period")
    enclosures = models.JSONField(default=list)
    message = models.ForeignKey("messaging.Message", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    pause = models.ForeignKey("collections.Pause", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    pdf = models.BinaryField()
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["org", "number"], name="lba_number_unique_per_org")]

    def __str__(self) -> str:
        return f"letter before action #{self.number}"

    @property
    def total_minor(self) -> int:
        return self.principal_minor + self.charges_minor + self.interest_minor


class FileFormat(models.TextChoices):
    CSV = "csv", "CSV, comma separated (UTF-8)"
    CSV_SEMICOLON = "csv_semicolon", "CSV, semicolon separated (UTF-8, decimal comma)"


class Agency(OrgOwned):
    name = models.CharField(max_length=200)
    contact_name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    address = models.TextField(blank=True)
    commission_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    file_format = models.CharField(max_length=16, choices=FileFormat.choices, default=FileFormat.CSV)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["org", "name"], name="agency_name_unique_per_org")]

    def __str__(self) -> str:
        return self.name


class PlacementStatus(models.TextChoices):
    PLACED = "placed", "With the agency"
    RECALLED = "recalled", "Recalled"
    CLOSED = "closed", "Closed by the agency"


class Placement(OrgOwned):
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="placements")
    customer = models.ForeignKey("ledger.Customer", on_delete=models.PROTECT, related_name="placements")
    invoices = models.ManyToManyField("ledger.Invoice", related_name="+")
    currency = models.CharField(max_length=3)
    placed_minor = models.BigIntegerField(help_text="The open balance handed over")
    placed_on = models.DateField()
    status = models.CharField(max_length=10, choices=PlacementStatus.choices, default=PlacementStatus.PLACED)
    ended_on = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=500, blank=True)
    pause = models.ForeignKey("collections.Pause", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-placed_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["customer"], condition=Q(status="placed"),
                                               name="one_live_placement_per_customer")]

    def __str__(self) -> str:
        return f"placement #{self.pk} of {self.customer} with {self.agency}"


class AgencyCollection(OrgOwned):
    """Money the agency collected on a placement, and its fee on it: net recovery = amount - fee."""

    placement = models.ForeignKey(Placement, on_delete=models.PROTECT, related_name="collections")
    date = models.DateField()
    amount_minor = models.BigIntegerField()
    fee_minor = models.BigIntegerField()
    payment = models.ForeignKey("ledger.Payment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["date", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount_minor__gt=0) & Q(fee_minor__gte=0),
                                              name="agency_collection_positive")]


class Forum(models.TextChoices):
    SMALL_CLAIMS = "small_claims", "Small claims"
    COUNTY_COURT = "county_court", "County court"
    MEDIATION = "mediation", "Mediation"
    ARBITRATION = "arbitration", "Arbitration"


class CaseOutcome(models.TextChoices):
    PENDING = "pending", "Pending"
    JUDGMENT = "judgment", "Judgment for us"
    LOST = "lost", "Lost"
    SETTLED = "settled", "Settled"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Case(OrgOwned):
    customer = models.ForeignKey("ledger.Customer", on_delete=models.PROTECT, related_name="legal_cases")
    invoices = models.ManyToManyField("ledger.Invoice", related_name="+")
    forum = models.CharField(max_length=16, choices=Forum.choices)
    jurisdiction = models.CharField(max_length=8, blank=True)
    court = models.CharField(max_length=200, blank=True, help_text="Court, mediator or arbitral body")
    case_number = models.CharField(max_length=100, blank=True)
    filing_date = models.DateField()
    currency = models.CharField(max_length=3)
    claim_minor = models.BigIntegerField()
    outcome = models.CharField(max_length=10, choices=CaseOutcome.choices, default=CaseOutcome.PENDING)
    outcome_on = models.DateField(null=True, blank=True)
    judgment_minor = models.BigIntegerField(default=0)
    judgment_interest_minor = models.BigIntegerField(default=0)
    note = models.TextField(blank=True)
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-filing_date", "-id"]

    def __str__(self) -> str:
        return f"{self.get_forum_display()} case {self.case_number or '#' + str(self.pk)}"


class CaseEventKind(models.TextChoices):
    HEARING = "hearing", "Hearing"
    DEADLINE = "deadline", "Deadline"
    ENFORCEMENT = "enforcement", "Enforcement step"
    COST = "cost", "Cost"
    NOTE = "note", "Note"


class CaseEvent(OrgOwned):
    """A dated step of a case: a hearing, a deadline, an enforcement step, a cost paid."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=CaseEventKind.choices)
    on = models.DateField()
    description = models.CharField(max_length=500)
    cost_minor = models.BigIntegerField(default=0)
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["on", "id"]


class EvidenceDocument(OrgOwned):
    """A file kept for the evidence pack: the signed contract, an order confirmation, a delivery note."""

    customer = models.ForeignKey("ledger.Customer", on_delete=models.CASCADE, related_name="evidence_documents")
    title = models.CharField(max_length=200)
    is_contract = models.BooleanField(default=False)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    data = models.BinaryField()
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["-is_contract", "uploaded_at", "id"]


class WriteOffRecovery(OrgOwned):
    """Money received later on an amount written off as bad debt (reported in the year received)."""

    write_off = models.ForeignKey("ledger.WriteOff", on_delete=models.PROTECT, related_name="recoveries")
    date = models.DateField()
    amount_minor = models.BigIntegerField()
    payment = models.ForeignKey("ledger.Payment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["date", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount_minor__gt=0), name="recovery_positive")]


class EscalationSettings(OrgOwned):
    """Per organization: the response period of letters and who the claimant is in small claims."""

    response_days = models.PositiveIntegerField(default=30)
    claimant_is_individual = models.BooleanField(
        default=False, help_text="The business is a natural person or sole proprietor (California's higher limit)")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org"], name="one_escalation_settings_per_org")]

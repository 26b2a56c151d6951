"""Bank accounts, imported statements and their lines, match candidates and what was decided.

Amounts are signed integer minor units: a line's ``amount_minor`` > 0 is money in.
Money reaches the ledger only through ``recoup.ledger.actions`` (one named payment per
invoice a match pays); ``LinePayment`` keeps which payments a line made, so a match can
be undone and a returned direct debit reverses exactly what its credit recorded.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from recoup.orgs.models import Organization, OrgOwned

DEFAULT_THRESHOLD = Decimal("0.90")


class BankSettings(models.Model):
    org = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="+")
    auto_threshold = models.DecimalField(
        max_digits=3, decimal_places=2, default=DEFAULT_THRESHOLD,
        validators=[MinValueValidator(Decimal("0.50")), MaxValueValidator(Decimal("1.00"))],
        help_text="Matches at least this sure are applied without asking (0.50-1.00)",
    )


class BankAccount(OrgOwned):
    name = models.CharField(max_length=100)
    iban = models.CharField(max_length=34, blank=True)
    number = models.CharField(max_length=64, blank=True, help_text="Account number where there is no IBAN")
    currency = models.CharField(max_length=3, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["org", "name"], name="bank_account_name_unique_per_org")]

    def __str__(self) -> str:
        return self.name


class CsvProfile(OrgOwned):
    """How to read one bank's CSV export (see recoup.banking.parsers.csvfile.Profile)."""

    name = models.CharField(max_length=60)
    encoding = models.CharField(max_length=20, default="utf-8-sig")
    delimiter = models.CharField(max_length=1, default=",")
    decimal = models.CharField(max_length=1, default=".", choices=[(".", "point"), (",", "comma")])
    date_format = models.CharField(max_length=30, default="%Y-%m-%d")
    date_column = models.CharField(max_length=100)
    amount_column = models.CharField(max_length=100, blank=True)
    debit_column = models.CharField(max_length=100, blank=True)
    credit_column = models.CharField(max_length=100, blank=True)
    currency_column = models.CharField(max_length=100, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    description_columns = models.CharField(max_length=300, blank=True, help_text="Comma-separated column names")
    name_column = models.CharField(max_length=100, blank=True)
    account_column = models.CharField(max_length=100, blank=True)
    reference_column = models.CharField(max_length=100, blank=True)
    bank_ref_column = models.CharField(max_length=100, blank=True)
    skip_prefixes = models.CharField(max_length=200, blank=True, help_text="Comma-separated; rows starting so are skipped")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["org", "name"], name="csv_profile_name_unique_per_org")]

    def __str__(self) -> str:
        return self.name

    def as_profile(self):
        from recoup.banking.parsers.csvfile import Profile

        split = lambda text: tuple(p.strip() for p in text.split(",") if p.strip())  # noqa: E731
        return Profile(
            name=self.name, date_column=self.date_column, date_format=self.date_format,
            amount_column=self.amount_column, debit_column=self.debit_column, credit_column=self.credit_column,
            currency_column=self.currency_column, currency=self.currency,
            description_columns=split(self.description_columns), name_column=self.name_column,
            account_column=self.account_column, reference_column=self.reference_column,
            bank_ref_column=self.bank_ref_column, delimiter=self.delimiter, decimal=self.decimal,
            encoding=self.encoding, skip_prefixes=split(self.skip_prefixes),
        )


class Statement(OrgOwned):
    """One statement (camt Stmt/Rpt/Ntfctn, an OFX STMTRS, an MT940 :20:, a CSV file) of an imported file."""

    account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="statements")
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    position = models.PositiveIntegerField(help_text="Order of this statement in its file")
    format = models.CharField(max_length=16)
    statement_ref = models.CharField(max_length=140, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    opening_minor = models.BigIntegerField(null=True, blank=True)
    closing_minor = models.BigIntegerField(null=True, blank=True)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    imported_at = models.DateTimeField()
    imported_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["-imported_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["org", "file_sha256", "position"],
                                               name="statement_once_per_file")]

    def __str__(self) -> str:
        return f"{self.file_name} #{self.position}"


class LineState(models.TextChoices):
    REVIEW = "review", "To review"
    UNMATCHED = "unmatched", "No match found"
    MATCHED = "matched", "Matched automatically"
    CONFIRMED = "confirmed", "Confirmed"
    IGNORED = "ignored", "Not a customer payment"
    RETURNED = "returned", "Returned"
    REVERSAL = "reversal", "Reverses an earlier credit"
    OUTGOING = "outgoing", "Money out"


OPEN_STATES = (LineState.REVIEW, LineState.UNMATCHED)
APPLIED_STATES = (LineState.MATCHED, LineState.CONFIRMED)


class StatementLine(OrgOwned):
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="lines")
    account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField()
    booking_date = models.DateField()
    value_date = models.DateField(null=True, blank=True)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    counterparty_name = models.CharField(max_length=200, blank=True)
    counterparty_account = models.CharField(max_length=64, blank=True)
    reference = models.CharField(max_length=140, blank=True)
    remittance = models.TextField(blank=True)
    end_to_end_id = models.CharField(max_length=140, blank=True)
    bank_ref = models.CharField(max_length=140, blank=True)
    is_return = models.BooleanField(default=False)
    return_reason = models.CharField(max_length=35, blank=True)
    place = models.CharField(max_length=300, blank=True, help_text="Where in the file")
    fingerprint = models.CharField(max_length=40)
    state = models.CharField(max_length=12, choices=LineState.choices, default=LineState.UNMATCHED)
    customer = models.ForeignKey("ledger.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reverses = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["booking_date", "position"]
        constraints = [models.UniqueConstraint(fields=["org", "account", "fingerprint"],
                                               name="statement_line_once_per_account")]
        indexes = [models.Index(fields=["org", "state"]), models.Index(fields=["org", "account", "booking_date"])]

    def __str__(self) -> str:
        return f"{self.booking_date} {self.amount_minor} {self.currency}"

    @property
    def text(self) -> str:
        return " ".join(t for t in (self.reference, self.remittance, self.end_to_end_id) if t)


class CandidateStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    APPLIED = "applied", "Applied"
    REJECTED = "rejected", "Rejected"
    UNDONE = "undone", "Undone"


class MatchCandidate(OrgOwned):
    """A way to read one line: pay these invoices of this customer, this sure, for these reasons."""

    line = models.ForeignKey(StatementLine, on_delete=models.CASCADE, related_name="candidates")
    rank = models.PositiveIntegerField()
    customer = models.ForeignKey("ledger.Customer", on_delete=models.PROTECT, related_name="+")
    parts = models.JSONField(help_text="[[invoice id, minor units], ...] in the order they are paid")
    confidence = models.DecimalField(max_digits=3, decimal_places=2)
    reasons = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=CandidateStatus.choices, default=CandidateStatus.PROPOSED)
    chosen_by_user = models.BooleanField(default=False)

    class Meta:
        ordering = ["rank", "id"]


class LinePayment(OrgOwned):
    """A ledger payment recorded for a line (one per invoice paid, plus any rest on account)."""

    line = models.ForeignKey(StatementLine, on_delete=models.CASCADE, related_name="payments")
    candidate = models.ForeignKey(MatchCandidate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    payment = models.OneToOneField("ledger.Payment", null=True, on_delete=models.SET_NULL, related_name="+")
    amount_minor = models.BigIntegerField()
    invoice_number = models.CharField(max_length=64, blank=True)
    reversed_at = models.DateTimeField(null=True, blank=True)


class RememberedAccount(OrgOwned):
    """A payer account seen paying a customer's invoices in a confirmed or applied match."""

    account = models.CharField(max_length=64)
    customer = models.ForeignKey("ledger.Customer", on_delete=models.CASCADE, related_name="+")
    last_seen = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "account"], name="remembered_account_once")]

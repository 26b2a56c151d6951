"""The ledger: who owes what, since when, under which terms.

Amounts are stored as integer minor units (cents, yen, fils) in ``*_minor``
columns next to an ISO 4217 ``currency``; SQL sums stay exact on SQLite and
PostgreSQL alike. ``recoup.core.money`` converts to and from Decimal.

Stored balances (``Invoice.open_minor``, ``Payment.unapplied_minor``,
``CreditNote.unapplied_minor``) are caches of the formulas in ``docs/ledger.md``;
only ``ledger.actions`` writes them and ``recoup check`` recomputes them.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from recoup.core.money import from_minor
from recoup.core.terms import LateFeeKind, Terms
from recoup.orgs.models import OrgOwned


class CustomerKind(models.TextChoices):
    BUSINESS = "business", "Business"
    CONSUMER = "consumer", "Consumer"


class CustomerStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CREDIT_HOLD = "credit_hold", "On credit hold"
    CLOSED = "closed", "Closed"


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "SMS"
    LETTER = "letter", "Letter"
    PHONE = "phone", "Phone"


class PaymentTerms(OrgOwned):
    name = models.CharField(max_length=60)
    net_days = models.PositiveIntegerField(default=30)
    end_of_month = models.BooleanField(default=False)
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    discount_days = models.PositiveIntegerField(default=0)
    late_fee_kind = models.CharField(
        max_length=20, choices=[(k.value, k.value.replace("_", " ")) for k in LateFeeKind], default="none"
    )
    late_fee_flat = models.DecimalField(max_digits=12, decimal_places=3, default=Decimal("0"))
    late_fee_percent = models.DecimalField(max_digits=6, decimal_places=3, default=Decimal("0"))
    grace_days = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "payment terms"
        constraints = [models.UniqueConstraint(fields=["org", "name"], name="terms_name_unique_per_org")]

    def __str__(self) -> str:
        return self.name

    def as_terms(self) -> Terms:
        return Terms(
            name=self.name,
            net_days=self.net_days,
            end_of_month=self.end_of_month,
            discount_percent=self.discount_percent,
            discount_days=self.discount_days,
            late_fee_kind=LateFeeKind(self.late_fee_kind),
            late_fee_flat=self.late_fee_flat,
            late_fee_percent=self.late_fee_percent,
            grace_days=self.grace_days,
        )


class Customer(OrgOwned):
    ref = models.CharField(max_length=64)
    kind = models.CharField(max_length=10, choices=CustomerKind.choices, default=CustomerKind.BUSINESS)
    legal_name = models.CharField(max_length=200)
    display_name = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=2, blank=True)
    region = models.CharField(max_length=10, blank=True)
    timezone = models.CharField(max_length=64, blank=True)
    language = models.CharField(max_length=16, blank=True)
    credit_limit_minor = models.BigIntegerField(null=True, blank=True, help_text="In the organization's currency")
    default_terms = models.ForeignKey(PaymentTerms, null=True, blank=True, on_delete=models.SET_NULL)
    status = models.CharField(max_length=12, choices=CustomerStatus.choices, default=CustomerStatus.ACTIVE)
    notes = models.TextField(blank=True)
    # The collector who works this account ("my accounts"); a member of the organization.
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["display_name", "legal_name"]
        constraints = [models.UniqueConstraint(fields=["org", "ref"], name="customer_ref_unique_per_org")]
        indexes = [models.Index(fields=["org", "display_name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.display_name or self.legal_name


class Contact(OrgOwned):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    postal_address = models.TextField(blank=True)
    preferred_channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    opt_out_email = models.BooleanField(default=False)
    opt_out_sms = models.BooleanField(default=False)
    opt_out_letter = models.BooleanField(default=False)
    opt_out_phone = models.BooleanField(default=False)
    is_billing = models.BooleanField(default=True)

    class Meta:
        ordering = ["-is_billing", "name"]
        # The contacts of some customers (the cycle reads them a hundred customers at a time): without
        # it SQLite walks every contact of the organization.
        indexes = [models.Index(fields=["org", "customer"], name="contact_org_customer")]

    def __str__(self) -> str:
        return self.name


class InvoiceStatus(models.TextChoices):
    OPEN = "open", "Open"
    PAID = "paid", "Paid"
    CREDITED = "credited", "Credited"
    WRITTEN_OFF = "written_off", "Written off"


class Invoice(OrgOwned):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(max_length=64)
    issue_date = models.DateField()
    due_date = models.DateField()
    currency = models.CharField(max_length=3)
    net_minor = models.BigIntegerField()
    tax_minor = models.BigIntegerField(default=0)
    total_minor = models.BigIntegerField()
    open_minor = models.BigIntegerField()
    status = models.CharField(max_length=12, choices=InvoiceStatus.choices, default=InvoiceStatus.OPEN)
    terms = models.ForeignKey(PaymentTerms, null=True, blank=True, on_delete=models.SET_NULL)
    # The terms as agreed when the invoice was issued: later edits of the
    # PaymentTerms row must not change what this customer agreed to.
    agreed_terms = models.JSONField()
    po_number = models.CharField(max_length=64, blank=True)
    description = models.CharField(max_length=500, blank=True)
    pdf = models.FileField(upload_to="invoices/%Y/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-issue_date", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["org", "number"], name="invoice_number_unique_per_org"),
            models.CheckConstraint(condition=Q(total_minor__gte=0), name="invoice_total_not_negative"),
        ]
        indexes = [
            models.Index(fields=["org", "customer"]),
            # The invoice list's order (newest first): its first page is read from the index, not sorted. With
            # the customer, a search (number, or a customer found by name) reads this index alone, never a row
            # per invoice (SQLite: 1.8 s -> 0.2 s at 1,000,000 invoices; PostgreSQL also has trigram indexes).
            models.Index(fields=["org", "issue_date", "number", "customer"], name="invoice_list_order"),
            # The currencies an organization invoices in, one seek each (selectors.invoice_currencies).
            models.Index(fields=["org", "currency"], name="invoice_org_currency"),
            # Aging reads open invoices only; this keeps it proportional to them.
            models.Index(
                fields=["org", "due_date"], name="invoice_open_by_due", condition=~Q(open_minor=0)
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def terms_as_agreed(self) -> Terms:
        return Terms.from_dict(self.agreed_terms)

    @property
    def total(self) -> Decimal:
        return from_minor(self.total_minor, self.currency)

    @property
    def open_amount(self) -> Decimal:
        return from_minor(self.open_minor, self.currency)


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    description = models.CharField(max_length=500)
    quantity = models.DecimalField(max_digits=14, decimal_places=4, default=Decimal("1"))
    unit_price = models.DecimalField(max_digits=18, decimal_places=6)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    net_minor = models.BigIntegerField()
    tax_minor = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["invoice", "position"], name="line_position_unique")]


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    CARD = "card", "Card"
    DIRECT_DEBIT = "direct_debit", "Direct debit"
    CASH = "cash", "Cash"
    CHEQUE = "cheque", "Cheque"
    OTHER = "other", "Other"


class Payment(OrgOwned):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="payments")
    date = models.DateField()
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    method = models.CharField(max_length=16, choices=PaymentMethod.choices, default=PaymentMethod.BANK_TRANSFER)
    reference = models.CharField(max_length=140, blank=True)
    payer = models.CharField(max_length=200, blank=True)
    named_invoice = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    unapplied_minor = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payment_positive"),
            models.CheckConstraint(condition=Q(unapplied_minor__gte=0), name="payment_unapplied_not_negative"),
        ]
        indexes = [
            models.Index(fields=["org", "customer", "date"]),
            models.Index(fields=["org", "date"]),
            # Credit on account is rare: the aging report finds it without reading every payment.
            models.Index(fields=["org", "customer"], condition=Q(unapplied_minor__gt=0), name="payment_with_credit"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {from_minor(self.amount_minor, self.currency)} {self.currency}"

    @property
    def amount(self) -> Decimal:
        return from_minor(self.amount_minor, self.currency)


class CreditNote(OrgOwned):
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="credit_notes")
    number = models.CharField(max_length=64)
    date = models.DateField()
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    named_invoice = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=500, blank=True)
    unapplied_minor = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "number"], name="credit_note_number_unique_per_org"),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="credit_note_positive"),
            models.CheckConstraint(condition=Q(unapplied_minor__gte=0), name="credit_unapplied_not_negative"),
        ]
        indexes = [
            models.Index(fields=["org", "customer"], condition=Q(unapplied_minor__gt=0), name="credit_note_with_credit"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def amount(self) -> Decimal:
        return from_minor(self.amount_minor, self.currency)


class Allocation(OrgOwned):
    """Part of a payment or a credit note applied to one invoice, on a date.

    The date is the latest of the source's date, the day it was applied and the
    invoice's issue date: credit left on account and applied later counts from
    the day of applying, and money paid ahead of an invoice stays credit on
    account until the invoice exists.
    """

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations")
    credit_note = models.ForeignKey(
        CreditNote, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations"
    )
    date = models.DateField()
    amount_minor = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="allocation_positive"),
            models.CheckConstraint(
                condition=(Q(payment__isnull=False) & Q(credit_note__isnull=True))
                | (Q(payment__isnull=True) & Q(credit_note__isnull=False)),
                name="allocation_has_one_source",
            ),
        ]
        indexes = [models.Index(fields=["org", "date"]), models.Index(fields=["invoice", "date"])]


class ChargeKind(models.TextChoices):
    LATE_FEE = "late_fee", "Late fee"
    INTEREST = "interest", "Interest"
    OTHER = "other", "Other charge"


class Charge(OrgOwned):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="charges")
    kind = models.CharField(max_length=10, choices=ChargeKind.choices)
    date = models.DateField()
    amount_minor = models.BigIntegerField()
    description = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount_minor__gt=0), name="charge_positive")]
        indexes = [models.Index(fields=["org", "date"])]


class ChargeWaiver(OrgOwned):
    """Part or all of a charge the business gave up, with a reason: its own row, so the charge
    stays as it was charged and the history shows who waived what and why."""

    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, related_name="waivers")
    date = models.DateField()
    amount_minor = models.BigIntegerField()
    reason = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount_minor__gt=0), name="charge_waiver_positive")]
        indexes = [models.Index(fields=["org", "date"])]


class WriteOff(OrgOwned):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="write_offs")
    date = models.DateField()
    amount_minor = models.BigIntegerField()
    reason = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount_minor__gt=0), name="write_off_positive")]
        indexes = [models.Index(fields=["org", "date"])]


class ImportMapping(OrgOwned):
    """The columns of one source's files, as an operator mapped them on the import page, kept for
    the organization's next file of that kind from that source (``ledger.imports.mappings``)."""

    source = models.CharField(max_length=32, blank=True, help_text='"" for any other CSV; else a preset, e.g. zoho')
    kind = models.CharField(max_length=16)
    columns = models.JSONField(default=dict, help_text="file column (lower case) -> field, or '-' to leave it out")
    date_order = models.CharField(max_length=3, blank=True, help_text="dmy or mdy; empty: the locale's")
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "source", "kind"], name="one_import_mapping")]

    def __str__(self) -> str:
        return f"{self.source or 'csv'} {self.kind} mapping"

"""Organizations (the businesses Recoup collects for) and who may work in them."""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from recoup.core.terms import Terms

slug_validator = RegexValidator(r"^[a-z0-9][a-z0-9-]{1,48}$", "Use 2-49 lower-case letters, digits or dashes.")


class SendMode(models.TextChoices):
    AUTOMATIC = "automatic", "Automatic: the cycle's messages go out by themselves"
    REVIEW = "review", "Review: the cycle's messages wait as drafts until approved"
    OFF = "off", "Off: the cycle decides but sends nothing"


class PaymentOrder(models.TextChoices):
    BY_LAW = "", "As the rules in force say (principal first where they require it, else charges first)"
    PRINCIPAL_FIRST = "principal_first", "Principal first, then fees and interest"
    CHARGES_FIRST = "charges_first", "Fees and interest first, then principal"


class Organization(models.Model):
    slug = models.SlugField(max_length=50, unique=True, validators=[slug_validator])
    legal_name = models.CharField(max_length=200)
    address = models.TextField(blank=True)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2, e.g. GB")
    region = models.CharField(max_length=10, blank=True, help_text="ISO 3166-2 subdivision, e.g. CA")
    base_currency = models.CharField(max_length=3)
    timezone = models.CharField(max_length=64, default="UTC")
    locale = models.CharField(max_length=16, default="en")
    cycle_time = models.TimeField(default=time(7, 0), help_text="Daily collections cycle runs at this local time")
    sender_email = models.EmailField(blank=True)
    sender_phone = models.CharField(max_length=32, blank=True)
    bank_name = models.CharField(max_length=100, blank=True)
    bank_iban = models.CharField(max_length=34, blank=True)
    bank_bic = models.CharField(max_length=11, blank=True)
    bank_account = models.CharField(max_length=64, blank=True, help_text="Account details where IBAN is not used")
    tax_id = models.CharField(max_length=32, blank=True)
    default_terms = models.ForeignKey(
        "ledger.PaymentTerms", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    require_owner_2fa = models.BooleanField(
        default=False, help_text="Owners must sign in with a code from an authenticator app")
    collector_write_off_limit_minor = models.BigIntegerField(
        default=0, help_text="Largest write-off a collector may make, in minor units of the base currency "
                             "(0: only owners write off)")
    send_mode = models.CharField(max_length=10, choices=SendMode.choices, default=SendMode.AUTOMATIC,
                                 help_text="What happens to the cycle's messages (a policy step may say otherwise)")
    draft_expiry_days = models.PositiveSmallIntegerField(
        default=3, help_text="A draft not approved within this many days expires; the next cycle decides afresh")
    send_window_start = models.TimeField(default=time(9, 0),
                                         help_text="Messages are delivered from this time, in the debtor's local time")
    send_window_end = models.TimeField(default=time(12, 0), help_text="... until this time (debtor's local time)")
    send_window_weekdays = models.CharField(
        max_length=7, default="12345", help_text="Days messages may be delivered: ISO weekday digits, 1 = Monday")
    manual_contact_quiet_days = models.PositiveSmallIntegerField(
        default=5, help_text="After a personal contact (a manual message, a call, a reply) the automatic "
                             "steps wait this many days")
    payment_order = models.CharField(max_length=16, choices=PaymentOrder.choices, blank=True, default="",
                                     help_text="What a payment settles first on an invoice with fees or interest")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["legal_name"]

    def __str__(self) -> str:
        return self.legal_name

    def terms(self) -> Terms:
        return self.default_terms.as_terms() if self.default_terms else Terms()


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    COLLECTOR = "collector", "Collector"
    VIEWER = "viewer", "Viewer"


# Higher rank may do everything a lower rank may.
ROLE_RANK = {Role.VIEWER: 0, Role.COLLECTOR: 1, Role.OWNER: 2}


class Membership(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "user"], name="one_membership_per_org")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.org.slug} ({self.role})"

    def allows(self, role: str) -> bool:
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[Role(role)]


def check_same_org(org: "Organization", *objs: object, error: type[Exception] = ValueError) -> None:
    """Refuse (with ``error``) any object that does not belong to ``org``; None is skipped.

    Every action calls this on what it was handed before it writes: an id from
    outside must never reach another organization's rows.
    """
    for obj in objs:
        if obj is not None and getattr(obj, "org_id", None) != org.pk:
            raise error(f"{type(obj).__name__} {obj} does not belong to {org.slug}")


class OrgScopedQuerySet(models.QuerySet):
    def for_org(self, org: Organization) -> "OrgScopedQuerySet":
        if not isinstance(org, Organization) or org.pk is None:
            raise ValueError("for_org() needs a saved Organization")
        return self.filter(org=org)

    def in_bulk(self, id_list=None, *, field_name="pk"):
        """Rows by id, without the model's default order unless one was asked for: the result is keyed
        by id anyway, and on SQLite without statistics that order (invoices newest first, say) made the
        planner walk the organization's index on it through every row instead of fetching a few by id."""
        rows = self if self.query.order_by else self.order_by()
        return super(OrgScopedQuerySet, rows).in_bulk(id_list, field_name=field_name)


class OrgOwned(models.Model):
    """Base for every model that belongs to one organization.

    Reads go through ``Model.objects.for_org(org)``; a row's related rows must
    belong to the same organization, which actions check and ``recoup check``
    verifies.
    """

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        abstract = True

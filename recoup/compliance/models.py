"""Rate points an organization adds to the shipped rate series (``recoup rates add``).

A point holds from its date until the next point (shipped or added); an added point
on the same date as a shipped one wins. Points are per organization: one business's
owner never changes another's interest figures.
"""

from __future__ import annotations

from django.db import models

from recoup.orgs.models import OrgOwned


class RatePoint(OrgOwned):
    series = models.CharField(max_length=40)
    effective_from = models.DateField()
    percent = models.DecimalField(max_digits=8, decimal_places=4)
    note = models.CharField(max_length=200, blank=True)
    added_by = models.CharField(max_length=200)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["series", "effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["org", "series", "effective_from"], name="rate_point_unique_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.percent} % from {self.effective_from}"


class RestrictionKind(models.TextChoices):
    CEASE_CONTACT = "cease_contact", "Asked us to stop contacting them"
    ATTORNEY = "attorney", "Represented by an attorney"
    INSOLVENCY = "insolvency", "Insolvency proceedings"
    BREATHING_SPACE = "breathing_space", "UK Breathing Space"
    DECEASED = "deceased", "Deceased"


class ContactRestriction(OrgOwned):
    """Something about the debtor that stops (or narrows) contact, from ``starts_on`` through
    ``ends_on`` (inclusive; open-ended when empty) until lifted. Read by the contact gate."""

    customer = models.ForeignKey("ledger.Customer", on_delete=models.CASCADE, related_name="contact_restrictions")
    kind = models.CharField(max_length=16, choices=RestrictionKind.choices)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        indexes = [models.Index(fields=["org", "customer"], condition=models.Q(lifted_at__isnull=True),
                                name="restriction_not_lifted")]

    def __str__(self) -> str:
        until = f" until {self.ends_on}" if self.ends_on else ""
        return f"{self.get_kind_display()} from {self.starts_on}{until}"


class EmployerEmail(OrgOwned):
    """A contact's e-mail address known to be provided by the debtor's employer; usable only with
    the debtor's consent (Reg F 1006.22(f)(3))."""

    contact = models.ForeignKey("ledger.Contact", on_delete=models.CASCADE, related_name="+")
    address = models.EmailField()
    consent = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "contact", "address"], name="employer_email_once")]

    def __str__(self) -> str:
        return f"{self.address} (employer{', consent given' if self.consent else ''})"

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

"""Use cases that write: adding a point to a rate series."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.db import transaction

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.compliance.models import RatePoint
from recoup.core.rules import shipped_rates
from recoup.orgs.models import Organization


class ComplianceError(ValueError):
    """A request Recoup refuses, with a message fit to show the operator."""


@transaction.atomic
def rate_point_add(*, org: Organization, series: str, effective_from: date, percent: Decimal, actor: Actor,
                   now: datetime, note: str = "") -> RatePoint:
    """Add a rate of ``series`` in force from ``effective_from`` (percent a year), audited."""
    book = shipped_rates()
    if series not in book.series:
        raise ComplianceError(f"unknown rate series {series!r} (known: {', '.join(sorted(book.series))})")
    if not isinstance(percent, Decimal) or not percent.is_finite() or not Decimal(-100) <= percent <= 100:
        raise ComplianceError("the rate must be a percentage between -100 and 100, e.g. 2.15")
    if percent != percent.quantize(Decimal("0.0001")):
        raise ComplianceError("the rate has more than 4 decimals")
    if RatePoint.objects.for_org(org).filter(series=series, effective_from=effective_from).exists():
        raise ComplianceError(f"{series} already has a point added on {effective_from.isoformat()}")
    point = RatePoint.objects.create(org=org, series=series, effective_from=effective_from, percent=percent,
                                     note=note[:200], added_by=actor.label, created_at=now)
    label = book.series[series].label
    audit.record(org=org, actor=actor, at=now, verb="rate.added", subject=point,
                 summary=f"{label}: {percent} % from {effective_from.isoformat()}",
                 data={"series": series, "effective_from": effective_from.isoformat(), "percent": str(percent)})
    return point

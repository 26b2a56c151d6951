"""Use cases that write: adding a point to a rate series, setting and lifting contact restrictions."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction

from recoup.audit import actions as audit
from recoup.audit.actions import Actor
from recoup.compliance.models import ContactRestriction, RatePoint, RestrictionKind
from recoup.core.rules import by_topic, rules_in_force, shipped_rates
from recoup.ledger.models import Customer
from recoup.orgs.models import check_same_org
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


@transaction.atomic
def restriction_set(*, org: Organization, customer: Customer, kind: str, starts_on: date, actor: Actor,
                    now: datetime, ends_on: date | None = None, note: str = "",
                    lift: bool = False) -> list[ContactRestriction]:
    """Record a restriction on contacting ``customer`` (or, with ``lift``, end those of ``kind`` in force).

    A Breathing Space without ``ends_on`` lasts the standard moratorium (60 days, SI 2020/1311 reg. 27).
    Setting a kind already in force replaces its dates. Returns the rows written (the lifted ones
    with ``lift``). Raises ComplianceError naming the field for bad input.
    """
    check_same_org(org, customer, error=ComplianceError)
    if kind not in RestrictionKind.values:
        raise ComplianceError(f"kind: {kind!r} is not one of {', '.join(RestrictionKind.values)}")
    current = list(ContactRestriction.objects.for_org(org).select_for_update(no_key=True)
                   .filter(customer=customer, kind=kind, lifted_at__isnull=True))
    label = RestrictionKind(kind).label
    if lift:
        if not current:
            raise ComplianceError(f"kind: {customer.ref} has no {label.lower()} restriction to lift")
        for row in current:
            row.lifted_at, row.lifted_by = now, actor.label
            row.save(update_fields=["lifted_at", "lifted_by"])
        audit.record(org=org, actor=actor, at=now, verb="restriction.lifted", subject=customer, customer=customer,
                     summary=f"{customer.ref}: {label} lifted", data={"kind": kind})
        return current
    if kind == RestrictionKind.BREATHING_SPACE and ends_on is None:
        rules = by_topic(rules_in_force("GB", starts_on, "consumer"), "breathing_space")
        days = rules[0].parameters.standard_days if rules else 60
        ends_on = starts_on + timedelta(days=days - 1)
    if ends_on is not None and ends_on < starts_on:
        raise ComplianceError("until: the last day is before the first")
    for row in current:
        row.lifted_at, row.lifted_by = now, f"{actor.label} (replaced)"
        row.save(update_fields=["lifted_at", "lifted_by"])
    row = ContactRestriction.objects.create(org=org, customer=customer, kind=kind, starts_on=starts_on,
                                            ends_on=ends_on, note=note[:500], created_by=actor.label, created_at=now)
    until = f" until {ends_on.isoformat()}" if ends_on else ""
    audit.record(org=org, actor=actor, at=now, verb="restriction.set", subject=customer, customer=customer,
                 summary=f"{customer.ref}: {label} from {starts_on.isoformat()}{until}"
                         + (f" ({note})" if note else ""),
                 data={"kind": kind, "starts_on": starts_on.isoformat(),
                       "ends_on": ends_on.isoformat() if ends_on else None})
    return [row]

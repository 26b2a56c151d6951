"""Plans, promises and disputes as plain rows (``recoup arrangements ... --format json``): the operator's
lists (``selectors.arrangement_lists``), one customer's or all, amounts as decimal text."""

from __future__ import annotations

from datetime import date
from typing import Any

from recoup.arrangements.models import Dispute, PaymentPlan, Promise
from recoup.arrangements.selectors import DisputeRow, arrangement_lists
from recoup.core.money import minor_to_text
from recoup.orgs.models import Organization

KINDS = ("plan", "promise", "dispute")


def _common(obj: Any) -> dict[str, Any]:
    return {"id": obj.pk, "customer": obj.customer.ref, "invoices": sorted(i.number for i in obj.invoices.all()),
            "status": obj.status, "currency": obj.currency, "source": obj.source, "created_by": obj.created_by}


def plan_row(plan: PaymentPlan) -> dict[str, Any]:
    return {**_common(plan), "total": minor_to_text(plan.total_minor, plan.currency),
            "down_payment": minor_to_text(plan.down_payment_minor, plan.currency),
            "instalments": plan.instalment_count, "frequency": plan.frequency,
            "first_date": plan.first_date.isoformat(), "start_date": plan.start_date.isoformat(),
            "limit_reasons": plan.limit_reasons, "ended_on": plan.ended_on and plan.ended_on.isoformat()}


def promise_row(promise: Promise) -> dict[str, Any]:
    return {**_common(promise), "amount": minor_to_text(promise.amount_minor, promise.currency),
            "pay_by": promise.pay_by.isoformat(), "made_on": promise.made_on.isoformat(),
            "grace_days": promise.grace_days, "ended_on": promise.ended_on and promise.ended_on.isoformat()}


def dispute_row(dispute: Dispute, age_days: int | None = None, past_sla: bool | None = None) -> dict[str, Any]:
    amount = minor_to_text(dispute.amount_minor, dispute.currency) if dispute.amount_minor else None
    return {**_common(dispute), "category": dispute.category, "amount": amount,
            "opened_on": dispute.opened_on.isoformat(), "age_days": age_days, "past_sla": past_sla,
            "closed_on": dispute.closed_on and dispute.closed_on.isoformat(), "resolution": dispute.resolution}


def row_of(obj: Any) -> dict[str, Any]:
    """One arrangement as a row, whatever its kind."""
    if isinstance(obj, DisputeRow):
        return dispute_row(obj.dispute, obj.age_days, obj.past_sla)
    return {PaymentPlan: plan_row, Promise: promise_row, Dispute: dispute_row}[type(obj)](obj)


def arrangement_rows(*, org: Organization, kind: str, today: date, customer: Any = None,
                     include_closed: bool = False) -> list[dict[str, Any]]:
    """The organization's open (or all) arrangements of one kind, as the operator's page lists them."""
    listed = arrangement_lists(org=org, today=today, include_closed=include_closed)[f"{kind}s"]
    rows = [row_of(item) for item in listed]
    return [r for r in rows if customer is None or r["customer"] == customer.ref]

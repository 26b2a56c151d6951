"""Reads for arrangements: limits, what has been paid towards one, a customer's record, lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Iterable

from django.db.models import Case, Count, Q, QuerySet, Sum, Value, When

from recoup.arrangements.models import (
    OPEN_DISPUTE_STATUSES, ArrangementSettings, Dispute, PaymentPlan, PlanStatus, Promise, PromiseStatus,
    Settlement, SettlementStatus,
)
from recoup.core.instalments import Limits, Scheduled
from recoup.core.money import minor_exponent
from recoup.ledger.models import Allocation, Customer
from recoup.orgs.models import Organization

OPEN_PLAN_STATUSES = (PlanStatus.PROPOSED, PlanStatus.ACTIVE)
OPEN_SETTLEMENT_STATUSES = (SettlementStatus.PROPOSED, SettlementStatus.OFFERED, SettlementStatus.ACCEPTED)


def default_settings(org: Organization) -> ArrangementSettings:
    """Unsaved defaults: plans up to 12 months, instalments of at least 25 and balances up to
    5,000 in the organization's currency, promises up to 30 days ahead, 5 grace days."""
    unit = 10 ** minor_exponent(org.base_currency)
    return ArrangementSettings(org=org, min_instalment_minor=25 * unit, max_balance_minor=5000 * unit)


def settings_for(org: Organization) -> ArrangementSettings:
    """The organization's arrangement settings (its defaults when never saved)."""
    return ArrangementSettings.objects.for_org(org).first() or default_settings(org)


def limits_for(settings: ArrangementSettings) -> Limits:
    return Limits(max_months=settings.max_months, min_instalment_minor=settings.min_instalment_minor,
                  max_balance_minor=settings.max_balance_minor)


def paid_towards(*, invoice_ids: Iterable[int], since: date, until: date | None = None) -> int:
    """Money applied (payments and credit notes) to these invoices dated from ``since`` through ``until``."""
    rows = Allocation.objects.filter(invoice_id__in=list(invoice_ids), date__gte=since)
    if until is not None:
        rows = rows.filter(date__lte=until)
    return rows.aggregate(s=Sum("amount_minor"))["s"] or 0


def plan_schedule(plan: PaymentPlan) -> list[Scheduled]:
    return [Scheduled(number=i.number, due_date=i.due_date, amount_minor=i.amount_minor)
            for i in plan.instalments.all()]


def customer_record_counts(*, org: Organization, customer_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Per customer: promises made, promises broken, disputes raised, disputes still open.

    Every id asked for is in the answer (zeros when it has none); ids of another
    organization count nothing.
    """
    ids = list(customer_ids)
    out = {cid: {"promises": 0, "broken_promises": 0, "disputes": 0, "open_disputes": 0} for cid in ids}
    promises = (Promise.objects.for_org(org).filter(customer_id__in=ids).values("customer_id")
                .annotate(n=Count("id"), broken=Count("id", filter=Q(status=PromiseStatus.BROKEN))))
    for row in promises:
        out[row["customer_id"]].update(promises=row["n"], broken_promises=row["broken"])
    disputes = (Dispute.objects.for_org(org).filter(customer_id__in=ids).values("customer_id")
                .annotate(n=Count("id"), open=Count("id", filter=Q(status__in=OPEN_DISPUTE_STATUSES))))
    for row in disputes:
        out[row["customer_id"]].update(disputes=row["n"], open_disputes=row["open"])
    return out


@dataclass
class OpenArrangements:
    """A customer's arrangements still in force: what the portal and the customer page show."""

    plans: list[PaymentPlan] = field(default_factory=list)
    promises: list[Promise] = field(default_factory=list)
    disputes: list[Dispute] = field(default_factory=list)
    settlements: list[Settlement] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.plans or self.promises or self.disputes or self.settlements)


def open_arrangements(*, org: Organization, customer: Customer) -> OpenArrangements:
    """Plans (with their instalments), promises, disputes and settlements of ``customer`` still open."""
    if customer.org_id != org.pk:
        raise ValueError(f"customer {customer.ref} does not belong to {org.slug}")
    mine = {"customer": customer}
    return OpenArrangements(
        plans=list(PaymentPlan.objects.for_org(org).filter(status__in=OPEN_PLAN_STATUSES, **mine)
                   .prefetch_related("instalments", "invoices")),
        promises=list(Promise.objects.for_org(org).filter(status=PromiseStatus.OPEN, **mine)
                      .prefetch_related("invoices")),
        disputes=list(Dispute.objects.for_org(org).filter(status__in=OPEN_DISPUTE_STATUSES, **mine)
                      .prefetch_related("invoices", "attachments")),
        settlements=list(Settlement.objects.for_org(org).filter(status__in=OPEN_SETTLEMENT_STATUSES, **mine)
                         .prefetch_related("invoices")),
    )


def disputes_past_sla(*, org: Organization, today: date, sla_days: int | None = None) -> QuerySet:
    """Open disputes waiting longer than the organization's SLA, oldest first."""
    days = settings_for(org).dispute_sla_days if sla_days is None else sla_days
    return (Dispute.objects.for_org(org).filter(status__in=OPEN_DISPUTE_STATUSES,
                                                opened_on__lt=today - timedelta(days=days))
            .select_related("customer").order_by("opened_on", "id"))


def busy_invoice_ids(*, org: Organization, invoice_ids: Iterable[int], kind: str) -> dict[int, str]:
    """Of these invoices, those already in an open plan or promise, with that arrangement's label."""
    ids = list(invoice_ids)
    if kind == "plan":
        rows = PaymentPlan.objects.for_org(org).filter(status__in=OPEN_PLAN_STATUSES, invoices__in=ids)
    else:
        rows = Promise.objects.for_org(org).filter(status=PromiseStatus.OPEN, invoices__in=ids)
    return {inv_id: f"{kind} #{pk}" for pk, inv_id in rows.values_list("pk", "invoices")}


def plans_covering(*, org: Organization, invoice_ids: Iterable[int]) -> dict[int, PaymentPlan]:
    """Of these invoices, those in a proposed or active plan, with that plan."""
    rows = (PaymentPlan.objects.for_org(org).filter(status__in=OPEN_PLAN_STATUSES, invoices__in=list(invoice_ids))
            .values_list("pk", "invoices"))
    pairs = list(rows)
    plans = PaymentPlan.objects.for_org(org).in_bulk({pk for pk, _ in pairs})
    return {inv_id: plans[pk] for pk, inv_id in pairs}


def held_invoice_ids(*, org: Organization, on: date) -> set[int]:
    """Invoices an arrangement holds on ``on``: disputed, in a proposed or active plan, or promised
    and not yet past the promised day plus its grace days. Nobody should be calling about them."""
    held: set[int] = set()
    held.update(Dispute.objects.for_org(org).filter(status__in=OPEN_DISPUTE_STATUSES, invoices__isnull=False)
                .values_list("invoices", flat=True))
    held.update(PaymentPlan.objects.for_org(org).filter(status__in=OPEN_PLAN_STATUSES, invoices__isnull=False)
                .values_list("invoices", flat=True))
    for invoice_id, pay_by, grace in (Promise.objects.for_org(org).filter(status=PromiseStatus.OPEN,
                                                                         invoices__isnull=False)
                                      .values_list("invoices", "pay_by", "grace_days")):
        if on <= pay_by + timedelta(days=grace):
            held.add(invoice_id)
    return held


@dataclass
class DisputeRow:
    dispute: Dispute
    age_days: int
    past_sla: bool


def arrangement_querysets(*, org: Organization, include_closed: bool = False) -> dict[str, QuerySet]:
    """The operator's lists, each in its order in SQL: plans (proposals first, newest first), promises by
    pay-by day, settlements by deadline, disputes oldest first."""
    plans = PaymentPlan.objects.for_org(org).select_related("customer").prefetch_related("invoices")
    promises = Promise.objects.for_org(org).select_related("customer").prefetch_related("invoices")
    settlements = Settlement.objects.for_org(org).select_related("customer").prefetch_related("invoices")
    disputes = Dispute.objects.for_org(org).select_related("customer").prefetch_related("invoices")
    if not include_closed:
        plans = plans.filter(status__in=OPEN_PLAN_STATUSES)
        promises = promises.filter(status=PromiseStatus.OPEN)
        settlements = settlements.filter(status__in=OPEN_SETTLEMENT_STATUSES)
        disputes = disputes.filter(status__in=OPEN_DISPUTE_STATUSES)
    proposed_first = Case(When(status=PlanStatus.PROPOSED, then=Value(0)), default=Value(1))
    return {"plans": plans.order_by(proposed_first, "-id"), "promises": promises.order_by("pay_by", "id"),
            "settlements": settlements.order_by("deadline", "id"), "disputes": disputes.order_by("opened_on", "id")}


def dispute_rows(*, org: Organization, disputes: Iterable[Dispute], today: date) -> list[DisputeRow]:
    """Disputes with their SLA clock: days waiting (to ``today``, or to the day closed) and past the SLA."""
    sla = settings_for(org).dispute_sla_days
    rows = []
    for d in disputes:
        age = ((d.closed_on or today) - d.opened_on).days
        rows.append(DisputeRow(d, age, d.status in OPEN_DISPUTE_STATUSES and age > sla))
    return rows


def arrangement_lists(*, org: Organization, today: date, include_closed: bool = False) -> dict[str, list]:
    """Every arrangement of the operator's lists (``arrangement_querysets``), disputes with their SLA clock."""
    lists = {kind: list(qs) for kind, qs in arrangement_querysets(org=org, include_closed=include_closed).items()}
    lists["disputes"] = dispute_rows(org=org, disputes=lists["disputes"], today=today)
    return lists
"""The fetch half of the daily cycle: everything it needs, in a few set-based queries.

One query each for open invoices within the policies' horizon, their customers, tags and
policy overrides, pauses in force and the decisions already taken; no query per invoice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from recoup.collections.models import Policy, StepDecision
from recoup.collections.selectors import PolicyAssignment, active_pauses, core_policy
from recoup.core.calendar import BusinessCalendar
from recoup.core.policy import CustomerFacts, InvoiceFacts, Policy as CorePolicy
from recoup.ledger.models import Customer, Invoice
from recoup.orgs.models import Organization


@dataclass
class CustomerWork:
    """One customer's facts for the day, and the policy it follows."""

    id: int
    ref: str
    kind: str
    status: str
    policy_id: int | None
    calendar: BusinessCalendar
    facts: CustomerFacts
    invoices: list[InvoiceFacts] = field(default_factory=list)
    decided: dict[int, set[tuple[str, int]]] = field(default_factory=dict)


@dataclass
class CycleFacts:
    on: date
    policies: dict[int, CorePolicy]
    customers: list[CustomerWork]


def horizon_days(policies: list[CorePolicy]) -> int:
    """How many days ahead of their due date invoices can have a step (pre-due notes)."""
    days = 0
    for policy in policies:
        for step in policy.steps:
            if step.offset_days < 0:
                ahead = -step.offset_days
                # n business days back can span weekends and a cluster of holidays.
                days = max(days, ahead * 7 // 5 + 14 if step.business_days else ahead)
    return days


def fetch_cycle_facts(*, org: Organization, on: date) -> CycleFacts:
    """Load what the cycle decides on for ``org`` on ``on``."""
    policies = {p.pk: core_policy(p) for p in Policy.objects.for_org(org)}
    until = on + timedelta(days=horizon_days(list(policies.values())))
    open_invoices = Invoice.objects.for_org(org).filter(open_minor__gt=0, due_date__lte=until)
    customer_ids = open_invoices.values("customer_id")
    assignment = PolicyAssignment.load(org=org, customer_ids=customer_ids)

    paused_customers: set[int] = set()
    paused_invoices: set[int] = set()
    for customer_id, invoice_id in active_pauses(org=org, on=on).values_list("customer_id", "invoice_id"):
        if invoice_id:
            paused_invoices.add(invoice_id)
        else:
            paused_customers.add(customer_id)

    decided: dict[int, set[tuple[str, int]]] = defaultdict(set)
    rows = StepDecision.objects.for_org(org).filter(invoice__open_minor__gt=0, invoice__due_date__lte=until)
    for invoice_id, step_key, number in rows.values_list("invoice_id", "step_key", "number"):
        decided[invoice_id].add((step_key, number))

    by_customer: dict[int, list[InvoiceFacts]] = defaultdict(list)
    rows = open_invoices.values_list("id", "customer_id", "number", "due_date", "open_minor", "currency")
    for invoice_id, customer_id, number, due, open_minor, currency in rows.iterator(chunk_size=5000):
        by_customer[customer_id].append(InvoiceFacts(id=invoice_id, number=number, due_date=due,
                                                     open_minor=open_minor, currency=currency,
                                                     paused=invoice_id in paused_invoices))
    calendars: dict[tuple[str, str], BusinessCalendar] = {}
    customers = []
    rows = Customer.objects.for_org(org).filter(id__in=customer_ids).order_by("ref") \
        .values_list("id", "ref", "kind", "status", "country", "region")
    for customer_id, ref, kind, status, country, region in rows.iterator(chunk_size=5000):
        invoices = sorted(by_customer.get(customer_id, ()), key=lambda i: (i.due_date, i.number))
        overdue: dict[str, int] = defaultdict(int)
        for invoice in invoices:
            if invoice.due_date < on:
                overdue[invoice.currency] += invoice.open_minor
        place = (country or org.country, (region if country else org.region) or "")
        calendar = calendars.setdefault(place, BusinessCalendar(place[0], place[1] or None))
        policy = assignment.policy_for(customer_id, kind)
        customers.append(CustomerWork(
            id=customer_id, ref=ref, kind=kind, status=status, policy_id=policy.pk if policy else None,
            calendar=calendar, invoices=invoices,
            facts=CustomerFacts(kind=kind, tags=assignment.customer_tags(customer_id),
                                paused=customer_id in paused_customers, overdue_minor_by_currency=dict(overdue)),
            decided={i.id: decided[i.id] for i in invoices if i.id in decided},
        ))
    return CycleFacts(on=on, policies=policies, customers=customers)

"""What the cycle will do next for each open invoice: its next step and the day it takes it.

Reads what the cycle reads (``cycle_facts``: the policy each customer follows, the decisions
already taken, the pauses in force, the customer's business calendar) for many customers at
once, in a fixed handful of queries, and asks the core's schedule (``core.policy``) which
occurrence the cycle decides next. It decides nothing and writes nothing.

The next step of an invoice is the most advanced occurrence already on or before ``today``
that is not yet decided and applies to the customer (the cycle catches it up on its next run,
so its day is ``today``), else the earliest one still to come. Occurrences ranking below one
already decided are never taken (the cycle supersedes them). A step whose ``min_overdue`` the
customer does not reach today is left out, as the cycle would leave it today.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from recoup.collections.cycle_facts import quiet_after_personal_contact
from recoup.collections.models import Policy, StepDecision
from recoup.collections.selectors import PolicyAssignment, active_pauses, core_policy
from recoup.core.calendar import BusinessCalendar
from recoup.core.money import minor_exponent
from recoup.core.policy import CustomerFacts, Occurrence, Policy as CorePolicy, schedule
from recoup.ledger.models import Customer, Invoice
from recoup.orgs.models import Organization


@dataclass(frozen=True)
class NextStep:
    """The step the cycle takes next for one open invoice.

    ``on``: the day it is taken (``today`` when already due, the day a pause or the quiet days after
    a personal contact end when later); ``held``: why it waits (a pause of the invoice or the
    customer, quiet days), else "".
    """

    invoice_id: int
    customer_id: int
    policy_id: int
    step_key: str
    number: int
    name: str
    on: date
    channels: tuple[str, ...]
    held: str = ""

    @property
    def label(self) -> str:
        return self.name + (f" (repeat {self.number})" if self.number else "")


def next_step_of(policy: CorePolicy, *, due_date: date, currency: str, customer: CustomerFacts,
                 decided: set[tuple[str, int]], today: date, calendar: BusinessCalendar) -> Occurrence | None:
    """The occurrence the cycle takes next for one invoice (see the module's docstring), or None."""
    top = max((policy.rank(k, n) for k, n in decided if policy.has_step(k)), default=(-1, -1))
    caught_up: Occurrence | None = None
    upcoming: Occurrence | None = None
    applies: dict[str, bool] = {}
    for occurrence in schedule(policy, due_date, calendar):
        key, number = occurrence.step_key, occurrence.number
        if (key, number) in decided or policy.rank(key, number) <= top:
            continue
        if key not in applies:
            applies[key] = policy.step(key).applies_to(customer, currency, minor_exponent(currency))
        if not applies[key]:
            continue
        if occurrence.on <= today:
            if caught_up is None or policy.rank(key, number) > policy.rank(caught_up.step_key, caught_up.number):
                caught_up = occurrence
        elif upcoming is None or occurrence.on < upcoming.on:
            upcoming = occurrence
    return caught_up or upcoming


def next_steps(*, org: Organization, customer_ids: Iterable[int], today: date) -> dict[int, NextStep]:
    """The next step of every open invoice of ``customer_ids`` (keep it to a page), by invoice id,
    in nine queries however many customers and invoices."""
    customer_ids = list(customer_ids)
    if not customer_ids:
        return {}
    customers = {c["id"]: c for c in Customer.objects.for_org(org).filter(pk__in=customer_ids).values(
        "id", "kind", "country", "region")}
    invoices = list(Invoice.objects.for_org(org).filter(customer_id__in=customer_ids, open_minor__gt=0).order_by()
                    .values_list("id", "customer_id", "due_date", "open_minor", "currency"))
    decided: dict[int, set[tuple[str, int]]] = defaultdict(set)
    for invoice_id, key, number in StepDecision.objects.for_org(org).filter(
            invoice_id__in=[i[0] for i in invoices]).values_list("invoice_id", "step_key", "number"):
        decided[invoice_id].add((key, number))
    # Why a customer's or an invoice's steps wait, and the first day they may go again (None: until lifted).
    held_customers: dict[int, tuple[str, date | None]] = {}
    held_invoices: dict[int, tuple[str, date | None]] = {}
    for customer_id, invoice_id, reason, ends_on in active_pauses(org=org, on=today).filter(
            customer_id__in=customer_ids).order_by("starts_on", "id").values_list(
            "customer_id", "invoice_id", "reason", "ends_on"):
        held = (reason, ends_on + timedelta(days=1) if ends_on else None)
        (held_invoices.setdefault(invoice_id, held) if invoice_id else held_customers.setdefault(customer_id, held))
    wanted = set(customer_ids)
    for customer_id, until in quiet_after_personal_contact(org=org, on=today).items():
        if customer_id in wanted:
            held_customers.setdefault(customer_id, ("quiet days after a personal contact", until))
    assignment = PolicyAssignment.load(org=org, customer_ids=customer_ids)
    policies: dict[int, CorePolicy] = {}
    overdue: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for _, customer_id, due, open_minor, currency in invoices:
        if due < today:
            overdue[customer_id][currency] += open_minor
    calendars: dict[tuple[str, str], BusinessCalendar] = {}
    out: dict[int, NextStep] = {}
    for invoice_id, customer_id, due, _, currency in invoices:
        customer = customers[customer_id]
        stored: Policy | None = assignment.policy_for(customer_id, customer["kind"])
        if stored is None:
            continue
        policy = policies.get(stored.pk) or policies.setdefault(stored.pk, core_policy(stored))
        place = (customer["country"] or org.country, (customer["region"] if customer["country"] else org.region) or "")
        calendar = calendars.setdefault(place, BusinessCalendar(place[0], place[1] or None))
        facts = CustomerFacts(kind=customer["kind"], tags=assignment.customer_tags(customer_id),
                              overdue_minor_by_currency=dict(overdue[customer_id]))
        occurrence = next_step_of(policy, due_date=due, currency=currency, customer=facts,
                                  decided=decided[invoice_id], today=today, calendar=calendar)
        if occurrence is None:
            continue
        step = policy.step(occurrence.step_key)
        held, resumes = held_invoices.get(invoice_id) or held_customers.get(customer_id) or ("", None)
        out[invoice_id] = NextStep(invoice_id=invoice_id, customer_id=customer_id, policy_id=stored.pk,
                                   step_key=step.key, number=occurrence.number, name=step.name,
                                   on=max(occurrence.on, today, resumes or today), channels=tuple(step.channels),
                                   held=held)
    return out


def first_step_offset(*, org: Organization) -> int:
    """The earliest step offset (days from the due date, negative before it) of any of the organization's
    policies, in calendar days (a business-day offset counted as calendar days); 0 without policies."""
    offsets = [step.offset_days for spec in Policy.objects.for_org(org).values_list("spec", flat=True)
               for step in CorePolicy.from_dict(spec).steps]
    return min(offsets, default=0)


def next_step_by_customer(steps: dict[int, NextStep]) -> dict[int, NextStep]:
    """Each customer's earliest next step among its invoices' (a held one only when all are held)."""
    out: dict[int, NextStep] = {}
    for step in steps.values():
        current = out.get(step.customer_id)
        if current is None or (bool(step.held), step.on) < (bool(current.held), current.on):
            out[step.customer_id] = step
    return out

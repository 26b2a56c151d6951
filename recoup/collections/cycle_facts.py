"""The fetch half of the daily cycle: everything it needs, in a few set-based queries.

One query each for open invoices within the policies' horizon, their customers, tags and
policy overrides, pauses in force and the decisions already taken; no query per invoice.
Only the customers the stored schedule says to look at are read (``chase``), unless
``full`` asks for every customer.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Max, Q

from recoup.collections.chase import chase_epoch, customers_to_look_at
from recoup.collections.models import Policy, StepDecision
from recoup.collections.selectors import PolicyAssignment, active_pauses, core_policy
from recoup.core.calendar import BusinessCalendar
from recoup.core.policy import CustomerFacts, InvoiceFacts, Policy as CorePolicy
from recoup.ledger.models import Customer, Invoice
from recoup.messaging.models import CallOutcome, Direction, Message, MessageChannel, MessageStatus
from recoup.orgs.models import Organization

# A personal contact: the operator wrote, called or logged a contact by hand, or the customer
# wrote or called in. What was cancelled, failed or never approved did not reach anyone.
NOT_A_CONTACT = (MessageStatus.CANCELLED, MessageStatus.FAILED, MessageStatus.DRAFT, MessageStatus.EXPIRED)


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
    country: str = ""
    region: str = ""
    invoices: list[InvoiceFacts] = field(default_factory=list)
    decided: dict[int, set[tuple[str, int]]] = field(default_factory=dict)
    # The first day a pause in force may end (None: until lifted), for the customer and per invoice.
    pause_ends: date | None = None
    invoice_pause_ends: dict[int, date | None] = field(default_factory=dict)


@dataclass
class CycleFacts:
    on: date
    policies: dict[int, CorePolicy]
    customers: list[CustomerWork]
    epoch: int = 0

# The customers to look at are read this many at a time (an IN list within SQLite's limit on
# parameters); above SCAN_ALL_ABOVE of them, one pass over every open invoice, filtered in Python,
# is cheaper (a first run looks at everyone anyway).
IN_LIST_MAX = 2000
SCAN_ALL_ABOVE = 50_000


def _earliest(current: date | None, ends_on: date | None) -> date | None:
    """Fold one pause's end into the earliest day after which a pause in force has ended."""
    if ends_on is None:
        return current
    end = ends_on + timedelta(days=1)
    return end if current is None else min(current, end)


def personal_contacts(org: Organization):
    """The organization's messages that are a personal contact (see ``NOT_A_CONTACT``): what the operator
    sent or logged by hand, a call made (not to a wrong number), anything the customer sent in. A contact
    counts from the later of ``created_at`` (logged) and ``sent_at`` (made)."""
    personal = (Q(direction=Direction.IN) | Q(source="manual")
                | Q(channel=MessageChannel.CALL, status=MessageStatus.DONE))
    return (Message.objects.for_org(org).filter(personal).exclude(status__in=NOT_A_CONTACT)
            .exclude(call_outcome=CallOutcome.WRONG_NUMBER))


def quiet_until(org: Organization, contact_at: datetime) -> date:
    """The first day (the organization's date) automatic steps may go again after a personal contact."""
    return contact_at.astimezone(ZoneInfo(org.timezone)).date() + timedelta(days=org.manual_contact_quiet_days)


def quiet_after_personal_contact(*, org: Organization, on: date) -> dict[int, date]:
    """Customers contacted personally within ``org.manual_contact_quiet_days`` before ``on``, and the
    first day automatic steps may go again (the contact's local date plus the quiet days).

    Counts a message the operator sent or logged by hand, a logged call (not a wrong number) and
    anything the customer sent in; so no reminder lands the morning after the owner wrote.
    """
    days = org.manual_contact_quiet_days
    if not days:
        return {}
    zone = ZoneInfo(org.timezone)
    since = datetime.combine(on - timedelta(days=days), time(0), tzinfo=zone)
    latest = (personal_contacts(org)
              .filter(Q(created_at__gte=since) | Q(sent_at__gte=since))
              .values("customer_id").annotate(created=Max("created_at"), sent=Max("sent_at")).order_by()
              .values_list("customer_id", "created", "sent"))
    quiet: dict[int, date] = {}
    for customer_id, created, sent in latest:
        until = quiet_until(org, max(t for t in (created, sent) if t is not None))
        if until > on:
            quiet[customer_id] = until
    return quiet


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


def fetch_cycle_facts(*, org: Organization, on: date, full: bool = False,
                      within: tuple[int | None, int | None] | None = None) -> CycleFacts:
    """Load what the cycle decides on for ``org`` on ``on`` (customers in the order of their ref).

    Args:
        full: read every customer with open invoices, not only those the stored schedule
            names (the schedule is still rewritten for all of them).
        within: only the customers whose id is from its first bound (inclusive) below its second
            (None: unbounded): one part of a day split over workers (``cycle_parts``).
    """
    policies = {p.pk: core_policy(p) for p in Policy.objects.for_org(org)}
    until = on + timedelta(days=horizon_days(list(policies.values())))
    epoch = chase_epoch(org=org)
    looking = None if full else customers_to_look_at(org=org, on=on, until=until, epoch=epoch, within=within)
    paused = _paused(org=org, on=on)
    if looking is None or len(looking) > SCAN_ALL_ABOVE:
        groups: list[list[int] | None] = [None]
    else:
        ids = sorted(looking)
        groups = [ids[start:start + IN_LIST_MAX] for start in range(0, len(ids), IN_LIST_MAX)]
    calendars: dict[tuple[str, str], BusinessCalendar] = {}
    customers = []
    for group in groups:
        customers += _customers_work(org=org, on=on, until=until, group=group, looking=looking, paused=paused,
                                     calendars=calendars, within=within)
    if len(groups) > 1:
        customers.sort(key=lambda work: work.ref)
    return CycleFacts(on=on, policies=policies, customers=customers, epoch=epoch)


@dataclass
class _Paused:
    """The first day a pause in force may end (None: until lifted), per customer and per invoice."""

    customers: dict[int, date | None] = field(default_factory=dict)
    invoices: dict[int, date | None] = field(default_factory=dict)


def _paused(*, org: Organization, on: date) -> _Paused:
    paused = _Paused()
    for customer_id, invoice_id, ends_on in active_pauses(org=org, on=on).values_list(
            "customer_id", "invoice_id", "ends_on"):
        table, key = (paused.invoices, invoice_id) if invoice_id else (paused.customers, customer_id)
        table[key] = _earliest(table.get(key), ends_on)
    for customer_id, quiet_until in quiet_after_personal_contact(org=org, on=on).items():
        if customer_id not in paused.customers or paused.customers[customer_id] is not None:
            paused.customers[customer_id] = _earliest(paused.customers.get(customer_id),
                                                      quiet_until - timedelta(days=1))
    return paused


def cycle_customer_ids(*, org: Organization, on: date) -> list[int]:
    """The ids of the customers the cycle of ``on`` will look at (the stored schedule's choice), in order:
    what a day is split by (``cycle_parts``)."""
    policies = [core_policy(p) for p in Policy.objects.for_org(org)]
    until = on + timedelta(days=horizon_days(policies))
    return sorted(customers_to_look_at(org=org, on=on, until=until, epoch=chase_epoch(org=org)))


def _customers_work(*, org: Organization, on: date, until: date, group: list[int] | None, looking: set[int] | None,
                    paused: _Paused, calendars: dict[tuple[str, str], BusinessCalendar],
                    within: tuple[int | None, int | None] | None = None) -> list[CustomerWork]:
    """The ``CustomerWork`` of the customers in ``group`` (None: every customer with open invoices, kept
    when in ``looking``, or all when that is None too)."""
    # No ORDER BY: on SQLite without statistics the invoices' default order makes the planner walk every
    # invoice of the organization by issue date instead of looking up the group's customers.
    open_invoices = Invoice.objects.for_org(org).filter(open_minor__gt=0, due_date__lte=until).order_by()
    decisions = StepDecision.objects.for_org(org).filter(invoice__open_minor__gt=0,
                                                         invoice__due_date__lte=until).order_by()
    if group is not None:
        open_invoices = open_invoices.filter(customer_id__in=group)
        decisions = decisions.filter(customer_id__in=group)
    low, high = within or (None, None)
    if low is not None:
        open_invoices = open_invoices.filter(customer_id__gte=low)
        decisions = decisions.filter(customer_id__gte=low)
    if high is not None:
        open_invoices = open_invoices.filter(customer_id__lt=high)
        decisions = decisions.filter(customer_id__lt=high)

    def wanted(customer_id: int) -> bool:
        return looking is None or customer_id in looking

    customer_ids = open_invoices.values("customer_id")
    assignment = PolicyAssignment.load(org=org, customer_ids=customer_ids)
    decided: dict[int, set[tuple[str, int]]] = defaultdict(set)
    for customer_id, invoice_id, step_key, number in decisions.values_list(
            "customer_id", "invoice_id", "step_key", "number").iterator(chunk_size=5000):
        if wanted(customer_id):
            decided[invoice_id].add((step_key, number))

    by_customer: dict[int, list[InvoiceFacts]] = defaultdict(list)
    rows = open_invoices.values_list("id", "customer_id", "number", "due_date", "open_minor", "currency")
    for invoice_id, customer_id, number, due, open_minor, currency in rows.iterator(chunk_size=5000):
        if wanted(customer_id):
            by_customer[customer_id].append(InvoiceFacts(id=invoice_id, number=number, due_date=due,
                                                         open_minor=open_minor, currency=currency,
                                                         paused=invoice_id in paused.invoices))
    customers = []
    rows = Customer.objects.for_org(org).filter(id__in=customer_ids).order_by("ref") \
        .values_list("id", "ref", "kind", "status", "country", "region")
    for customer_id, ref, kind, status, country, region in rows.iterator(chunk_size=5000):
        if not wanted(customer_id):
            continue
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
            calendar=calendar, country=country, region=region, invoices=invoices,
            facts=CustomerFacts(kind=kind, tags=assignment.customer_tags(customer_id),
                                paused=customer_id in paused.customers, overdue_minor_by_currency=dict(overdue)),
            decided={i.id: decided[i.id] for i in invoices if i.id in decided},
            pause_ends=paused.customers.get(customer_id),
            invoice_pause_ends={i.id: paused.invoices[i.id] for i in invoices if i.id in paused.invoices},
        ))
    return customers

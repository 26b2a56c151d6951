"""The customers list as a collector's worklist: what is overdue, since when, the last contact,
the next step, and the flags that change how to chase (promise, plan, dispute, pause, placement).

Every column is a SQL annotation (a correlated subquery per column), so filtering, sorting and
paging happen in the database: one query counts, one reads the page, whatever the number of
customers. The next step's name comes from ``collections.next_steps`` for the page's rows only;
sorting and filtering by its day use the cycle's stored schedule (``InvoiceChase.next_on``); an open
invoice the cycle has not scheduled yet counts from its due date plus the earliest step offset of
the organization's policies (today when that has passed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import (
    Case, DateField, DateTimeField, Exists, ExpressionWrapper, F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery,
    Value, When,
)
from django.db.models.functions import Coalesce, Greatest, NullIf

from recoup.arrangements.models import OPEN_DISPUTE_STATUSES, Dispute, PaymentPlan, Promise, PromiseStatus
from recoup.arrangements.selectors import OPEN_PLAN_STATUSES
from recoup.collections.cycle_facts import NOT_A_CONTACT
from recoup.collections.models import Pause
from recoup.collections.next_steps import first_step_offset
from recoup.escalation.models import Placement, PlacementStatus
from recoup.ledger.models import Customer, Invoice
from recoup.messaging.models import Message, MessageStatus
from recoup.orgs.models import Organization

FLAGS = ("promise", "plan", "dispute", "paused", "placed")
# sort key -> (annotation, whether ascending by the key is descending by the annotation):
# fewest days late first is the latest oldest due date first. "-" in front of a key reverses.
SORTS = {
    "name": ("sort_name", False),
    "overdue": ("overdue_minor", False),
    "days_late": ("oldest_due", True),
    "last_contact": ("last_contact", False),
    "next_on": ("next_on", False),
}


@dataclass(frozen=True)
class WorklistFilters:
    assignee: str = ""  # "", "me", "none" or a user id
    flag: str = ""  # one of FLAGS, or "none" for none of them
    min_overdue_minor: int | None = None
    min_days_late: int | None = None
    no_contact_days: int | None = None
    next_by: date | None = None


def _aggregate(queryset: QuerySet, function: str, expression, output_field) -> Subquery:
    """One aggregate of a correlated ``queryset`` as a scalar subquery, without a GROUP BY (cheaper per row)."""
    return Subquery(queryset.order_by().annotate(value=Func(expression, function=function,
                                                            output_field=output_field)).values("value")[:1],
                    output_field=output_field)


def worklist(customers: QuerySet[Customer], *, org: Organization, today: date, currency: str) -> QuerySet[Customer]:
    """``customers`` annotated with the worklist's columns as of ``today``; ``overdue_minor`` in ``currency``."""
    overdue = Invoice.objects.filter(customer=OuterRef("pk"), open_minor__gt=0, due_date__lt=today)
    contacts = Message.objects.filter(customer=OuterRef("pk")).exclude(status__in=[*NOT_A_CONTACT,
                                                                                   MessageStatus.QUEUED])
    # An open invoice without a stored schedule row (not yet within the cycle's horizon, or new) has
    # its first step no earlier than its due date plus the earliest offset of any policy's step.
    first = ExpressionWrapper(F("due_date") + timedelta(days=first_step_offset(org=org)), output_field=DateField())
    next_looks = Invoice.objects.filter(customer=OuterRef("pk"), open_minor__gt=0).annotate(
        look=Case(When(chase__isnull=True, then=Greatest(Value(today), first, output_field=DateField())),
                  default=F("chase__next_on"), output_field=DateField()))
    customer_pause = Pause.objects.filter(customer=OuterRef("pk"), starts_on__lte=today, lifted_at__isnull=True) \
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
    return customers.select_related("assignee").annotate(
        sort_name=Coalesce(NullIf("display_name", Value("")), "legal_name"),
        overdue_minor=Coalesce(_aggregate(overdue.filter(currency=currency), "SUM", F("open_minor"),
                                          IntegerField()), Value(0), output_field=IntegerField()),
        oldest_due=_aggregate(overdue, "MIN", F("due_date"), DateField()),
        last_contact=_aggregate(contacts, "MAX", Coalesce("sent_at", "created_at"), DateTimeField()),
        next_on=_aggregate(next_looks, "MIN", F("look"), DateField()),
        has_promise=Exists(Promise.objects.filter(customer=OuterRef("pk"), status=PromiseStatus.OPEN)),
        has_plan=Exists(PaymentPlan.objects.filter(customer=OuterRef("pk"), status__in=OPEN_PLAN_STATUSES)),
        has_dispute=Exists(Dispute.objects.filter(customer=OuterRef("pk"), status__in=OPEN_DISPUTE_STATUSES)),
        has_paused=Exists(customer_pause),
        has_placed=Exists(Placement.objects.filter(customer=OuterRef("pk"), status=PlacementStatus.PLACED)),
    )


def worklist_filter(customers: QuerySet[Customer], filters: WorklistFilters, *, today: date,
                    user_id: int | None) -> QuerySet[Customer]:
    """Keep the annotated ``customers`` matching ``filters`` (``user_id``: the reader, for "me")."""
    if filters.assignee == "me":
        customers = customers.filter(assignee_id=user_id)
    elif filters.assignee == "none":
        customers = customers.filter(assignee__isnull=True)
    elif filters.assignee.isdigit():
        customers = customers.filter(assignee_id=int(filters.assignee))
    if filters.flag in FLAGS:
        customers = customers.filter(**{f"has_{filters.flag}": True})
    elif filters.flag == "none":
        customers = customers.filter(**{f"has_{flag}": False for flag in FLAGS})
    if filters.min_overdue_minor is not None:
        customers = customers.filter(overdue_minor__gte=filters.min_overdue_minor)
    if filters.min_days_late is not None:
        customers = customers.filter(oldest_due__lte=today - timedelta(days=filters.min_days_late))
    if filters.no_contact_days is not None:
        since = today - timedelta(days=filters.no_contact_days)
        customers = customers.filter(Q(last_contact__isnull=True) | Q(last_contact__date__lt=since))
    if filters.next_by is not None:
        customers = customers.filter(next_on__lte=filters.next_by)
    return customers


def worklist_sort(customers: QuerySet[Customer], sort: str) -> QuerySet[Customer]:
    """Order by one of ``SORTS`` ("-" first: descending), empty values last, then by name and ref."""
    known = SORTS.get(sort.lstrip("-"))
    if known is None:
        return customers.order_by("display_name", "legal_name", "ref")
    field, inverted = known
    descending = sort.startswith("-") != inverted
    expression = F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
    return customers.order_by(expression, "display_name", "legal_name", "ref")


# The direction a column sorts in when first clicked: the most urgent first.
FIRST_DESCENDING = ("overdue", "days_late")


def sort_links(sort: str) -> dict[str, dict[str, str]]:
    """Per sortable column: the ``sort`` value its header links to and its ``aria-sort`` state."""
    links = {}
    for key in SORTS:
        if sort == key:
            links[key] = {"next": f"-{key}", "aria": "ascending"}
        elif sort == f"-{key}":
            links[key] = {"next": key, "aria": "descending"}
        else:
            links[key] = {"next": f"-{key}" if key in FIRST_DESCENDING else key, "aria": "none"}
    return links


@dataclass(frozen=True)
class WorklistRow:
    """One customer of the page with its balances per currency and its next step."""

    customer: Customer
    balances: dict
    next_step: object  # collections.next_steps.NextStep | None
    today: date

    @property
    def days_late(self) -> int | None:
        oldest = self.customer.oldest_due
        return (self.today - oldest).days if oldest else None

    @property
    def flags(self) -> list[str]:
        return [flag for flag in FLAGS if getattr(self.customer, f"has_{flag}")]


def worklist_page(annotated: QuerySet[Customer], ids: list[int]) -> list[Customer]:
    """The customers ``ids`` (one page, in that order) with every column: the page is found by sorting on
    the one column asked for, then only its rows are read with all of them (SQLite computes every
    selected column of every row before it sorts, so sorting the full rows would cost all columns of all
    customers)."""
    rows = annotated.order_by().in_bulk(ids)
    return [rows[pk] for pk in ids if pk in rows]

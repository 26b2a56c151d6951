"""Customers, their contacts, statements and timelines."""

from __future__ import annotations

from datetime import date
from typing import Optional

from django.db.models import Q
from ninja import Query, Router
from ninja.decorators import decorate_view

from recoup.api import inputs
from recoup.api.idempotency import idempotent
from recoup.api.inputs import actor_of, check_date, get_or_404, org_of, paged, refusals
from recoup.api.problems import ERROR_CODES, ApiProblem
from recoup.api.schemas import (
    ContactIn, ContactOut, ContactPage, ContactPatch, CustomerIn, CustomerOut, CustomerPage, CustomerPatch, Problem,
    StatementOut, TimelinePage,
)
from recoup.audit.models import AuditEvent
from recoup.ledger.customer_actions import contact_delete, contact_save, customer_create, customer_update
from recoup.ledger.models import Contact, Customer
from recoup.ledger.selectors import statement

router = Router(tags=["customers"])


def _customer_fields(org, body: CustomerPatch) -> dict:
    values = body.dict(exclude_unset=True)
    if "credit_limit" in values:
        text = values.pop("credit_limit")
        values["credit_limit_minor"] = None if text in (None, "") else \
            inputs.amount_minor(text, org.base_currency, "credit_limit")
    return {k: v for k, v in values.items() if v is not None or k == "credit_limit_minor"}


@router.get("", response={200: CustomerPage, ERROR_CODES: Problem})
def customer_list(request, status: Optional[str] = None, q: Optional[str] = None,
                  created_from: Optional[date] = None, created_to: Optional[date] = None,
                  limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0, le=10**9)):
    """Customers, filtered by status, text (reference or name) and creation date."""
    org = org_of(request)
    qs = Customer.objects.for_org(org).select_related("org").order_by("ref", "id")
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(Q(ref__icontains=q) | Q(legal_name__icontains=q) | Q(display_name__icontains=q))
    if check_date(created_from, "created_from"):
        qs = qs.filter(created_at__date__gte=created_from)
    if check_date(created_to, "created_to"):
        qs = qs.filter(created_at__date__lte=created_to)
    return paged(qs, limit, offset)


@router.post("", response={201: CustomerOut, ERROR_CODES: Problem})
@decorate_view(idempotent)
def customer_new(request, body: CustomerIn):
    org = org_of(request)
    values = _customer_fields(org, body)
    with refusals():
        customer = customer_create(org=org, actor=actor_of(request), now=inputs.now(), **values)
    return 201, customer


@router.get("/{customer_id}", response={200: CustomerOut, ERROR_CODES: Problem})
def customer_get(request, customer_id: int):
    return get_or_404(Customer, org_of(request), customer_id, "customer")


@router.patch("/{customer_id}", response={200: CustomerOut, ERROR_CODES: Problem})
def customer_patch(request, customer_id: int, body: CustomerPatch):
    org = org_of(request)
    customer = get_or_404(Customer, org, customer_id, "customer")
    with refusals():
        return customer_update(org=org, customer=customer, actor=actor_of(request), now=inputs.now(),
                               **_customer_fields(org, body))


@router.get("/{customer_id}/contacts", response={200: ContactPage, ERROR_CODES: Problem})
def contact_list(request, customer_id: int, limit: int = Query(50, ge=1, le=200),
                 offset: int = Query(0, ge=0, le=10**9)):
    org = org_of(request)
    customer = get_or_404(Customer, org, customer_id, "customer")
    return paged(Contact.objects.for_org(org).filter(customer=customer).order_by("id"), limit, offset)


@router.post("/{customer_id}/contacts", response={201: ContactOut, ERROR_CODES: Problem})
@decorate_view(idempotent)
def contact_new(request, customer_id: int, body: ContactIn):
    org = org_of(request)
    customer = get_or_404(Customer, org, customer_id, "customer")
    values = {k: v for k, v in body.dict(exclude_unset=True).items() if v is not None}
    with refusals():
        return 201, contact_save(org=org, customer=customer, actor=actor_of(request), now=inputs.now(), **values)


def _contact(org, customer_id: int, contact_id: int) -> Contact:
    customer = get_or_404(Customer, org, customer_id, "customer")
    return get_or_404(Contact, org, contact_id, "contact", Contact.objects.for_org(org).filter(customer=customer))


@router.get("/{customer_id}/contacts/{contact_id}", response={200: ContactOut, ERROR_CODES: Problem})
def contact_get(request, customer_id: int, contact_id: int):
    return _contact(org_of(request), customer_id, contact_id)


@router.patch("/{customer_id}/contacts/{contact_id}", response={200: ContactOut, ERROR_CODES: Problem})
def contact_patch(request, customer_id: int, contact_id: int, body: ContactPatch):
    org = org_of(request)
    contact = _contact(org, customer_id, contact_id)
    values = {k: v for k, v in body.dict(exclude_unset=True).items() if v is not None}
    with refusals():
        return contact_save(org=org, customer=contact.customer, contact=contact, actor=actor_of(request),
                            now=inputs.now(), **values)


@router.delete("/{customer_id}/contacts/{contact_id}", response={204: None, ERROR_CODES: Problem})
def contact_remove(request, customer_id: int, contact_id: int):
    org = org_of(request)
    contact = _contact(org, customer_id, contact_id)
    with refusals():
        contact_delete(org=org, contact=contact, actor=actor_of(request), now=inputs.now())
    return 204, None


@router.get("/{customer_id}/statement", response={200: StatementOut, ERROR_CODES: Problem})
def customer_statement(request, customer_id: int, as_of: date, since: Optional[date] = None):
    """The statement of account as of a date: every movement with a running balance, per currency."""
    org = org_of(request)
    customer = get_or_404(Customer, org, customer_id, "customer")
    check_date(as_of, "as_of")
    check_date(since, "since")
    if since and since > as_of:
        raise ApiProblem(422, "since is after as_of", errors=[{"field": "since", "message": "after as_of"}])
    return statement(org=org, customer=customer, as_of=as_of, since=since).as_json()


@router.get("/{customer_id}/timeline", response={200: TimelinePage, ERROR_CODES: Problem})
def customer_timeline(request, customer_id: int, since: Optional[date] = None, until: Optional[date] = None,
                      limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0, le=10**9)):
    """Everything that happened to the account (the audit trail), newest first."""
    org = org_of(request)
    customer = get_or_404(Customer, org, customer_id, "customer")
    qs = AuditEvent.objects.for_org(org).filter(customer=customer).order_by("-at", "-id")
    if check_date(since, "since"):
        qs = qs.filter(at__date__gte=since)
    if check_date(until, "until"):
        qs = qs.filter(at__date__lte=until)
    return paged(qs, limit, offset)

"""Policies (read) and pauses (read, add, lift)."""

from __future__ import annotations

from datetime import date
from typing import Optional

from django.db.models import Q
from ninja import Query, Router
from ninja.decorators import decorate_view

from recoup.api import inputs
from recoup.api.idempotency import idempotent
from recoup.api.inputs import actor_of, check_date, get_or_404, org_of, paged, refusals
from recoup.api.problems import ERROR_CODES
from recoup.api.schemas import PauseIn, PauseOut, PausePage, PolicyOut, PolicyPage, Problem
from recoup.collections.actions import pause_add, pause_lift
from recoup.collections.models import Pause, Policy
from recoup.ledger.models import Customer, Invoice

router = Router(tags=["collections"])


@router.get("/policies", response={200: PolicyPage, ERROR_CODES: Problem})
def policy_list(request, limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0, le=10**9)):
    """The escalation policies; ``spec`` is the policy as in its YAML form (docs/collections.md)."""
    return paged(Policy.objects.for_org(org_of(request)).order_by("name", "id"), limit, offset)


@router.get("/policies/{policy_id}", response={200: PolicyOut, ERROR_CODES: Problem})
def policy_get(request, policy_id: int):
    return get_or_404(Policy, org_of(request), policy_id, "policy")


@router.get("/pauses", response={200: PausePage, ERROR_CODES: Problem})
def pause_list(request, customer_id: Optional[int] = None, active_on: Optional[date] = None,
               limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0, le=10**9)):
    """Pauses of automatic collection; ``active_on`` keeps those in force on that date (not lifted)."""
    org = org_of(request)
    qs = Pause.objects.for_org(org).order_by("-starts_on", "-id")
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id if 0 < customer_id < inputs.MAX_ID else 0)
    if check_date(active_on, "active_on"):
        qs = qs.filter(lifted_at__isnull=True, starts_on__lte=active_on).filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=active_on))
    return paged(qs, limit, offset)


@router.post("/pauses", response={201: PauseOut, ERROR_CODES: Problem})
@decorate_view(idempotent)
def pause_new(request, body: PauseIn):
    org = org_of(request)
    customer = inputs.ref_or_id(Customer, org, pk=body.customer_id, ref=None, field="customer", what="customer")
    invoice = inputs.ref_or_id(Invoice, org, pk=body.invoice_id, ref=None, field="invoice", what="invoice",
                               required=False)
    check_date(body.starts_on, "starts_on")
    check_date(body.ends_on, "ends_on")
    with refusals():
        return 201, pause_add(org=org, customer=customer, invoice=invoice, reason=body.reason,
                              starts_on=body.starts_on, ends_on=body.ends_on, actor=actor_of(request),
                              now=inputs.now())


@router.get("/pauses/{pause_id}", response={200: PauseOut, ERROR_CODES: Problem})
def pause_get(request, pause_id: int):
    return get_or_404(Pause, org_of(request), pause_id, "pause")


@router.post("/pauses/{pause_id}/lift", response={200: PauseOut, ERROR_CODES: Problem})
@decorate_view(idempotent)
def pause_end(request, pause_id: int):
    org = org_of(request)
    pause = get_or_404(Pause, org, pause_id, "pause")
    with refusals():
        return pause_lift(org=org, pause=pause, actor=actor_of(request), now=inputs.now())

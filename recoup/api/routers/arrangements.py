"""Promises to pay, payment plans and disputes, through recoup.arrangements' actions."""

from __future__ import annotations

from typing import Optional

from ninja import Query, Router
from ninja.decorators import decorate_view

from recoup.api import inputs
from recoup.api.idempotency import idempotent
from recoup.api.inputs import actor_of, check_date, get_or_404, org_of, paged, refusals
from recoup.api.problems import ERROR_CODES, ApiProblem
from recoup.api.schemas import (
    DisputeIn, DisputeOut, DisputePage, PlanIn, PlanOut, PlanPage, Problem, PromiseIn, PromiseOut, PromisePage,
    ReasonIn, ResolutionIn,
)
from recoup.arrangements.actions import dispute_open, plan_cancel, plan_create
from recoup.arrangements.promise_actions import promise_cancel, promise_make
from recoup.arrangements.dispute_actions import dispute_resolve
from recoup.arrangements.models import Dispute, PaymentPlan, Promise
from recoup.ledger.models import Customer, Invoice

router = Router(tags=["arrangements"])


def _filtered(qs, status: Optional[str], customer_id: Optional[int]):
    if status:
        qs = qs.filter(status=status)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id if 0 < customer_id < inputs.MAX_ID else 0)
    return qs


def _customer_and_invoices(org, customer_id: int, invoice_ids: list[int]):
    customer = inputs.ref_or_id(Customer, org, pk=customer_id, ref=None, field="customer", what="customer")
    wanted = {i for i in invoice_ids if 0 < i < inputs.MAX_ID}
    invoices = list(Invoice.objects.for_org(org).filter(pk__in=wanted))
    missing = sorted(set(invoice_ids) - {i.pk for i in invoices})
    if missing:
        raise ApiProblem(422, f"no invoice {', '.join(map(str, missing))}",
                         errors=[{"field": "invoice_ids", "message": "not found"}])
    return customer, invoices


def _promises(org):
    return Promise.objects.for_org(org).prefetch_related("invoices").order_by("-created_at", "-id")


@router.get("/promises", response={200: PromisePage, ERROR_CODES: Problem}, tags=["promises"])
def promise_list(request, status: Optional[str] = None, customer_id: Optional[int] = None,
                 limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0, le=10**9)):
    return paged(_filtered(_promises(org_of(request)), status, customer_id), limit, offset)


@router.post("/promises", response={201: PromiseOut, ERROR_CODES: Problem}, tags=["promises"])
@decorate_view(idempotent)
def promise_new(request, body: PromiseIn):
    """A promise to pay invoices by a date; reminders wait until then plus the grace days."""
    org = org_of(request)
    customer, invoices = _customer_and_invoices(org, body.customer_id, body.invoice_ids)
    check_date(body.pay_by, "pay_by")
    currency = invoices[0].currency if invoices else org.base_currency
    minor = None if body.amount is None else inputs.amount_minor(body.amount, currency, "amount")
    with refusals():
        promise = promise_make(org=org, customer=customer, invoices=invoices, pay_by=body.pay_by,
                               amount_minor=minor, actor=actor_of(request), now=inputs.now())
    return 201, _promises(org).get(pk=promise.pk)


@router.get("/promises/{promise_id}", response={200: PromiseOut, ERROR_CODES: Problem}, tags=["promises"])
def promise_get(request, promise_id: int):
    org = org_of(request)
    return get_or_404(Promise, org, promise_id, "promise", _promises(org))


@router.post("/promises/{promise_id}/cancel", response={200: PromiseOut, ERROR_CODES: Problem}, tags=["promises"])
@decorate_view(idempotent)
def promise_withdraw(request, promise_id: int, body: ReasonIn):
    org = org_of(request)
    promise = get_or_404(Promise, org, promise_id, "promise")
    with refusals():
        promise_cancel(org=org, promise=promise, reason=body.reason, actor=actor_of(request), now=inputs.now())
    return _promises(org).get(pk=promise.pk)


def _plans(org):
    return PaymentPlan.objects.for_org(org).prefetch_related("invoices", "instalments__plan") \
        .order_by("-created_at", "-id")


@router.get("/plans", response={200: PlanPage, ERROR_CODES: Problem}, tags=["plans"])
def plan_list(request, status: Optional[str] = None, customer_id: Optional[int] = None,
              limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0, le=10**9)):
    return paged(_filtered(_plans(org_of(request)), status, customer_id), limit, offset)


@router.post("/plans", response={201: PlanOut, ERROR_CODES: Problem}, tags=["plans"])
@decorate_view(idempotent)
def plan_new(request, body: PlanIn):
    """A payment plan agreed with the debtor: active at once; its invoices are held while it is kept."""
    org = org_of(request)
    customer, invoices = _customer_and_invoices(org, body.customer_id, body.invoice_ids)
    check_date(body.first_date, "first_date")
    currency = invoices[0].currency if invoices else org.base_currency
    down = inputs.amount_minor(body.down_payment, currency, "down_payment")
    with refusals():
        plan = plan_create(org=org, customer=customer, invoices=invoices, instalments=body.instalments,
                           frequency=body.frequency, first_date=body.first_date, down_payment_minor=down,
                           note=body.note, actor=actor_of(request), now=inputs.now())
    return 201, _plans(org).get(pk=plan.pk)


@router.get("/plans/{plan_id}", response={200: PlanOut, ERROR_CODES: Problem}, tags=["plans"])
def plan_get(request, plan_id: int):
    org = org_of(request)
    return get_or_404(PaymentPlan, org, plan_id, "plan", _plans(org))


@router.post("/plans/{plan_id}/cancel", response={200: PlanOut, ERROR_CODES: Problem}, tags=["plans"])
@decorate_view(idempotent)
def plan_end(request, plan_id: int, body: ReasonIn):
    org = org_of(request)
    plan = get_or_404(PaymentPlan, org, plan_id, "plan")
    with refusals():
        plan_cancel(org=org, plan=plan, reason=body.reason, actor=actor_of(request), now=inputs.now())
    return _plans(org).get(pk=plan.pk)


def _disputes(org):
    return Dispute.objects.for_org(org).prefetch_related("invoices").order_by("-created_at", "-id")


@router.get("/disputes", response={200: DisputePage, ERROR_CODES: Problem}, tags=["disputes"])
def dispute_list(request, status: Optional[str] = None, customer_id: Optional[int] = None,
                 limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0, le=10**9)):
    return paged(_filtered(_disputes(org_of(request)), status, customer_id), limit, offset)


@router.post("/disputes", response={201: DisputeOut, ERROR_CODES: Problem}, tags=["disputes"])
@decorate_view(idempotent)
def dispute_new(request, body: DisputeIn):
    """Record a dispute about invoices; they are held until it is resolved."""
    org = org_of(request)
    customer, invoices = _customer_and_invoices(org, body.customer_id, body.invoice_ids)
    currency = invoices[0].currency if invoices else org.base_currency
    minor = None if body.amount is None else inputs.amount_minor(body.amount, currency, "amount")
    with refusals():
        dispute = dispute_open(org=org, customer=customer, invoices=invoices, category=body.category,
                               amount_minor=minor, message=body.message, actor=actor_of(request), now=inputs.now())
    return 201, _disputes(org).get(pk=dispute.pk)


@router.get("/disputes/{dispute_id}", response={200: DisputeOut, ERROR_CODES: Problem}, tags=["disputes"])
def dispute_get(request, dispute_id: int):
    org = org_of(request)
    return get_or_404(Dispute, org, dispute_id, "dispute", _disputes(org))


@router.post("/disputes/{dispute_id}/resolve", response={200: DisputeOut, ERROR_CODES: Problem}, tags=["disputes"])
@decorate_view(idempotent)
def dispute_close(request, dispute_id: int, body: ResolutionIn):
    """Close a dispute, saying how it was resolved; reminders resume for what is still open."""
    org = org_of(request)
    dispute = get_or_404(Dispute, org, dispute_id, "dispute")
    with refusals():
        dispute_resolve(org=org, dispute=dispute, resolution=body.resolution, actor=actor_of(request),
                        now=inputs.now())
    return _disputes(org).get(pk=dispute.pk)

"""Webhook endpoints (subscribe, change, remove) and their delivery log, with resend."""

from __future__ import annotations

from typing import Optional

from ninja import Query, Router
from ninja.decorators import decorate_view

from recoup.api import inputs
from recoup.api.actions import delivery_resend, endpoint_create, endpoint_delete, endpoint_update
from recoup.api.idempotency import idempotent
from recoup.api.inputs import actor_of, get_or_404, org_of, paged, refusals
from recoup.api.models import WebhookDelivery, WebhookEndpoint
from recoup.api.problems import ERROR_CODES
from recoup.api.schemas import (
    Problem, WebhookDeliveryOut, WebhookDeliveryPage, WebhookEndpointIn, WebhookEndpointOut, WebhookEndpointPage,
    WebhookEndpointPatch,
)

router = Router(tags=["webhooks"])


@router.get("/endpoints", response={200: WebhookEndpointPage, ERROR_CODES: Problem})
def endpoint_list(request, limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0, le=10**9)):
    return paged(WebhookEndpoint.objects.for_org(org_of(request)).order_by("id"), limit, offset)


@router.post("/endpoints", response={201: WebhookEndpointOut, ERROR_CODES: Problem})
@decorate_view(idempotent)
def endpoint_new(request, body: WebhookEndpointIn):
    """Subscribe a URL to event types (empty: all). The answer holds the signing ``secret``."""
    with refusals():
        return 201, endpoint_create(org=org_of(request), url=body.url, event_types=body.event_types,
                                    description=body.description, actor=actor_of(request), now=inputs.now())


@router.get("/endpoints/{endpoint_id}", response={200: WebhookEndpointOut, ERROR_CODES: Problem})
def endpoint_get(request, endpoint_id: int):
    return get_or_404(WebhookEndpoint, org_of(request), endpoint_id, "webhook endpoint")


@router.patch("/endpoints/{endpoint_id}", response={200: WebhookEndpointOut, ERROR_CODES: Problem})
def endpoint_patch(request, endpoint_id: int, body: WebhookEndpointPatch):
    org = org_of(request)
    endpoint = get_or_404(WebhookEndpoint, org, endpoint_id, "webhook endpoint")
    values = {k: v for k, v in body.dict(exclude_unset=True).items() if v is not None}
    with refusals():
        return endpoint_update(org=org, endpoint=endpoint, actor=actor_of(request), now=inputs.now(), **values)


@router.delete("/endpoints/{endpoint_id}", response={204: None, ERROR_CODES: Problem})
def endpoint_remove(request, endpoint_id: int):
    org = org_of(request)
    endpoint = get_or_404(WebhookEndpoint, org, endpoint_id, "webhook endpoint")
    endpoint_delete(org=org, endpoint=endpoint, actor=actor_of(request), now=inputs.now())
    return 204, None


@router.get("/deliveries", response={200: WebhookDeliveryPage, ERROR_CODES: Problem})
def delivery_list(request, endpoint_id: Optional[int] = None, status: Optional[str] = None,
                  event_type: Optional[str] = None, limit: int = Query(50, ge=1, le=200),
                  offset: int = Query(0, ge=0, le=10**9)):
    """The delivery log, newest first."""
    qs = WebhookDelivery.objects.for_org(org_of(request)).order_by("-created_at", "-id")
    if endpoint_id is not None:
        qs = qs.filter(endpoint_id=endpoint_id if 0 < endpoint_id < inputs.MAX_ID else 0)
    if status:
        qs = qs.filter(status=status)
    if event_type:
        qs = qs.filter(event_type=event_type)
    return paged(qs, limit, offset)


@router.get("/deliveries/{delivery_id}", response={200: WebhookDeliveryOut, ERROR_CODES: Problem})
def delivery_get(request, delivery_id: int):
    return get_or_404(WebhookDelivery, org_of(request), delivery_id, "webhook delivery")


@router.post("/deliveries/{delivery_id}/resend", response={201: WebhookDeliveryOut, ERROR_CODES: Problem})
@decorate_view(idempotent)
def delivery_again(request, delivery_id: int):
    """Send the event again (same event id) as a new delivery."""
    org = org_of(request)
    delivery = get_or_404(WebhookDelivery, org, delivery_id, "webhook delivery")
    return 201, delivery_resend(org=org, delivery=delivery, actor=actor_of(request), now=inputs.now())

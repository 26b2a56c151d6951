"""Messages (the outbox and replies) and the organization-wide timeline."""

from __future__ import annotations

from datetime import date
from typing import Optional

from ninja import Query, Router

from recoup.api import inputs
from recoup.api.inputs import check_date, get_or_404, org_of, paged
from recoup.api.problems import ERROR_CODES
from recoup.api.schemas import MessageOut, MessagePage, Problem, TimelinePage
from recoup.audit.models import AuditEvent
from recoup.messaging.models import Message

router = Router(tags=["messages"])


@router.get("/messages", response={200: MessagePage, ERROR_CODES: Problem})
def message_list(request, customer_id: Optional[int] = None, channel: Optional[str] = None,
                 status: Optional[str] = None, direction: Optional[str] = None,
                 created_from: Optional[date] = None, created_to: Optional[date] = None,
                 limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0, le=10**9)):
    """Messages out and in, newest first, by customer, channel, status, direction and date."""
    org = org_of(request)
    qs = Message.objects.for_org(org).order_by("-created_at", "-id")
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id if 0 < customer_id < inputs.MAX_ID else 0)
    for field, value in (("channel", channel), ("status", status), ("direction", direction)):
        if value:
            qs = qs.filter(**{field: value})
    if check_date(created_from, "created_from"):
        qs = qs.filter(created_at__date__gte=created_from)
    if check_date(created_to, "created_to"):
        qs = qs.filter(created_at__date__lte=created_to)
    return paged(qs, limit, offset)


@router.get("/messages/{message_id}", response={200: MessageOut, ERROR_CODES: Problem})
def message_get(request, message_id: int):
    return get_or_404(Message, org_of(request), message_id, "message")


@router.get("/timeline", response={200: TimelinePage, ERROR_CODES: Problem}, tags=["timeline"])
def timeline(request, verb: Optional[str] = None, customer_id: Optional[int] = None,
             since: Optional[date] = None, until: Optional[date] = None,
             limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0, le=10**9)):
    """The organization's audit trail, newest first; ``verb`` may end in ``.`` to match a prefix (``payment.``)."""
    org = org_of(request)
    qs = AuditEvent.objects.for_org(org).order_by("-at", "-id")
    if verb:
        qs = qs.filter(verb__startswith=verb) if verb.endswith(".") else qs.filter(verb=verb)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id if 0 < customer_id < inputs.MAX_ID else 0)
    if check_date(since, "since"):
        qs = qs.filter(at__date__gte=since)
    if check_date(until, "until"):
        qs = qs.filter(at__date__lte=until)
    return paged(qs, limit, offset)

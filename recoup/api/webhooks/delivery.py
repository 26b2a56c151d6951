"""Deliver webhooks from the outbox: claim one due delivery, POST it signed, record the outcome.

Claims are a conditional UPDATE (pending -> sending, attempts + 1) that one deliverer wins, as
in recoup/messaging/delivery.py; a claim left in ``sending`` by a killed process is taken back
after ``STALE_AFTER``. Each claim is stamped with the time it is made (``clock()``, read anew for
every delivery, not the start of the batch), and the outcome is written only while the claim is
still this deliverer's (same ``attempts``): a long batch beside a slow receiver never looks stale
to another deliverer, and a claim taken back is never recorded twice. One POST ends within
``TIMEOUT_SECONDS``, far below ``STALE_AFTER``, so no live claim is ever taken back.

The POST goes through ``recoup.lib.outbound``: the host is resolved and every address checked
against the refused ranges at every attempt (unless the install sets
``RECOUP_WEBHOOKS_ALLOW_PRIVATE``), the connection goes to the address checked, redirects are
not followed and the stored error is generic. A 2xx answer is delivered; anything else is
retried after ``BACKOFF`` (1 min, 5 min, 30 min, 2 h, 12 h, 24 h), then failed. The receiver can
tell a repeat by the event id (``Recoup-Event-Id`` header and ``id`` in the body).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Min, Q

from recoup.api.models import DeliveryStatus, WebhookDelivery
from recoup.api.webhooks.signing import HEADER, sign
from recoup.lib import outbound

log = logging.getLogger(__name__)

BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
           timedelta(hours=12), timedelta(hours=24))
STALE_AFTER = timedelta(minutes=5)
TIMEOUT_SECONDS = 10  # the whole exchange: connect, send, read the status line and headers

Clock = Callable[[], datetime]


@dataclass
class WebhookReport:
    dispatched: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0


def _due(now: datetime):
    return WebhookDelivery.objects.filter(
        Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        | Q(status=DeliveryStatus.SENDING, claimed_at__lte=now - STALE_AFTER))


def claim_next(*, now: datetime, org=None) -> WebhookDelivery | None:
    """Take one due delivery, stamping the claim with ``now`` (the time of this claim)."""
    while True:
        due = _due(now) if org is None else _due(now).filter(org=org)
        candidates = list(due.order_by("next_attempt_at", "id").values_list("id", "status", "attempts")[:20])
        if not candidates:
            return None
        for pk, status, attempts in candidates:
            if WebhookDelivery.objects.filter(pk=pk, status=status, attempts=attempts).update(
                    status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, claimed_at=now):
                return WebhookDelivery.objects.select_related("endpoint").get(pk=pk)


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()


def post(delivery: WebhookDelivery, *, now: datetime) -> tuple[int | None, str]:
    """POST the signed body (signed at ``now``); returns (HTTP status or None, generic error text)."""
    body = body_of(delivery)
    headers = {"Content-Type": "application/json", "User-Agent": "Recoup-Webhooks/1",
               HEADER: sign(delivery.endpoint.secret, body, int(now.timestamp())),
               "Recoup-Event": delivery.event_type, "Recoup-Event-Id": delivery.event_id,
               "Recoup-Delivery": str(delivery.pk)}
    try:
        code = outbound.post(delivery.endpoint.url, content=body, headers=headers, timeout=TIMEOUT_SECONDS,
                             allow_private=settings.RECOUP_WEBHOOKS_ALLOW_PRIVATE)
    except outbound.OutboundError as exc:
        return None, str(exc)
    return code, "" if 200 <= code < 300 else f"HTTP {code}"


def deliver_one(delivery: WebhookDelivery, *, clock: Clock) -> str:
    """POST a claimed delivery and record the outcome, if the claim is still ours; returns the outcome."""
    code, error = post(delivery, now=clock())
    now = clock()
    mine = WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING, attempts=delivery.attempts)
    if code is not None and 200 <= code < 300:
        mine.update(status=DeliveryStatus.DELIVERED, delivered_at=now, last_status_code=code, last_error="",
                    next_attempt_at=None)
        return "delivered"
    if delivery.attempts <= len(BACKOFF):
        mine.update(status=DeliveryStatus.PENDING, next_attempt_at=now + BACKOFF[delivery.attempts - 1],
                    last_status_code=code, last_error=error)
        return "retried"
    mine.update(status=DeliveryStatus.FAILED, next_attempt_at=None, last_status_code=code, last_error=error)
    return "failed"


def deliver_due(*, clock: Clock, limit: int | None = None, org=None) -> WebhookReport:
    """Deliver what is due, one claim at a time; ``clock()`` is read for each claim, send and outcome."""
    report = WebhookReport()
    while limit is None or report.delivered + report.retried + report.failed < limit:
        delivery = claim_next(now=clock(), org=org)
        if delivery is None:
            break
        outcome = deliver_one(delivery, clock=clock)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def next_wakeup() -> datetime | None:
    waiting = WebhookDelivery.objects.aggregate(
        retry=Min("next_attempt_at", filter=Q(status=DeliveryStatus.PENDING)),
        stale=Min("claimed_at", filter=Q(status=DeliveryStatus.SENDING)))
    times = [t for t in (waiting["retry"], waiting["stale"] and waiting["stale"] + STALE_AFTER) if t]
    return min(times) if times else None

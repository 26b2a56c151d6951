"""Deliver webhooks from the outbox: claim one due delivery, POST it signed, record the outcome.

Claims are a conditional UPDATE (pending -> sending, attempts + 1) that one worker wins, as
in recoup/messaging/delivery.py; a claim left in ``sending`` by a killed process is taken back
after ``STALE_AFTER``. A 2xx answer is delivered; anything else is retried after ``BACKOFF``
(1 min, 5 min, 30 min, 2 h, 12 h, 24 h), then failed. The receiver can tell a repeat by the
event id (``Recoup-Event-Id`` header and ``id`` in the body).
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, Min, Q

from recoup.api.models import DeliveryStatus, WebhookDelivery
from recoup.api.webhooks.signing import HEADER, sign

log = logging.getLogger(__name__)

BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
           timedelta(hours=12), timedelta(hours=24))
STALE_AFTER = timedelta(minutes=5)
TIMEOUT_SECONDS = 10


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
    """POST the signed body; returns (HTTP status or None, error text)."""
    body = body_of(delivery)
    request = urllib.request.Request(delivery.endpoint.url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "Recoup-Webhooks/1",
        HEADER: sign(delivery.endpoint.secret, body, int(now.timestamp())),
        "Recoup-Event": delivery.event_type, "Recoup-Event-Id": delivery.event_id,
        "Recoup-Delivery": str(delivery.pk)})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (http(s) only)
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, str(getattr(exc, "reason", exc))[:2000]


def deliver_one(delivery: WebhookDelivery, *, now: datetime) -> str:
    code, error = post(delivery, now=now)
    mine = WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING)
    if code is not None and 200 <= code < 300:
        mine.update(status=DeliveryStatus.DELIVERED, delivered_at=now, last_status_code=code, last_error="",
                    next_attempt_at=None)
        return "delivered"
    if delivery.attempts <= len(BACKOFF):
        mine.update(status=DeliveryStatus.PENDING, next_attempt_at=now + BACKOFF[delivery.attempts - 1],
                    last_status_code=code, last_error=error or f"HTTP {code}")
        return "retried"
    mine.update(status=DeliveryStatus.FAILED, next_attempt_at=None, last_status_code=code,
                last_error=error or f"HTTP {code}")
    return "failed"


def deliver_due(*, now: datetime, limit: int | None = None, org=None) -> WebhookReport:
    report = WebhookReport()
    while limit is None or report.delivered + report.retried + report.failed < limit:
        delivery = claim_next(now=now, org=org)
        if delivery is None:
            break
        outcome = deliver_one(delivery, now=now)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def next_wakeup() -> datetime | None:
    waiting = WebhookDelivery.objects.aggregate(
        retry=Min("next_attempt_at", filter=Q(status=DeliveryStatus.PENDING)),
        stale=Min("claimed_at", filter=Q(status=DeliveryStatus.SENDING)))
    times = [t for t in (waiting["retry"], waiting["stale"] and waiting["stale"] + STALE_AFTER) if t]
    return min(times) if times else None

"""Webhook delivery metrics for /metrics (registered in apps.py): failures, retries, what waits."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Min, Q
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from recoup.api.models import DeliveryStatus, WebhookDelivery
from recoup.lib.metrics import PREFIX


def webhook_metrics(now: datetime):
    rows = WebhookDelivery.objects.values("status").annotate(
        n=Count("id"), retrying=Count("id", filter=Q(status=DeliveryStatus.PENDING, attempts__gt=0)),
        oldest_due=Min("next_attempt_at", filter=Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)))
    by_status = GaugeMetricFamily(f"{PREFIX}webhook_deliveries", "Webhook deliveries by status", labels=["status"])
    failed = CounterMetricFamily(f"{PREFIX}webhook_deliveries_failed", "Webhook deliveries that failed for good")
    retrying = GaugeMetricFamily(f"{PREFIX}webhook_deliveries_retrying",
                                 "Webhook deliveries that failed at least once and will be tried again")
    age = GaugeMetricFamily(f"{PREFIX}webhook_oldest_due_age_seconds", "How long the oldest due webhook has waited")
    totals = {"failed": 0, "retrying": 0, "oldest": None}
    for row in rows:
        by_status.add_metric([row["status"]], row["n"])
        totals["failed"] += row["n"] if row["status"] == DeliveryStatus.FAILED else 0
        totals["retrying"] += row["retrying"]
        if row["oldest_due"] is not None:
            totals["oldest"] = min(filter(None, (totals["oldest"], row["oldest_due"])))
    failed.add_metric([], totals["failed"])
    retrying.add_metric([], totals["retrying"])
    age.add_metric([], max(0.0, (now - totals["oldest"]).total_seconds()) if totals["oldest"] else 0.0)
    yield from (by_status, failed, retrying, age)

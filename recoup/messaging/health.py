"""Is the outbox moving? A readiness check and the delivery metrics (registered in apps.py).

The outbox is stuck when a message has been due for more than ``RECOUP_OUTBOX_STUCK_MINUTES``
(no worker is delivering, or every attempt dies), or a claim has outlived the reclaim time
(``delivery.STALE_AFTER``) by as much. Messages waiting for their send window are not due.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Min, Q
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from recoup.lib.health import Problem
from recoup.lib.metrics import PREFIX
from recoup.messaging.delivery import STALE_AFTER
from recoup.messaging.models import Direction, Message, MessageStatus

SENT = (MessageStatus.SENT, MessageStatus.POSTED, MessageStatus.DONE)


def _outgoing():
    return Message.objects.filter(direction=Direction.OUT)


def outbox_problems(now: datetime) -> list[Problem]:
    stuck = timedelta(minutes=settings.RECOUP_OUTBOX_STUCK_MINUTES)
    late = (_outgoing().filter(Q(status=MessageStatus.QUEUED, next_attempt_at__lt=now - stuck)
                               | Q(status=MessageStatus.SENDING, claimed_at__lt=now - STALE_AFTER - stuck))
            .values("org_id", "org__slug").annotate(n=Count("id"), since=Min("next_attempt_at")))
    minutes = f"{stuck.total_seconds() / 60:.0f}"
    return [Problem(f"{row['org__slug']}: {row['n']} message(s) due for more than {minutes} minutes and not "
                    "delivered: are the workers running?", org_id=row["org_id"]) for row in late]


def outbox_metrics(now: datetime):
    depth = GaugeMetricFamily(f"{PREFIX}outbox_due_messages", "Outgoing messages due for delivery now",
                              labels=["channel"])
    age = GaugeMetricFamily(f"{PREFIX}outbox_oldest_due_age_seconds",
                            "How long the oldest due outgoing message has waited", labels=["channel"])
    due = (_outgoing().filter(status=MessageStatus.QUEUED, next_attempt_at__lte=now)
           .values("channel").annotate(n=Count("id"), oldest=Min("next_attempt_at")))
    for row in due:
        depth.add_metric([row["channel"]], row["n"])
        age.add_metric([row["channel"]], max(0.0, (now - row["oldest"]).total_seconds()))
    yield depth
    yield age
    waiting = GaugeMetricFamily(f"{PREFIX}outbox_messages", "Outgoing messages by status", labels=["channel", "status"])
    sent = CounterMetricFamily(f"{PREFIX}messages_sent", "Outgoing messages sent (posted, for letters; "
                               "logged, for calls)", labels=["channel"])
    failed = CounterMetricFamily(f"{PREFIX}messages_failed", "Outgoing messages that failed for good",
                                 labels=["channel"])
    totals: dict[tuple[str, str], int] = {}
    for row in _outgoing().values("channel", "status").annotate(n=Count("id")):
        totals[(row["channel"], row["status"])] = row["n"]
        waiting.add_metric([row["channel"], row["status"]], row["n"])
    for channel in sorted({c for c, _ in totals}):
        sent.add_metric([channel], sum(totals.get((channel, s), 0) for s in SENT))
        failed.add_metric([channel], totals.get((channel, MessageStatus.FAILED), 0))
    yield waiting
    yield sent
    yield failed

"""Are the books in step? A readiness check and the sync metrics (registered in apps.py).

A connection that should be syncing (connected, or broken and waiting to be reconnected) whose
last successful sync is older than its organization's limit fails readiness with the same reason
the cycle gives for holding its steps (``selectors.books_hold``). The metrics give each
connection's sync lag and the write-backs waiting or failed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily

from recoup.connections.models import BooksSettings, Connection, ConnectionStatus, Provider, Writeback
from recoup.connections.selectors import DEFAULT_STALE_HOURS
from recoup.lib.health import Problem
from recoup.lib.metrics import PREFIX

SYNCING = (ConnectionStatus.ACTIVE, ConnectionStatus.BROKEN)


def _syncing():
    return Connection.objects.filter(status__in=SYNCING).values_list(
        "org_id", "org__slug", "provider", "last_synced_at", "status")


def sync_problems(now: datetime) -> list[Problem]:
    limits = dict(BooksSettings.objects.values_list("org_id", "stale_after_hours"))
    problems = []
    for org_id, slug, provider, last, status in _syncing():
        label = Provider(provider).label
        limit = timedelta(hours=limits.get(org_id) or DEFAULT_STALE_HOURS)
        if status == ConnectionStatus.BROKEN:
            problems.append(Problem(f"{slug}: {label} needs reconnecting", org_id=org_id))
        elif last is None or now - last > limit:
            since = "connecting" if last is None else f"{last:%Y-%m-%d %H:%M} UTC"
            problems.append(Problem(f"{slug}: books not synced since {since} ({label}; the limit is "
                                    f"{int(limit.total_seconds() // 3600)} h): reminders wait", org_id=org_id))
    return problems


def sync_metrics(now: datetime):
    lag = GaugeMetricFamily(f"{PREFIX}books_sync_lag_seconds",
                            "Seconds since the last successful sync of each connection to the books",
                            labels=["org", "provider"])
    for _org_id, slug, provider, last, _status in _syncing():
        if last is not None:
            lag.add_metric([slug, provider], max(0.0, (now - last).total_seconds()))
    yield lag
    writebacks = GaugeMetricFamily(f"{PREFIX}books_writebacks", "Payments to write back to the books, by status",
                                   labels=["provider", "status"])
    for row in Writeback.objects.values("connection__provider", "status").annotate(n=Count("id")):
        writebacks.add_metric([row["connection__provider"], row["status"]], row["n"])
    yield writebacks

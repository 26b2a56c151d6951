"""The install-wide readiness checks and metrics: database, schema, workers, scheduler, task queue.

Registered into ``recoup.lib.health`` and ``recoup.lib.metrics`` by ``OpsConfig.ready()``; the
collections cycle, the outbox and the connections' sync register their own from their apps.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.db.models import Case, Count, F, Min, Q, When
from django_tasks_db.models import DBTaskResult, get_date_max
from prometheus_client.core import GaugeMetricFamily

from recoup.lib import health
from recoup.lib.metrics import PREFIX
from recoup.ops.heartbeats import fresh, last_beat_age, stale_after
from recoup.ops.models import ProcessKind
from recoup.ops.schema import schema_problem, schema_state


def database_problems(now: datetime) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return []


def migrations_problems(now: datetime) -> list[str]:
    problem = schema_problem(schema_state())
    return [problem] if problem else []


def _silence(kind: str, what: str) -> str:
    age = last_beat_age(kind)
    if age is None:
        return f"no {what} has ever started (`recoup {kind}`)"
    return f"no {what} has beaten for {age:.0f} s (more than {stale_after().total_seconds():.0f} s): is `recoup {kind}` running?"


def worker_problems(now: datetime) -> list[str]:
    return [] if fresh(ProcessKind.WORKER, within=stale_after()).exists() else [_silence("worker", "worker")]


def scheduler_problems(now: datetime) -> list[str]:
    live = fresh(ProcessKind.SCHEDULER, within=stale_after())
    if not live.exists():
        return [_silence("scheduler", "scheduler")]
    return [] if live.filter(leader=True).exists() else ["schedulers run, but none holds the leader lock"]


def register_checks() -> None:
    health.register("database", database_problems)
    health.register("migrations", migrations_problems)
    health.register("worker", worker_problems)
    health.register("scheduler", scheduler_problems)


def process_metrics(now: datetime):
    alive = GaugeMetricFamily(f"{PREFIX}processes_alive", "Worker and scheduler processes beating now",
                              labels=["kind"])
    for kind in ProcessKind.values:
        alive.add_metric([kind], fresh(kind, within=stale_after()).count())
    yield alive
    leaders = GaugeMetricFamily(f"{PREFIX}scheduler_leaders", "Schedulers holding the leader lock (1 is right)")
    leaders.add_metric([], fresh(ProcessKind.SCHEDULER, within=stale_after()).filter(leader=True).count())
    yield leaders


def task_queue_metrics(now: datetime):
    """The background task queue (django-tasks-db): tasks ready to run and how long the oldest waits."""
    ready = DBTaskResult.objects.filter(status="READY").filter(Q(run_after=get_date_max()) | Q(run_after__lte=now))
    # A task became ready when enqueued ("as soon as possible") or at its run_after.
    ready_since = Case(When(run_after=get_date_max(), then=F("enqueued_at")), default=F("run_after"))
    rows = ready.values("queue_name").annotate(n=Count("id"), oldest=Min(ready_since))
    depth = GaugeMetricFamily(f"{PREFIX}task_queue_depth", "Background tasks ready to run", labels=["queue"])
    age = GaugeMetricFamily(f"{PREFIX}task_queue_oldest_age_seconds",
                            "Age of the oldest background task ready to run", labels=["queue"])
    for row in rows:
        depth.add_metric([row["queue_name"]], row["n"])
        age.add_metric([row["queue_name"]], max(0.0, (now - row["oldest"]).total_seconds()))
    yield depth
    yield age
    failed = GaugeMetricFamily(f"{PREFIX}tasks_failed", "Background tasks that ended in an error (kept rows)",
                               labels=["task"])
    for row in DBTaskResult.objects.filter(status="FAILED").values("task_path").annotate(n=Count("id")):
        failed.add_metric([row["task_path"]], row["n"])
    yield failed


def readiness_metrics(now: datetime):
    report = health.run_checks(now=now)
    gauge = GaugeMetricFamily(f"{PREFIX}readiness_check_ok", "1 when the readiness check passes (see /readyz)",
                              labels=["check"])
    for result in report.results:
        gauge.add_metric([result.name], 1 if result.ok else 0)
    yield gauge

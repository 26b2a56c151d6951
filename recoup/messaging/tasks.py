"""The background task that drains the outbox, run by the django-tasks worker.

How delivery is kept going:
- ``message_queue`` calls ``request_delivery_on_commit`` (through ``hooks.delivery_requested``,
  registered in ``apps.py``, so the actions do not import this module): once its transaction commits,
  ``request_delivery`` enqueues ``deliver_outbox`` unless one is already waiting to run now.
  A transaction that queues many messages (the cycle's hundred customers) asks once.
- ``deliver_outbox`` delivers up to ``RECOUP_DELIVERY_BATCH`` due messages (one claim each). When more
  are due it enqueues enough further runs for the rest (up to ``FAN_OUT`` waiting at once), so several
  workers share a large outbox; when none is, it re-enqueues itself with ``run_after`` set to the next
  retry time or stale-claim deadline, so retries and messages left by a killed process are picked up
  without a cron job.
- A cron job or scheduler may still run ``recoup deliver`` as a safety net
  (for example every 5 minutes); claims make concurrent runs safe.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django_tasks import task

log = logging.getLogger(__name__)


# At most this many delivery runs wait in the queue at once for a large outbox (one per worker that
# may take them; an extra one finds nothing left and ends).
FAN_OUT = 8


def _queued_in_database() -> bool:
    """Whether tasks wait in the database for workers (django-tasks-db), which can be counted and shared."""
    return type(deliver_outbox.get_backend()).__module__ == "django_tasks_db.backend"


def _waiting_runs(before: datetime) -> int:
    """How many not-yet-started ``deliver_outbox`` runs will run by ``before`` (database backend only: 0)."""
    if not _queued_in_database():
        return 0
    from django.db.models import Q
    from django_tasks_db.models import DBTaskResult, get_date_max

    # The backend stores "run as soon as possible" as the largest date.
    return DBTaskResult.objects.filter(task_path=deliver_outbox.module_path, status="READY").filter(
        Q(run_after__lte=before) | Q(run_after=get_date_max()))[:FAN_OUT].count()


def _waiting_run_exists(before: datetime) -> bool:
    return _waiting_runs(before) > 0


def _fan_out(now: datetime, batch: int) -> int:
    """Enqueue delivery runs for the messages still due, one per ``batch`` of them, until ``FAN_OUT``
    wait; returns how many were enqueued."""
    from recoup.messaging.delivery import due_count

    wanted = min(FAN_OUT, -(-due_count(now, at_most=batch * FAN_OUT) // batch))
    missing = max(0, wanted - _waiting_runs(now))
    for _ in range(missing):
        deliver_outbox.enqueue()
    return missing


def _enqueue(run_after: datetime | None) -> None:
    at = run_after or timezone.now()
    if _waiting_run_exists(at):
        return
    (deliver_outbox.using(run_after=run_after) if run_after else deliver_outbox).enqueue()


def request_delivery() -> None:
    """Ask a worker to deliver now (called on commit after a message is queued)."""
    try:
        _enqueue(None)
    except Exception:  # the sweep or `recoup deliver` still finds the message
        log.exception("could not enqueue outbox delivery")


def request_delivery_on_commit() -> None:
    """Call ``request_delivery`` when the current transaction commits, once however many messages it
    queues. A request registered earlier in the transaction covers this one: if the savepoint it was
    made in is rolled back later, that savepoint holds this message too (Django drops the callbacks
    of a savepoint it rolls back, and a savepoint already released can no longer be rolled back)."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(func is request_delivery for _, func, _ in connection.run_on_commit):
        return
    transaction.on_commit(request_delivery, robust=True)


@task()
def deliver_outbox() -> dict:
    """Deliver up to ``RECOUP_DELIVERY_BATCH`` due messages; then hand what is still due to further runs
    (other workers take them), or schedule the next run when a retry or stale claim waits."""
    from django.conf import settings

    from recoup.messaging.delivery import deliver_due, next_wakeup

    # Another backend (one that runs tasks at once, say) drains the outbox in one run, as before.
    batch = settings.RECOUP_DELIVERY_BATCH if _queued_in_database() else 0
    report = deliver_due(now=timezone.now(), limit=batch if batch > 0 else None)
    if batch > 0 and report.handled >= batch:
        _fan_out(timezone.now(), batch)  # more may be due: other workers share it
    wake = next_wakeup()
    if wake is not None:  # a run waiting already (one just enqueued, say) covers it
        _enqueue(max(wake, timezone.now()))
    return {"sent": report.sent, "retried": report.retried, "failed": report.failed}

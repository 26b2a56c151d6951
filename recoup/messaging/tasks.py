"""The background task that drains the outbox, run by the django-tasks worker.

How delivery is kept going:
- ``message_queue`` calls ``request_delivery_on_commit`` (through ``hooks.delivery_requested``,
  registered in ``apps.py``, so the actions do not import this module): once its transaction commits,
  ``request_delivery`` enqueues ``deliver_outbox`` unless one is already waiting to run now.
  A transaction that queues many messages (the cycle's hundred customers) asks once.
- ``deliver_outbox`` drains what is due, then re-enqueues itself with
  ``run_after`` set to the next retry time or stale-claim deadline, so retries
  and messages left by a killed process are picked up without a cron job.
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


def _waiting_run_exists(before: datetime) -> bool:
    """Whether a not-yet-started ``deliver_outbox`` will run by ``before`` (database backend only)."""
    if type(deliver_outbox.get_backend()).__module__ != "django_tasks_db.backend":
        return False
    from django.db.models import Q
    from django_tasks_db.models import DBTaskResult, get_date_max

    # The backend stores "run as soon as possible" as the largest date.
    return DBTaskResult.objects.filter(task_path=deliver_outbox.module_path, status="READY").filter(
        Q(run_after__lte=before) | Q(run_after=get_date_max())).exists()


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
    """Deliver everything due now, then schedule the next run when a retry or stale claim waits."""
    from recoup.messaging.delivery import deliver_due, next_wakeup

    report = deliver_due(now=timezone.now())
    wake = next_wakeup()
    if wake is not None:
        _enqueue(max(wake, timezone.now()))
    return {"sent": report.sent, "retried": report.retried, "failed": report.failed}

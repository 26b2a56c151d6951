"""The worker's tasks: a sync of one organization's books (enqueued by a provider's webhook), and the
write-back loop, which writes what is due and enqueues itself again: at the next retry, or within
``POLL`` while any connection is active, so a portal card payment reaches the books within about a
minute without a cron job (``recoup writeback`` does one round by hand)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import Min, Q
from django.utils import timezone
from django_tasks import task

log = logging.getLogger(__name__)
POLL = timedelta(seconds=60)


@task()
def sync_org_task(org_id: int) -> None:
    from recoup.connections.sync import sync_org
    from recoup.connections.writeback import writeback_run
    from recoup.orgs.models import Organization

    org = Organization.objects.filter(pk=org_id).first()
    if org is None:
        return
    now = timezone.now()
    writeback_run(now=now, org=org)
    sync_org(org=org, now=now)


def _waiting_run_exists() -> bool:
    if type(run_writeback.get_backend()).__module__ != "django_tasks_db.backend":
        return False
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=run_writeback.module_path, status="READY").exists()


def request_writeback_run(run_after=None) -> None:
    try:
        if not _waiting_run_exists():
            (run_writeback.using(run_after=run_after) if run_after else run_writeback).enqueue()
    except Exception:  # `recoup writeback` and every sync still find the work
        log.exception("could not enqueue the write-back run")


@task()
def run_writeback() -> dict:
    from recoup.connections.models import Connection, ConnectionStatus, Writeback, WritebackStatus
    from recoup.connections.writeback import STALE_AFTER, writeback_run

    now = timezone.now()
    report = writeback_run(now=now)
    if Connection.objects.filter(status=ConnectionStatus.ACTIVE).exists():
        waiting = Writeback.objects.aggregate(
            retry=Min("next_attempt_at", filter=Q(status=WritebackStatus.PENDING)),
            stale=Min("claimed_at", filter=Q(status=WritebackStatus.SENDING)))
        times = [now + POLL] + [t for t in (waiting["retry"], waiting["stale"] and waiting["stale"] + STALE_AFTER) if t]
        request_writeback_run(max(min(times), timezone.now()))
    return {"collected": report.collected, "written": report.written, "retried": report.retried,
            "failed": report.failed}

"""The django-tasks task that dispatches and delivers webhooks, and keeps itself going.

``run_webhooks`` turns new audit events into deliveries, delivers what is due, then
re-enqueues itself: at the next retry, or within ``POLL`` while any endpoint is active, so
new events go out within about a minute without a cron job. ``recoup webhooks-deliver`` does
the same once (a safety net for cron); claims make concurrent runs safe.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

log = logging.getLogger(__name__)
POLL = timedelta(seconds=60)


def run_once(*, clock, org=None):
    """Dispatch new events (of ``org``, default every organization), then deliver what is due.

    ``clock`` gives the time (the entry points pass ``timezone.now``): read for each claim and send.
    """
    from recoup.api.webhooks.delivery import deliver_due
    from recoup.api.webhooks.dispatch import dispatch_all

    dispatched = dispatch_all(now=clock(), org=org)
    report = deliver_due(clock=clock, org=org)
    report.dispatched = dispatched
    return report


def _waiting_run_exists() -> bool:
    if type(run_webhooks.get_backend()).__module__ != "django_tasks_db.backend":
        return False
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=run_webhooks.module_path, status="READY").exists()


def request_webhook_run(run_after=None) -> None:
    try:
        if not _waiting_run_exists():
            (run_webhooks.using(run_after=run_after) if run_after else run_webhooks).enqueue()
    except Exception:  # `recoup webhooks-deliver` still finds the work
        log.exception("could not enqueue webhook delivery")


@task()
def run_webhooks() -> dict:
    from recoup.api.models import WebhookEndpoint
    from recoup.api.webhooks.delivery import next_wakeup

    report = run_once(clock=timezone.now)
    now = timezone.now()
    wake = next_wakeup()
    if WebhookEndpoint.objects.filter(active=True).exists():
        wake = min(wake, now + POLL) if wake else now + POLL
    if wake is not None:
        request_webhook_run(max(wake, timezone.now()))
    return {"dispatched": report.dispatched, "delivered": report.delivered, "retried": report.retried,
            "failed": report.failed}

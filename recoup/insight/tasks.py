"""Insight figures computed by a worker: the snapshot of a day nobody computed, asked for by a page
when the ledger is too large to read while the page waits (``views.snapshot_of``)."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks import task

from recoup.insight import actions
from recoup.insight.models import InsightSnapshot, InsightSnapshotRequest
from recoup.orgs.models import Organization

log = logging.getLogger(__name__)

# A request this old without its snapshot belongs to a worker that died: ask again.
STALE_REQUEST = timedelta(hours=1)


def snapshot_requested(*, org: Organization, currency: str, on: date, now: datetime) -> None:
    """Have a worker compute ``org``'s figures of ``currency`` as of ``on``, once however many ask."""
    try:
        with transaction.atomic():
            InsightSnapshotRequest.objects.create(org=org, currency=currency, on=on, requested_at=now)
    except IntegrityError:
        retaken = (InsightSnapshotRequest.objects.for_org(org)
                   .filter(currency=currency, on=on, requested_at__lt=now - STALE_REQUEST).update(requested_at=now))
        if not retaken:
            return
    transaction.on_commit(lambda: snapshot_compute.enqueue(org.pk, currency, on.isoformat()))


@task()
def snapshot_compute(org_id: int, currency: str, on: str) -> None:
    org = Organization.objects.get(pk=org_id)
    day = date.fromisoformat(on)
    try:
        if not InsightSnapshot.objects.for_org(org).filter(currency=currency, on=day).exists():
            actions.insight_snapshot_write(org=org, on=day, now=timezone.now(), currencies=[currency])
    finally:
        InsightSnapshotRequest.objects.for_org(org).filter(currency=currency, on=day).delete()

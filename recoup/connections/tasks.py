"""The worker's task: sync one organization's books (enqueued by a provider's webhook), writing
back first what the books lack."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task


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

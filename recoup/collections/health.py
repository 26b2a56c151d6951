"""Is the daily cycle on time? A readiness check and the cycle's metrics (registered in apps.py).

An organization's day is late when its local clock is ``RECOUP_CYCLE_GRACE_MINUTES`` past its
``cycle_time`` and no real cycle finished for that day (by the scheduler or ``recoup cycle``).
Before that moment, yesterday's day is the one that must have run (unless the organization
did not exist yet).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import OuterRef, Subquery
from prometheus_client.core import GaugeMetricFamily

from recoup.collections.models import CycleRun
from recoup.lib.health import Problem
from recoup.lib.metrics import PREFIX
from recoup.orgs.models import Organization


def day_that_should_have_run(org: Organization, now: datetime, grace: timedelta) -> date | None:
    """The latest local day whose cycle should be finished by ``now``; None for an organization too new."""
    zone = ZoneInfo(org.timezone)
    local = now.astimezone(zone)
    day = local.date()
    due = datetime.combine(day, org.cycle_time, tzinfo=zone) + grace
    if local < due:
        day -= timedelta(days=1)
        due -= timedelta(days=1)
    # An organization created after that day's deadline has not missed it.
    return day if org.created_at is None or org.created_at <= due else None


def cycle_problems(now: datetime) -> list[Problem]:
    grace = timedelta(minutes=settings.RECOUP_CYCLE_GRACE_MINUTES)
    owed = {}
    for org in Organization.objects.only("id", "slug", "timezone", "cycle_time", "created_at"):
        day = day_that_should_have_run(org, now, grace)
        if day is not None:
            owed[org.pk] = (org, day)
    if not owed:
        return []
    ran = set(CycleRun.objects.filter(org_id__in=owed, dry_run=False, finished_at__isnull=False,
                                      date__in={day for _, day in owed.values()}).values_list("org_id", "date"))
    return [Problem(f"{org.slug}: the collections cycle for {day} has not run (due at {org.cycle_time:%H:%M} "
                    f"{org.timezone}, {grace.total_seconds() / 60:.0f} minutes' grace): is the scheduler running?",
                    org_id=org.pk)
            for org, day in owed.values() if (org.pk, day) not in ran]


def cycle_metrics(now: datetime):
    duration = GaugeMetricFamily(f"{PREFIX}cycle_duration_seconds",
                                 "How long the last finished collections cycle took", labels=["org"])
    finished = GaugeMetricFamily(f"{PREFIX}cycle_last_finished_timestamp_seconds",
                                 "When the last collections cycle finished (Unix time)", labels=["org"])
    last = CycleRun.objects.filter(org=OuterRef("pk"), dry_run=False, finished_at__isnull=False)
    slugs = dict(Organization.objects.annotate(last_run=Subquery(last.order_by("-finished_at").values("id")[:1]))
                 .filter(last_run__isnull=False).values_list("last_run", "slug"))
    for run in CycleRun.objects.filter(pk__in=slugs):
        duration.add_metric([slugs[run.pk]], max(0.0, (run.finished_at - run.started_at).total_seconds()))
        finished.add_metric([slugs[run.pk]], run.finished_at.timestamp())
    yield duration
    yield finished

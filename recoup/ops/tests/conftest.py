"""Health fixtures: a pinned clock, live processes, and an organization whose day has run."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

# 2026-03-31 is a Tuesday; London is on summer time (UTC+1): 09:30 local.
NOW = datetime(2026, 3, 31, 8, 30, tzinfo=timezone.utc)


@pytest.fixture
def clock(monkeypatch):
    """The views read the clock at the entry point: pin it."""
    from django.utils import timezone as dj_timezone

    monkeypatch.setattr(dj_timezone, "now", lambda: NOW)
    return NOW


@pytest.fixture
def live_processes(db):
    """A worker and the scheduler leader beating now."""
    from recoup.ops.heartbeats import beat

    beat(kind="worker", name="web1:100")
    beat(kind="scheduler", name="web1:101", leader=True)
    beat(kind="scheduler", name="web2:200", leader=False)


@pytest.fixture
def org_ran_today(org_a):
    """acme, created last year, whose collections cycle ran today."""
    from recoup.collections.models import CycleRun
    from recoup.orgs.models import Organization

    Organization.objects.filter(pk=org_a.pk).update(created_at=NOW - timedelta(days=365))
    CycleRun.objects.create(org=org_a, date=date(2026, 3, 31), started_at=NOW - timedelta(hours=2, minutes=30),
                            finished_at=NOW - timedelta(hours=2, minutes=29, seconds=18))
    org_a.refresh_from_db()
    return org_a

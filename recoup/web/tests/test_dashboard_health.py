"""The dashboard's red banner: owners see what /readyz finds failing, for the install and their organization."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from recoup.collections.models import CycleRun
from recoup.ops.heartbeats import beat
from recoup.orgs.models import Organization

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def healthy(members, org_a, org_b, frozen_clock):
    """Every part works: a worker and the scheduler leader beat, both organizations' days ran."""
    beat(kind="worker", name="h:1")
    beat(kind="scheduler", name="h:2", leader=True)
    Organization.objects.update(created_at=NOW - timedelta(days=30))
    for org in (org_a, org_b):
        CycleRun.objects.create(org=org, date=date(2026, 3, 31), started_at=NOW, finished_at=NOW)
        CycleRun.objects.create(org=org, date=date(2026, 3, 30), started_at=NOW, finished_at=NOW)


def test_no_banner_while_everything_works(as_user, healthy):
    page = as_user("owner").get("/o/acme/").content.decode()
    assert 'id="health-banner"' not in page


def test_owners_see_a_red_banner_when_no_worker_runs(as_user, healthy):
    from recoup.ops.models import Heartbeat

    Heartbeat.objects.filter(kind="worker").delete()
    page = as_user("owner").get("/o/acme/").content.decode()
    assert 'id="health-banner"' in page and 'role="alert"' in page
    assert "<b>worker</b>: no worker has ever started" in page


@pytest.mark.parametrize("role", ["collector", "viewer"])
def test_other_roles_see_no_banner(as_user, healthy, role):
    from recoup.ops.models import Heartbeat

    Heartbeat.objects.all().delete()
    assert 'id="health-banner"' not in as_user(role).get("/o/acme/").content.decode()


def test_an_owner_sees_their_organizations_late_cycle_but_not_anothers(as_user, healthy, members, client, org_b):
    CycleRun.objects.filter(org=org_b).delete()
    assert 'id="health-banner"' not in as_user("owner").get("/o/acme/").content.decode()
    client.force_login(members["outsider"])
    page = client.get("/o/bolt/").content.decode()
    assert "<b>cycle</b>: bolt: the collections cycle for" in page

"""The collections verbs run by the clock they are given (``--now``), not the machine's."""

from __future__ import annotations

import io
from datetime import date, datetime, timezone

from django.core.management import call_command

from recoup.collections.models import CycleRun, Pause
from recoup.messaging.models import Message

NOW = "2026-03-04T09:30:00+00:00"
AT = datetime(2026, 3, 4, 9, 30, tzinfo=timezone.utc)


def test_cycle_runs_the_day_and_stamps_its_messages_at_the_time_given(five_step, debtor, make_invoice, org_a):
    make_invoice(org_a, debtor(org_a, "C001"), "INV-1", "10.00", due=date(2026, 3, 1))
    call_command("cycle", "--org", "acme", "--now", NOW, stdout=io.StringIO())
    assert list(CycleRun.objects.for_org(org_a).values_list("date", "started_at")) == [(date(2026, 3, 4), AT)]
    assert list(Message.objects.for_org(org_a).values_list("created_at", flat=True)) == [AT]


def test_the_day_follows_the_organizations_zone_at_the_time_given(five_step, debtor, make_invoice, org_b):
    # 06:00 UTC on the 5th is still the 4th in Los Angeles.
    call_command("cycle", "--org", "bolt", "--now", "2026-03-05T06:00:00+00:00", stdout=io.StringIO())
    assert list(CycleRun.objects.for_org(org_b).values_list("date", flat=True)) == [date(2026, 3, 4)]


def test_a_pause_starts_on_the_day_of_the_time_given(debtor, org_a):
    debtor(org_a, "C001")
    call_command("pause", "add", "C001", "--reason", "talking", "--org", "acme", "--now", NOW, stdout=io.StringIO())
    pause = Pause.objects.for_org(org_a).get()
    assert pause.starts_on == date(2026, 3, 4) and pause.created_at == AT
    out = io.StringIO()
    call_command("pause", "list", "--org", "acme", "--now", "2026-03-03T12:00:00+00:00", "--format", "json", stdout=out)
    assert out.getvalue().strip() == "[]", "not yet in force the day before"

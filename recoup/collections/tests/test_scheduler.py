"""The daily scheduler: once per local day, at the organization's time, DST or not."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from recoup.collections import scheduler
from recoup.collections.cycle import cycle_run
from recoup.collections.models import CycleRun, ScheduledRun
from recoup.collections.scheduler import due_runs, scheduler_tick
from recoup.messaging.models import Message, MessageStatus

UTC = timezone.utc


def real_runs(org) -> list[date]:
    return sorted(CycleRun.objects.for_org(org).filter(dry_run=False).values_list("date", flat=True))


def every_15_minutes(start: datetime, hours: int):
    for quarter in range(hours * 4):
        yield start + timedelta(minutes=15 * quarter)


def run_across(org, local_day: date, zone: str) -> list[datetime]:
    """Tick every 15 minutes from local midnight before ``local_day`` to midnight after it;
    returns the UTC times at which a cycle ran."""
    start = datetime.combine(local_day - timedelta(days=1), time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)
    ran = []
    for now in every_15_minutes(start, 72):
        if scheduler_tick(now=now, orgs=[org], deliver=False).ran:
            ran.append(now)
    return ran


def set_cycle_time(org, at: time) -> None:
    org.cycle_time = at
    org.save(update_fields=["cycle_time"])


@pytest.mark.parametrize("day", [date(2026, 3, 29), date(2026, 10, 25)], ids=["spring-forward", "fall-back"])
def test_it_runs_a_london_organization_once_per_local_day_across_a_clock_change(org_a, day):
    ran = run_across(org_a, day, "Europe/London")
    assert real_runs(org_a) == [day - timedelta(days=1), day, day + timedelta(days=1)]
    assert [t.astimezone(ZoneInfo("Europe/London")).time() for t in ran] == [time(7, 0)] * 3


@pytest.mark.parametrize("day", [date(2026, 3, 8), date(2026, 11, 1)], ids=["spring-forward", "fall-back"])
def test_it_runs_a_los_angeles_organization_once_per_local_day_across_a_clock_change(org_b, day):
    ran = run_across(org_b, day, "America/Los_Angeles")
    assert real_runs(org_b) == [day - timedelta(days=1), day, day + timedelta(days=1)]
    assert [t.astimezone(ZoneInfo("America/Los_Angeles")).time() for t in ran] == [time(7, 0)] * 3


def test_a_cycle_time_inside_the_skipped_hour_runs_once_just_after_the_jump(org_b):
    set_cycle_time(org_b, time(2, 30))  # 02:00-03:00 does not exist in Los Angeles on 2026-03-08
    ran = run_across(org_b, date(2026, 3, 8), "America/Los_Angeles")
    local = [t.astimezone(ZoneInfo("America/Los_Angeles")) for t in ran]
    assert [(t.date(), t.time()) for t in local] == [
        (date(2026, 3, 7), time(2, 30)), (date(2026, 3, 8), time(3, 0)), (date(2026, 3, 9), time(2, 30))]


def test_a_cycle_time_inside_the_repeated_hour_runs_once_not_twice(org_a):
    set_cycle_time(org_a, time(1, 30))  # 01:00-02:00 happens twice in London on 2026-10-25
    ran = run_across(org_a, date(2026, 10, 25), "Europe/London")
    assert real_runs(org_a) == [date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26)]
    assert len(ran) == 3


def test_nothing_is_due_before_the_cycle_time_in_the_organizations_zone(org_a, org_b):
    # 14:59 UTC is 15:59 in London (due) and 07:59 in Los Angeles (due at 08:00 only).
    set_cycle_time(org_b, time(8, 0))
    now = datetime(2026, 4, 1, 14, 59, tzinfo=UTC)
    assert due_runs(orgs=[org_a, org_b], now=now) == [(org_a, date(2026, 4, 1))]
    assert due_runs(orgs=[org_a, org_b], now=now + timedelta(minutes=1)) == [
        (org_a, date(2026, 4, 1)), (org_b, date(2026, 4, 1))]


def test_it_uses_the_organizations_local_date_not_the_servers(org_b):
    # 03:00 UTC on 1 April is still 31 March, 20:00, in Los Angeles.
    assert due_runs(orgs=[org_b], now=datetime(2026, 4, 1, 3, 0, tzinfo=UTC)) == [(org_b, date(2026, 3, 31))]


def test_after_three_days_down_it_runs_today_once_and_not_the_missed_days(org_a):
    scheduler_tick(now=datetime(2026, 3, 28, 8, 0, tzinfo=UTC), orgs=[org_a], deliver=False)
    restart = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
    for minute in range(0, 120, 15):
        scheduler_tick(now=restart + timedelta(minutes=minute), orgs=[org_a], deliver=False)
    assert real_runs(org_a) == [date(2026, 3, 28), date(2026, 4, 1)]


def test_a_manual_cycle_that_day_counts_but_a_dry_run_does_not(org_a):
    now = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
    cycle_run(org=org_a, on=date(2026, 4, 1), now=now, dry_run=True)
    assert due_runs(orgs=[org_a], now=now) == [(org_a, date(2026, 4, 1))]
    cycle_run(org=org_a, on=date(2026, 4, 1), now=now)
    assert due_runs(orgs=[org_a], now=now) == []


def test_two_schedulers_at_the_same_moment_run_the_day_once(org_a, org_b):
    now = datetime(2026, 4, 1, 16, 0, tzinfo=UTC)
    # Both saw the day due before either ran it.
    first_view = due_runs(orgs=[org_a, org_b], now=now)
    second_view = due_runs(orgs=[org_a, org_b], now=now)
    assert len(first_view) == len(second_view) == 2
    first = scheduler_tick(now=now, orgs=[org_a, org_b], deliver=False)
    second = scheduler_tick(now=now, orgs=[org_a, org_b], deliver=False)
    assert [org.slug for org, _ in first.ran] == ["acme", "bolt"] and second.ran == []
    assert real_runs(org_a) == [date(2026, 4, 1)] and real_runs(org_b) == [date(2026, 4, 1)]


def test_a_claim_held_by_another_scheduler_is_left_alone(org_a):
    now = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
    ScheduledRun.objects.create(org=org_a, date=date(2026, 4, 1), claimed_at=now - timedelta(minutes=5))
    assert scheduler_tick(now=now, orgs=[org_a], deliver=False).ran == []
    assert real_runs(org_a) == []


def test_a_claim_left_by_a_scheduler_that_died_is_taken_over_later(org_a):
    now = datetime(2026, 4, 1, 16, 0, tzinfo=UTC)
    ScheduledRun.objects.create(org=org_a, date=date(2026, 4, 1), claimed_at=now - timedelta(hours=7))
    assert [org.slug for org, _ in scheduler_tick(now=now, orgs=[org_a], deliver=False).ran] == ["acme"]
    assert real_runs(org_a) == [date(2026, 4, 1)]


def test_a_failing_cycle_is_released_and_retried_and_does_not_stop_other_orgs(org_a, org_b, monkeypatch):
    now = datetime(2026, 4, 1, 16, 0, tzinfo=UTC)
    real_cycle = scheduler.cycle_run

    def flaky(*, org, **kw):
        if org.slug == "acme":
            raise RuntimeError("disk full")
        return real_cycle(org=org, **kw)

    monkeypatch.setattr(scheduler, "cycle_run", flaky)
    report = scheduler_tick(now=now, orgs=[org_a, org_b], deliver=False)
    assert [(org.slug, why) for org, why in report.failed] == [("acme", "RuntimeError: disk full")]
    assert [org.slug for org, _ in report.ran] == ["bolt"]
    monkeypatch.setattr(scheduler, "cycle_run", real_cycle)
    retry = scheduler_tick(now=now + timedelta(minutes=1), orgs=[org_a, org_b], deliver=False)
    assert [org.slug for org, _ in retry.ran] == ["acme"]


def test_the_command_runs_the_due_cycle_then_delivers_the_reminder(five_step, debtor, make_invoice, org_a):
    customer = debtor(org_a, "C001")
    make_invoice(org_a, customer, "INV-1", "100.00", due=date(2026, 3, 28))
    out = io.StringIO()
    call_command("scheduler", "--now", "2026-03-31T06:59:00+01:00", stdout=out)
    assert out.getvalue() == "" and Message.objects.for_org(org_a).count() == 0
    call_command("scheduler", "--now", "2026-03-31T07:00:00+01:00", stdout=out)
    assert "acme: cycle for 2026-03-31: 1 queued" in out.getvalue()
    assert list(Message.objects.for_org(org_a).values_list("status", flat=True)) == [MessageStatus.QUEUED]
    call_command("scheduler", "--now", "2026-03-31T09:00:00+01:00", stdout=out)  # business hours open
    assert "delivered: sent 1" in out.getvalue()
    assert list(Message.objects.for_org(org_a).values_list("status", flat=True)) == [MessageStatus.SENT]


def test_the_command_refuses_a_now_that_is_not_a_date_time(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not an ISO date-time"):
        call_command("scheduler", "--now", "tomorrow")


def test_after_the_days_run_the_operators_get_the_digest_once(org_a, system, now, mailoutbox):
    from recoup.orgs.actions import member_add

    member_add(org=org_a, username="olga", role="owner", email="olga@acme.example", actor=system, now=now)
    morning = datetime(2026, 3, 31, 7, 5, tzinfo=ZoneInfo("Europe/London"))
    scheduler_tick(now=morning, deliver=False)
    scheduler_tick(now=morning + timedelta(minutes=15), deliver=False)
    assert [m.to for m in mailoutbox] == [["olga@acme.example"]]
    assert "waiting for you" in mailoutbox[0].subject


@pytest.mark.parametrize("down", [date(2026, 3, 26), date(2026, 3, 29)], ids=["thursday", "clock-change-sunday"])
def test_a_step_due_on_a_day_the_server_was_down_is_decided_once_and_sent_the_next_morning(
        five_step, debtor, make_invoice, org_a, smtp, down):
    from recoup.collections.models import StepDecision

    berlin = ZoneInfo("Europe/Berlin")
    customer = debtor(org_a, "C001", kind="consumer", country="DE", timezone="Europe/Berlin")
    make_invoice(org_a, customer, "INV-1", "100.00", due=down - timedelta(days=3))  # first reminder due on `down`
    london_midnight = datetime.combine(down - timedelta(days=1), time(0), tzinfo=ZoneInfo("Europe/London"))
    ran = []
    for now in every_15_minutes(london_midnight.astimezone(UTC), 72):
        if now.astimezone(ZoneInfo("Europe/London")).date() == down:
            continue  # the server is down all day
        if scheduler_tick(now=now, orgs=[org_a]).ran:
            ran.append(now.astimezone(ZoneInfo("Europe/London")))

    after = down + timedelta(days=1)
    assert [(t.date(), t.time()) for t in ran] == [(down - timedelta(days=1), time(7)), (after, time(7))]
    assert list(StepDecision.objects.for_org(org_a).filter(step_key="first-reminder")
                .values_list("decided_on", flat=True)) == [after]
    [message] = Message.objects.for_org(org_a).filter(step_key="first-reminder")
    assert message.status == MessageStatus.SENT
    assert len(smtp.received) == Message.objects.for_org(org_a).filter(status=MessageStatus.SENT).count()
    sent = message.sent_at.astimezone(berlin)
    assert sent.date() == after and time(9) <= sent.time() < time(12), sent
    assert sent.time() == time(9)  # the first tick of the window: the morning, not later

"""A day's wrap-up (insight's snapshot, the audit checkpoint, the operators' digest) is not lost when the
process that finished the day dies before wrapping it up: the scheduler's next pass does it, once."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from recoup.audit.checkpoints import read_checkpoints
from recoup.collections import cycle_parts, scheduler, wrap_up
from recoup.collections.cycle_parts import part_run
from recoup.collections.models import CyclePart, CycleRun, ScheduledRun
from recoup.collections.scheduler import scheduler_tick
from recoup.insight.models import InsightSnapshot

DAY = date(2026, 3, 4)
AT = datetime(2026, 3, 4, 7, 0, 30, tzinfo=timezone.utc)  # London is on UTC in March: just past 07:00
CUSTOMERS = 9


class Killed(BaseException):
    """The process dying (nothing after it runs)."""


def killed(**_):
    raise Killed()


@pytest.fixture
def ledger(debtors_due_1_march):
    return debtors_due_1_march(CUSTOMERS)


@pytest.fixture
def parts_of_four(settings):
    from recoup.ops.heartbeats import beat

    settings.RECOUP_CYCLE_PART_SIZE = 4
    beat(kind="worker", name="elsewhere:1")  # a worker is running: the scheduler hands the day to workers


def wrapped_up(org, audit_checkpoint_file, mailoutbox) -> tuple[int, int, int]:
    """(digests e-mailed, snapshots of the day, checkpoints signed) for ``org``."""
    checkpoints = read_checkpoints(audit_checkpoint_file) if audit_checkpoint_file.exists() else []
    return (sum(m.to == ["olga@acme.example"] for m in mailoutbox),
            InsightSnapshot.objects.filter(org=org, on=DAY).count(),
            sum(c.org_id == org.pk for c in checkpoints))


def passes(org, *minutes: int) -> list[list[CycleRun]]:
    return [scheduler_tick(now=AT + timedelta(minutes=m), orgs=[org], deliver=False).wrapped_up for m in minutes]


def test_a_whole_day_whose_scheduler_died_before_the_wrap_up_is_wrapped_up_by_the_next_pass_once(
        ledger, monkeypatch, mailoutbox, audit_checkpoint_file):
    monkeypatch.setattr(scheduler, "day_wrap_up", killed)  # dies right after the commit finishing the day
    with pytest.raises(Killed):
        scheduler_tick(now=AT, orgs=[ledger], deliver=False)
    monkeypatch.undo()
    run = CycleRun.objects.get(org=ledger, date=DAY)
    assert run.finished_at is not None and ScheduledRun.objects.get(org=ledger, date=DAY).finished_at is not None
    assert wrapped_up(ledger, audit_checkpoint_file, mailoutbox) == (0, 0, 0)
    first, second, third = passes(ledger, 1, 2, 3)
    assert [r.pk for r in first] == [run.pk] and second == third == []
    assert wrapped_up(ledger, audit_checkpoint_file, mailoutbox) == (1, 1, 1)
    run.refresh_from_db()
    assert run.wrapped_up_at is not None


def test_a_split_day_whose_last_worker_died_after_finishing_it_is_wrapped_up_by_the_next_pass_once(
        ledger, parts_of_four, monkeypatch, mailoutbox, audit_checkpoint_file):
    scheduler_tick(now=AT, orgs=[ledger], deliver=False)
    *first, last = CyclePart.objects.values_list("pk", flat=True)
    assert [part_run(part_id=pk, clock=lambda: AT, worker="w:1") for pk in first] == ["done", "done"]
    monkeypatch.setattr(cycle_parts, "day_wrap_up", killed)
    with pytest.raises(Killed):
        part_run(part_id=last, clock=lambda: AT, worker="w:1")
    monkeypatch.undo()
    assert CycleRun.objects.get(org=ledger, date=DAY).finished_at is not None
    assert [len(done) for done in passes(ledger, 1, 2, 3)] == [1, 0, 0]
    assert wrapped_up(ledger, audit_checkpoint_file, mailoutbox) == (1, 1, 1)


def test_a_wrap_up_whose_process_died_mid_way_is_not_taken_again_so_no_digest_goes_twice(
        ledger, monkeypatch, mailoutbox, audit_checkpoint_file):
    monkeypatch.setattr(wrap_up, "wrap_up_steps", killed)  # took the wrap-up, died doing it
    with pytest.raises(Killed):
        scheduler_tick(now=AT, orgs=[ledger], deliver=False)
    monkeypatch.undo()
    run = CycleRun.objects.get(org=ledger, date=DAY)
    assert run.wrap_up_started_at == AT and run.wrapped_up_at is None
    # Its process may still be at it (a large snapshot), or may have sent the digest and died: at most once.
    assert passes(ledger, 1, 29, 31, 70, 600) == [[], [], [], [], []]
    assert wrapped_up(ledger, audit_checkpoint_file, mailoutbox) == (0, 0, 0)


def test_a_wrap_up_is_taken_by_one_process_only(ledger, mailoutbox):
    scheduler_tick(now=AT, orgs=[ledger], deliver=False)
    run = CycleRun.objects.get(org=ledger, date=DAY)
    CycleRun.objects.filter(pk=run.pk).update(wrapped_up_at=None, wrap_up_started_at=None)
    mailoutbox.clear()
    later = AT + timedelta(hours=1)
    assert wrap_up.day_wrap_up(run_id=run.pk, now=later) is True
    assert wrap_up.day_wrap_up(run_id=run.pk, now=later) is False  # done
    CycleRun.objects.filter(pk=run.pk).update(wrapped_up_at=None)  # as if still at it, or died at it
    assert wrap_up.day_wrap_up(run_id=run.pk, now=later + timedelta(minutes=5)) is False
    assert wrap_up.day_wrap_up(run_id=run.pk, now=later + timedelta(days=1)) is False
    assert len(mailoutbox) == 1


def test_the_normal_days_send_one_digest_whoever_finishes_them(ledger, parts_of_four, mailoutbox,
                                                               audit_checkpoint_file):
    scheduler_tick(now=AT, orgs=[ledger], deliver=False)
    parts = list(CyclePart.objects.values_list("pk", flat=True))
    # The last part done but the day not finished by its worker: the scheduler's pass finishes it.
    for pk in parts:
        CyclePart.objects.filter(pk=pk).update(finished_at=AT)
    report = scheduler_tick(now=AT + timedelta(minutes=1), orgs=[ledger], deliver=False)
    assert len(report.ran) == 1 and report.wrapped_up == []  # wrapped up as it finished, not late
    passes(ledger, 2, 40, 60 * 24)
    assert wrapped_up(ledger, audit_checkpoint_file, mailoutbox) == (1, 1, 1)


def test_days_finished_long_ago_and_runs_not_scheduled_are_never_wrapped_up_late(ledger, mailoutbox):
    from recoup.collections.cycle import cycle_run

    old = cycle_run(org=ledger, on=DAY - timedelta(days=10), now=AT - timedelta(days=10))
    ScheduledRun.objects.create(org=ledger, date=old.date, claimed_at=AT - timedelta(days=10),
                                finished_at=AT - timedelta(days=10), cycle_run_id=old.run_id)
    cycle_run(org=ledger, on=DAY - timedelta(days=1), now=AT - timedelta(days=1))  # `recoup cycle`, no digest
    scheduler_tick(now=AT, orgs=[ledger], deliver=False)
    assert passes(ledger, 1) == [[]]
    assert CycleRun.objects.filter(wrapped_up_at__isnull=True).count() == 2  # the two above, left as they are
    assert len(mailoutbox) == 1  # today's, as the day finished


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_counts_the_runs_finished_before_it_as_wrapped_up(transactional_db):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = [("collections", "0006_cycle_part")], [("collections", "0007_cyclerun_wrap_up")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    org = old.get_model("orgs", "Organization").objects.create(slug="old", legal_name="Old Ltd")
    Run = old.get_model("collections", "CycleRun")
    done = Run.objects.create(org=org, date=DAY, started_at=AT, finished_at=AT + timedelta(minutes=2))
    failed = Run.objects.create(org=org, date=DAY, started_at=AT)
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    assert CycleRun.objects.get(pk=done.pk).wrapped_up_at == AT + timedelta(minutes=2)
    assert CycleRun.objects.get(pk=failed.pk).wrapped_up_at is None


def test_the_scheduler_command_says_which_day_it_wrapped_up_late(ledger, monkeypatch):
    import io

    from django.core.management import call_command

    monkeypatch.setattr(scheduler, "day_wrap_up", killed)
    with pytest.raises(Killed):
        scheduler_tick(now=AT, orgs=[ledger], deliver=False)
    monkeypatch.undo()
    out = io.StringIO()
    call_command("scheduler", "--once", "--now", (AT + timedelta(minutes=1)).isoformat(), stdout=out)
    assert "acme: cycle for 2026-03-04 wrapped up late (snapshot, checkpoint, digest)" in out.getvalue()

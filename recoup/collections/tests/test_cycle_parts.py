"""A large day split into parts (SQLite, the parts run in this process as a worker would run them):
the same decisions and messages as the day run whole, finished once, and a part taken again after its
worker died deciding nothing twice."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pytest

from recoup.audit.models import AuditEvent
from recoup.collections import cycle as cycle_module, cycle_parts, hooks
from recoup.collections.cycle import cycle_run
from recoup.collections.cycle_parts import part_run, parts_tend
from recoup.collections.models import CyclePart, CycleRun, ScheduledRun, StepDecision
from recoup.collections.scheduler import scheduler_tick
from recoup.collections.tasks import parts_in_queue
from recoup.messaging.models import Message

CUSTOMERS = 30
DAY = date(2026, 3, 4)
AT = datetime(2026, 3, 4, 7, 0, 30, tzinfo=timezone.utc)  # London is on UTC in March: just past 07:00


@pytest.fixture
def ledger(debtors_due_1_march):
    """Thirty customers, each with an invoice due 1 March (first reminder due on the 4th), and an owner."""
    return debtors_due_1_march(CUSTOMERS)


@pytest.fixture
def parts_of_seven(settings):
    from recoup.ops.heartbeats import beat

    settings.RECOUP_CYCLE_PART_SIZE = 7
    settings.RECOUP_CYCLE_PART_STALE_SECONDS = 300
    beat(kind="worker", name="elsewhere:1")  # a worker is running: the scheduler hands large days to workers


def clock(at: datetime = AT):
    return lambda: at


def run_parts(order: list[int], worker: str = "w:1") -> list[str]:
    return [part_run(part_id=pk, clock=clock(), worker=worker) for pk in order]


def test_a_large_day_is_split_into_parts_enqueued_for_the_workers_and_nothing_acted_yet(ledger, parts_of_seven):
    report = scheduler_tick(now=AT, orgs=[ledger], deliver=False)
    assert report.ran == [] and [org.slug for org, _ in report.split] == ["acme"]
    run = CycleRun.objects.get(org=ledger, date=DAY)
    parts = list(run.parts.all())
    assert [p.planned for p in parts] == [7, 7, 7, 7, 2]
    assert parts[0].from_customer is None and parts[-1].below_customer is None
    assert parts_in_queue() == {p.pk for p in parts}  # one task each, in the queue
    assert run.finished_at is None and not StepDecision.objects.exists() and not Message.objects.exists()
    claim = ScheduledRun.objects.get(org=ledger, date=DAY)
    assert claim.cycle_run_id == run.pk and claim.finished_at is None
    # The next pass neither runs the day again nor splits it again.
    again = scheduler_tick(now=AT + timedelta(minutes=1), orgs=[ledger], deliver=False)
    assert again.ran == again.split == [] and CycleRun.objects.count() == 1 and CyclePart.objects.count() == 5


def test_the_parts_run_in_any_order_decide_and_queue_what_the_whole_day_would(ledger, parts_of_seven, mailoutbox):
    whole = cycle_run(org=ledger, on=DAY, now=AT, dry_run=True)
    scheduler_tick(now=AT, orgs=[ledger], deliver=False)
    order = list(CyclePart.objects.values_list("pk", flat=True))
    random.Random(7).shuffle(order)
    outcomes = run_parts(order)
    assert outcomes == ["done"] * 4 + ["finished"]  # the last part to finish finishes the day
    acted = Counter((m.customer.ref, m.step_key, m.channel) for m in Message.objects.select_related("customer"))
    assert acted == Counter((a.customer_ref, a.step, a.channel) for a in whole.actions)
    assert len(acted) == CUSTOMERS and set(acted.values()) == {1}
    run = CycleRun.objects.get(org=ledger, date=DAY, dry_run=False)
    assert run.finished_at is not None
    assert {k: v for k, v in run.counts.items()} == dict(whole.counts)
    assert ScheduledRun.objects.get(org=ledger, date=DAY).finished_at is not None
    ran = AuditEvent.objects.filter(org=ledger, verb="cycle.ran")  # the dry run's was rolled back with it
    assert ran.count() == 1 and ran.get().data["counts"]["queued"] == CUSTOMERS
    assert [m.to for m in mailoutbox] == [["olga@acme.example"]]  # the digest, once
    # Nothing more happens: the parts again, the scheduler's next pass.
    assert run_parts(order) == ["nothing"] * 5
    assert scheduler_tick(now=AT + timedelta(minutes=5), orgs=[ledger], deliver=False).ran == []
    assert len(mailoutbox) == 1 and ran.count() == 1


def test_the_scheduler_finishes_a_day_whose_last_worker_died_before_finishing_it(ledger, parts_of_seven,
                                                                                  monkeypatch, mailoutbox):
    scheduler_tick(now=AT, orgs=[ledger], deliver=False)
    # Every part done, but the day's finish never ran (the worker died between the two).
    monkeypatch.setattr(cycle_parts, "_day_finish_locked", lambda run, at: False)
    assert run_parts(list(CyclePart.objects.values_list("pk", flat=True))) == ["done"] * 5
    monkeypatch.undo()
    assert CycleRun.objects.get(org=ledger, date=DAY).finished_at is None
    report = scheduler_tick(now=AT + timedelta(minutes=1), orgs=[ledger], deliver=False)
    assert [(org.slug, result.counts["queued"]) for org, result in report.ran] == [("acme", CUSTOMERS)]
    assert AuditEvent.objects.filter(verb="cycle.ran").count() == 1 and len(mailoutbox) == 1
    assert scheduler_tick(now=AT + timedelta(minutes=2), orgs=[ledger], deliver=False).ran == []


class Killed(BaseException):
    """The worker's process dying mid-part (nothing after it runs, nothing of its open chunk commits)."""


def test_a_part_whose_worker_died_mid_way_is_taken_again_and_decides_nothing_twice(ledger, parts_of_seven,
                                                                                    monkeypatch):
    monkeypatch.setattr(cycle_module, "ACT_CHUNK", 3)  # a part of seven: chunks of 3, 3 and 1
    scheduler_tick(now=AT, orgs=[ledger], deliver=False)
    first = CyclePart.objects.get(number=0)
    real_act, calls = cycle_module._act, []

    def dies_at_the_fifth(**kw):
        calls.append(kw["work"].ref)
        if len(calls) == 5:
            raise Killed()
        return real_act(**kw)

    monkeypatch.setattr(cycle_module, "_act", dies_at_the_fifth)
    with pytest.raises(Killed):
        part_run(part_id=first.pk, clock=clock(), worker="w:1")
    monkeypatch.setattr(cycle_module, "_act", real_act)
    first.refresh_from_db()
    # The first chunk (3 customers) committed with its counts; the second died with its worker.
    assert first.finished_at is None and first.claimed_by == "w:1" and first.counts["queued"] == 3
    assert Message.objects.count() == 3
    # Another worker asking for it now is refused: it is claimed, and its worker is not known dead.
    assert part_run(part_id=first.pk, clock=clock(), worker="w:2") == "claimed"
    assert parts_tend(run=first.cycle_run, now=AT + timedelta(minutes=1)).enqueued == 0
    # The worker stops beating: the scheduler's next pass gives the part out again, at once.
    monkeypatch.setattr(hooks, "_GONE", [lambda: {"w:1"}])
    assert parts_tend(run=first.cycle_run, now=AT + timedelta(minutes=1)).enqueued == 1
    assert part_run(part_id=first.pk, clock=clock(), worker="w:2") == "done"
    first.refresh_from_db()
    assert first.attempts == 2 and first.counts["queued"] == 7 and first.counts["customers"] == 7
    run_parts(list(CyclePart.objects.exclude(pk=first.pk).values_list("pk", flat=True)), worker="w:2")
    run = CycleRun.objects.get(org=ledger, date=DAY)
    assert run.finished_at is not None and run.counts["queued"] == CUSTOMERS and run.counts["customers"] == CUSTOMERS
    decided = list(StepDecision.objects.values_list("invoice_id", "step_key", "number"))
    assert len(decided) == len(set(decided)) == 2 * CUSTOMERS
    assert Message.objects.count() == Message.objects.values("customer").distinct().count() == CUSTOMERS


def test_a_claimed_part_without_progress_for_the_stale_time_is_taken_again(ledger, parts_of_seven):
    scheduler_tick(now=AT, orgs=[ledger], deliver=False)
    part = CyclePart.objects.get(number=1)
    CyclePart.objects.filter(pk=part.pk).update(claimed_at=AT, claimed_by="w:9", attempts=1, progress_at=AT)
    run = part.cycle_run
    assert parts_tend(run=run, now=AT + timedelta(seconds=299)).enqueued == 0
    assert parts_tend(run=run, now=AT + timedelta(seconds=301)).enqueued == 1
    part.refresh_from_db()
    assert part.claimed_at is None and part.claimed_by == ""


def test_a_part_whose_task_was_lost_is_enqueued_again_after_a_grace(ledger, parts_of_seven):
    from django_tasks_db.models import DBTaskResult

    scheduler_tick(now=AT, orgs=[ledger], deliver=False)
    DBTaskResult.objects.all().delete()  # the queue lost them (restored from a backup, say)
    run = CycleRun.objects.get(org=ledger, date=DAY)
    assert parts_tend(run=run, now=AT + timedelta(seconds=10)).enqueued == 0  # a worker may be about to claim
    assert parts_tend(run=run, now=AT + timedelta(seconds=31)).enqueued == 5
    assert parts_in_queue() == set(run.parts.values_list("pk", flat=True))
    assert parts_tend(run=run, now=AT + timedelta(seconds=40)).enqueued == 0  # in the queue again: left alone


def test_a_small_day_still_runs_whole_in_the_scheduler(ledger, settings):
    settings.RECOUP_CYCLE_PART_SIZE = CUSTOMERS
    report = scheduler_tick(now=AT, orgs=[ledger], deliver=False)
    assert [org.slug for org, _ in report.ran] == ["acme"] and report.split == []
    assert not CyclePart.objects.exists() and Message.objects.count() == CUSTOMERS


def test_without_a_worker_beating_a_large_day_runs_whole_in_the_scheduler(ledger, settings):
    """An installation run without workers (`recoup run --no-worker`) must not leave its day waiting for one."""
    settings.RECOUP_CYCLE_PART_SIZE = 7
    report = scheduler_tick(now=AT, orgs=[ledger], deliver=False)
    assert not CyclePart.objects.exists() and report.split == []
    (org, result), = report.ran
    assert result.counts["queued"] == CUSTOMERS


def test_the_parts_reach_the_queue_through_the_hook_so_no_circle_ties_them_to_their_task():
    """The task runs cycle_parts; cycle_parts enqueues the task through hooks.part_queue (registered by
    collections' AppConfig), never by importing it, even inside a function."""
    import ast
    from pathlib import Path

    from recoup.collections import tasks

    tree = ast.parse(Path(cycle_parts.__file__).read_text())
    found = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and (
        node.module == "recoup.collections.tasks"
        or node.module == "recoup.collections" and any(a.name == "tasks" for a in node.names))]
    assert found == []
    assert hooks._PART_QUEUE and hooks._PART_QUEUE[0].enqueue is tasks.part_enqueue

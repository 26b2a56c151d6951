"""Three `recoup scheduler` processes on PostgreSQL: one leads; kill it mid-cycle, another takes over at once,
and every step is still decided once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from django.db import connection

from recoup.collections.models import CycleRun, ScheduledRun, StepDecision
from recoup.lib.clock import write_clock
from recoup.messaging.models import Message
from recoup.ops.models import Heartbeat

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[3]
CUSTOMERS = 30
DAY = date(2026, 3, 4)


def _dsn() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _wait(what: str, condition, procs, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        for proc in procs:
            if proc.poll() is not None and proc.returncode not in (-signal.SIGKILL,):
                pytest.fail(f"a scheduler ended ({proc.returncode}) while waiting for {what}:\n{proc.stdout.read()}")
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def _leader_pids() -> list[int]:
    return list(Heartbeat.objects.filter(kind="scheduler", leader=True).values_list("pid", flat=True))


def test_three_schedulers_one_acts_and_another_finishes_the_day_when_it_is_killed(five_step, debtor, make_invoice,
                                                                                   org_a, tmp_path):
    import psycopg

    for i in range(CUSTOMERS):
        make_invoice(org_a, debtor(org_a, f"C{i:03}"), f"INV-{i:03}", "10.00", due=date(2026, 3, 1))
    clock = tmp_path / "clock"
    write_clock(clock, datetime(2026, 3, 4, 6, 59, 50, tzinfo=timezone.utc))  # London is on UTC in March
    env = {**os.environ, "RECOUP_DATABASE_URL": _dsn(), "RECOUP_CLOCK_FILE": str(clock), "RECOUP_VAR_DIR": str(tmp_path),
           "RECOUP_SCHEDULER_INTERVAL": "1", "RECOUP_HEARTBEAT_SECONDS": "1", "PYTHONUNBUFFERED": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    table = StepDecision._meta.db_table
    procs: list[subprocess.Popen] = []
    with psycopg.connect(_dsn().replace("postgres://", "postgresql://"), autocommit=True) as gate:
        try:
            with gate.transaction():
                # Hold every cycle at its first decision, so the leader is killed mid-cycle, not by luck.
                gate.execute(f"lock table {table} in share mode")
                procs = [subprocess.Popen([sys.executable, "-m", "recoup.cli", "scheduler"], env=env, cwd=ROOT,
                                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                          start_new_session=True) for _ in range(3)]
                by_pid = {p.pid: p for p in procs}
                _wait("three schedulers beating", lambda: Heartbeat.objects.filter(kind="scheduler").count() == 3,
                      procs)

                def held_in_cycle():
                    return gate.execute("select count(*) from pg_locks where not granted and relation = %s::regclass",
                                        [table]).fetchone()[0] == 1

                _wait("the leader's cycle to reach its first decision", held_in_cycle, procs)
                first = _wait("exactly one leader", lambda: _leader_pids() if len(_leader_pids()) == 1 else None,
                              procs)[0]
                assert ScheduledRun.objects.filter(date=DAY, finished_at__isnull=True).count() == 1
                by_pid[first].send_signal(signal.SIGKILL)
                killed_at = time.monotonic()
                by_pid[first].wait(timeout=30)

                def new_leader_in_cycle():
                    leaders = [pid for pid in _leader_pids() if pid != first and by_pid[pid].poll() is None]
                    return leaders if leaders and held_in_cycle() else None

                second = _wait("another scheduler to take the day over", new_leader_in_cycle, procs)[0]
                took_over_in = time.monotonic() - killed_at
            # The gate opens: the new leader finishes the day.
            _wait("the day's cycle to finish",
                  lambda: ScheduledRun.objects.filter(date=DAY, finished_at__isnull=False).exists(), procs)
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()

    assert took_over_in < 30  # at once, not after the six hours an unlocked claim waits
    assert second != first
    finished = CycleRun.objects.filter(date=DAY, dry_run=False, finished_at__isnull=False)
    assert finished.count() == 1
    # Each invoice: the friendly note superseded, the first reminder due; each decided once, one message each.
    decided = list(StepDecision.objects.values_list("invoice__number", "step_key", "number"))
    assert len(decided) == len(set(decided)) == 2 * CUSTOMERS
    assert sorted(key for _, key, _ in decided) == sorted(["pre-due", "first-reminder"] * CUSTOMERS)
    assert Message.objects.count() == CUSTOMERS
    assert Message.objects.values("customer").distinct().count() == CUSTOMERS
    # The survivors stopped cleanly: their heartbeats are gone; the killed one's is left to go stale.
    assert list(Heartbeat.objects.values_list("pid", flat=True)) == [first]

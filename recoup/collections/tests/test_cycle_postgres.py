"""Two `recoup cycle` processes for the same date at once: no step decided twice, no message sent twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from django.db import connection

from recoup.collections.models import CycleRun, StepDecision
from recoup.messaging.models import Message

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[3]
CUSTOMERS = 40


def _dsn() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _wait_for_lock_waiters(conn, procs, table: str, count: int, deadline: float) -> None:
    """Poll (with a deadline) until ``count`` sessions wait for a lock on ``table``."""
    waiting = 0
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.poll() is not None:
                pytest.fail(f"a cycle process ended before its first decision: {proc.communicate()}")
        waiting = conn.execute("select count(*) from pg_locks where not granted and relation = %s::regclass",
                               [table]).fetchone()[0]
        if waiting >= count:
            return
        time.sleep(0.05)
    pytest.fail(f"the cycle processes never both reached their first decision (waiting: {waiting})")


def test_two_cycle_processes_at_once_decide_and_queue_each_step_once(five_step, debtor, make_invoice, org_a):
    import psycopg

    for i in range(CUSTOMERS):
        make_invoice(org_a, debtor(org_a, f"C{i:03}"), f"INV-{i:03}", "10.00", due=date(2026, 3, 1))
    env = {**os.environ, "RECOUP_DATABASE_URL": _dsn()}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    command = [sys.executable, "-m", "recoup.cli", "cycle", "--date", "2026-03-04", "--org", "acme",
               "--format", "json"]
    # Hold both processes at their first insert, then let them go together, so they
    # really race for the same customers (no luck involved in the overlap).
    with psycopg.connect(_dsn().replace("postgres://", "postgresql://"), autocommit=True) as gate:
        with gate.transaction():
            table = StepDecision._meta.db_table
            gate.execute(f"lock table {table} in share mode")
            procs = [subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True) for _ in range(2)]
            _wait_for_lock_waiters(gate, procs, table, 2, time.monotonic() + 120)
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        outputs.append(json.loads(out))

    acted = [a["customer_ref"] for result in outputs for a in result["actions"]]
    assert sorted(acted) == [f"C{i:03}" for i in range(CUSTOMERS)]  # every customer once, by one process
    assert Message.objects.count() == CUSTOMERS
    assert Message.objects.values("customer").distinct().count() == CUSTOMERS
    assert StepDecision.objects.count() == 2 * CUSTOMERS  # pre-due superseded, first reminder due
    runs = list(CycleRun.objects.values_list("counts", flat=True))
    assert len(runs) == 2
    assert sum(c.get("decided_elsewhere", 0) for c in runs) >= 1  # they did collide, and backed off

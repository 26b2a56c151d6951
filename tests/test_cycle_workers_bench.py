"""bench/cycle_workers.py works end to end at a tiny size on PostgreSQL (the real size is run by hand)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.postgres


def test_the_workers_benchmark_splits_the_day_and_finds_every_run_equal_to_the_whole_one(db):
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    server = f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECOUP_", "DJANGO_"))}
    name = f"{s['NAME']}_cwbench"
    done = subprocess.run(
        [sys.executable, "bench/cycle_workers.py", "--customers", "200", "--invoices", "1000", "--workers", "1,2",
         "--part-size", "5", "--server", server, "--database", name],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    out = done.stdout
    assert re.search(r"an ordinary day 2026-03-31: \d+ customers looked at, \d+ decisions, "
                     r"[1-9]\d* messages queued", out), out
    assert re.search(r"whole \(the scheduler alone\): cycle [\d.]+ s \([\d.]+ ms per message", out), out
    for n in (1, 2):
        assert re.search(rf"{n} workers?: [2-9]\d* parts; .* day \(all sent\) [\d.]+ s, [\d.]+x one worker; .*"
                         r"rows equal", out), out
    assert "every run decided and sent what the whole run did, row for row" in out
    import psycopg

    with psycopg.connect(server.replace("postgres://", "postgresql://") + "postgres", autocommit=True) as admin:
        left = admin.execute("select count(*) from pg_database where datname like %s", [f"{name}%"]).fetchone()[0]
    assert left == 0  # every copy dropped without --keep

"""bench/aging_bench.py works end to end at a tiny size (the full size is run by hand)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_aging_benchmark_builds_a_consistent_ledger_and_prints_both_timings(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECOUP_", "DJANGO_"))}
    done = subprocess.run(
        [sys.executable, "bench/aging_bench.py", "--customers", "50", "--invoices", "400",
         "--db", str(tmp_path / "bench.sqlite3"), "--repeat", "1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "built 50 customers, 400 invoices" in done.stdout
    assert "stored balances inconsistent: 0" in done.stdout
    assert done.stdout.count("bare SELECT") == 2 and "ratio" in done.stdout
    assert not (tmp_path / "bench.sqlite3").exists()  # removed without --keep


def test_the_page_benchmark_visits_every_page_the_dashboard_reaches_and_prints_its_figures(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECOUP_", "DJANGO_"))}
    done = subprocess.run(
        [sys.executable, "bench/page_bench.py", "--customers", "30", "--invoices", "200",
         "--db", str(tmp_path / "pages.sqlite3"), "--repeat", "1", "--aim-ms", "60000"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "built 30 customers, 200 invoices" in done.stdout and "insight snapshot written" in done.stdout
    rows = {line.split()[0]: line.split() for line in done.stdout.splitlines()
            if line and line.split()[-1] == "200" and line.split()[0].isidentifier()}
    # The dashboard's navigation, and one page of each kind behind it, all answered 200.
    for page in ("dashboard", "customer_list", "invoice_list", "aging", "arrangements_home", "insight_home",
                 "insight_forecast", "customer_detail", "invoice_detail"):
        assert page in rows, done.stdout
    assert "pages over 60000 ms or not 200: 0" in done.stdout
    assert not (tmp_path / "pages.sqlite3").exists()  # removed without --keep

"""bench/cycle_bench.py works end to end at a tiny size (the full size is run by hand)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_cycle_benchmark_opens_every_invoice_reaches_every_customer_and_prints_the_ratio(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECOUP_", "DJANGO_"))}
    done = subprocess.run(
        [sys.executable, "bench/cycle_bench.py", "--customers", "50", "--invoices", "300",
         "--db", str(tmp_path / "bench.sqlite3"), "--repeat", "1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "built 50 customers" in done.stdout and "300 invoices, 300 open" in done.stdout
    assert "bare SELECT" in done.stdout and "(300 rows" in done.stdout
    queued = re.search(r"cycle \(dry run\) for 2026-03-31: [\d.]+ s; ([\d,]+) customers, [\d,]+ decisions, "
                       r"([\d,]+) queued, 0 blocked", done.stdout)
    assert queued, done.stdout
    assert queued.group(1) == queued.group(2)  # every customer with open invoices got its one message
    assert re.search(r"ratio [\d.]+x", done.stdout)
    assert not (tmp_path / "bench.sqlite3").exists()  # removed without --keep


def test_the_rerun_script_repeats_a_kept_benchmark_without_touching_it(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECOUP_", "DJANGO_", "PYTHONPATH"))}
    db = tmp_path / "bench.sqlite3"
    built = subprocess.run(
        [sys.executable, "bench/cycle_bench.py", "--customers", "20", "--invoices", "100", "--db", str(db),
         "--repeat", "1", "--keep"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    first = re.search(r"([\d,]+) customers, [\d,]+ decisions, ([\d,]+) queued", built.stdout)
    before = db.read_bytes()
    rerun = subprocess.run([sys.executable, "bench/cycle_rerun.py", str(db), "--warm", "--sites"],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"recoup from {ROOT / 'recoup'}" in rerun.stdout
    again = re.search(r"\(dry run\) for 2026-03-31: [\d.]+ s wall, [\d.]+ s CPU; ([\d,]+) customers, [\d,]+ decisions, "
                      r"([\d,]+) queued; ([\d,]+) SQL statements", rerun.stdout)
    assert again and again.groups()[:2] == first.groups(), rerun.stdout  # the same run, on a copy
    assert "collections/cycle.py" in rerun.stdout  # statements counted by the line that ran them
    assert db.read_bytes() == before


def test_statements_are_counted_only_in_the_package_itself_wherever_the_clone_lives():
    import importlib.util

    spec = importlib.util.spec_from_file_location("cycle_rerun", ROOT / "bench" / "cycle_rerun.py")
    rerun = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rerun)
    # A clone of a repository named recoup, in a folder named recoup: its venv's frames contain /recoup/ too.
    package = rerun.package_dirs("/srv/recoup/recoup/recoup/__init__.py")
    venv_django = "/srv/recoup/recoup/.venv/lib/python3.11/site-packages/django/db/backends/utils.py"
    assert rerun.in_package(venv_django, package) is None
    assert rerun.in_package("/srv/recoup/recoup/bench/cycle_bench.py", package) is None
    assert rerun.in_package("/srv/recoup/recoup/recoup/collections/cycle.py", package) == "collections/cycle.py"

"""bench/reconcile.py works end to end at a small size (the full size is run by hand)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_reconcile_benchmark_prints_precision_recall_review_share_and_time(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECOUP_", "DJANGO_"))}
    done = subprocess.run(
        [sys.executable, "bench/reconcile.py", "--lines", "80", "--invoices", "800", "--customers", "160",
         "--db", str(tmp_path / "bench.sqlite3")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "statement of 80 lines" in done.stdout and re.search(r"imported \d+ lines in [\d.]+ s", done.stdout)
    assert "payment_record" in done.stdout and "by kind" in done.stdout
    found = re.search(r"precision ([\d.]+)%\s+recall ([\d.]+)%.*sent to review ([\d.]+)%", done.stdout)
    assert found, done.stdout
    precision, recall, review = map(float, found.groups())
    assert precision >= 99.0 and recall >= 75.0 and review < 40.0, done.stdout
    assert not (tmp_path / "bench.sqlite3").exists()  # removed without --keep

"""bench/sync_bench.py works end to end at a tiny size (the full size is run by hand)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_sync_benchmark_syncs_from_the_xero_fake_and_checks_every_customer_to_the_cent(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECOUP_", "DJANGO_"))}
    done = subprocess.run([sys.executable, "bench/sync_bench.py", "--contacts", "20", "--invoices", "60",
                           "--changes", "8", "--db", str(tmp_path / "bench.sqlite3")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"first sync: [\d.]+ s \([\d.]+ s of CPU", done.stdout), done.stdout
    assert re.search(r"incremental sync of 8 changes: [\d.]+ s", done.stdout)
    assert done.stdout.count("equals Xero's amounts due") == 2
    assert (tmp_path / "bench.sqlite3").exists()  # kept with --db, to look into

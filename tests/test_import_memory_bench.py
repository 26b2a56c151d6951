"""bench/import_memory.py works end to end at a tiny size (the 62 MB run is made by hand)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_memory_benchmark_checks_a_file_and_reports_its_peak():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECOUP_", "DJANGO_"))}
    done = subprocess.run([sys.executable, "bench/import_memory.py", "--mb", "0.02", "--customers", "20"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "handed over as: an open file" in done.stdout
    assert "peak Python allocations:" in done.stdout and "errors 0" in done.stdout

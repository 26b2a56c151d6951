"""bench/load_test.py works end to end at a tiny size: the production setup under 2 operators and 5 portal
visitors for 10 seconds (the full size, 50 and 200, is run by hand: docs/benchmarks.md)."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import require

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parent.parent


def test_the_load_test_drives_the_production_setup_and_finds_no_error_and_no_lost_or_doubled_message():
    require("nginx", shutil.which("nginx") is not None, "apt-get install nginx")
    require("openssl", shutil.which("openssl") is not None, "apt-get install openssl")
    require("locust", importlib.util.find_spec("locust") is not None, "pip install -e '.[test]'")
    from django.db import connection

    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    server = f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECOUP_", "DJANGO_"))}
    done = subprocess.run(
        [sys.executable, "bench/load_test.py", "--operators", "2", "--visitors", "5", "--seconds", "10",
         "--web", "2", "--customers", "12", "--history-days", "0", "--server", server,
         "--db", f"{s['NAME']}_load"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )
    out = done.stdout
    print(out)  # the figures, shown when an assertion fails
    assert done.returncode == 0, out + done.stderr[-3000:]
    assert "running: nginx, 2 web processes, 2 workers, 1 scheduler" in out
    # The figures: one line per page with its counts and p50/p95/max, and the totals.
    for page in ("dashboard", "log in", "portal: statement", "all requests"):
        assert re.search(rf"^{re.escape(page)}\s+\d+\s+0\s+\d+\s+\d+\s+\d+$", out, flags=re.M), (page, out)
    requests = int(re.search(r"^requests: (\d+), errors: 0,", out, flags=re.M).group(1))
    assert requests > 10
    # The two phases apart: people arriving (logging in), then everyone there, which the goal is about;
    # together at least every request of the run (a request ending as locust stops may miss its table).
    phases = re.findall(r"^the (?:first|next) \d+ s, .*: (\d+) requests, 0 errors, p50 \d+ ms, p95 \d+ ms$", out,
                        flags=re.M)
    assert len(phases) == 2 and min(map(int, phases)) > 0 and sum(map(int, phases)) >= requests, out
    assert re.search(r"^p95 with everyone there: \d+ ms; under 500 ms: (yes|no)$", out, flags=re.M)
    # The day's cycle queued messages while the load ran, and each went out once.
    queued = int(re.search(r"^messages queued during the run: (\d+) ", out, flags=re.M).group(1))
    assert queued > 0, out
    assert "outbox settled: yes" in out
    assert "lost messages: 0; doubled messages: 0" in out

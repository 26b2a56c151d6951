"""Two `recoup arrangements-check` processes for the same day at once: each promise breaks once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import date

import pytest
from django.db import connection

from recoup.arrangements.actions import debtor_actor
from recoup.arrangements.promise_actions import promise_make
from recoup.arrangements.models import Promise
from recoup.arrangements.tests.conftest import day
from recoup.audit.models import AuditEvent
from recoup.collections.models import Pause

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PROMISES = 20


def _dsn() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def test_two_checks_at_once_break_each_promise_once(five_step, debtor, make_invoice, org_a):
    import psycopg

    for i in range(PROMISES):
        customer = debtor(org_a, f"C{i:03}")
        invoice = make_invoice(org_a, customer, f"INV-{i:03}", "10.00", due=date(2026, 3, 1))
        promise_make(org=org_a, customer=customer, invoices=[invoice], pay_by=date(2026, 3, 10),
                     actor=debtor_actor(customer), now=day(date(2026, 3, 2)))
    env = {**os.environ, "RECOUP_DATABASE_URL": _dsn()}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    command = [sys.executable, "-m", "recoup.cli", "arrangements-check", "--date", "2026-03-20", "--org", "acme",
               "--format", "json"]
    table = Promise._meta.db_table
    # Both processes list the open promises, then wait at their first row lock; released together they race.
    with psycopg.connect(_dsn().replace("postgres://", "postgresql://"), autocommit=True) as gate:
        with gate.transaction():
            gate.execute(f"lock table {table} in exclusive mode")
            procs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                     for _ in range(2)]
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                waiting = gate.execute("select count(*) from pg_locks where not granted and relation = %s::regclass",
                                       [table]).fetchone()[0]
                if waiting >= 2 or any(p.poll() is not None for p in procs):
                    break
                time.sleep(0.05)
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    broken = [e for out, _ in outputs for e in json.loads(out)["events"] if e["event"] == "promise_broken"]
    assert len(broken) == PROMISES
    assert AuditEvent.objects.filter(verb="promise.broken").count() == PROMISES
    assert AuditEvent.objects.filter(verb="collections.pause_lifted").count() == PROMISES
    assert not Pause.objects.filter(lifted_at__isnull=True).exists()

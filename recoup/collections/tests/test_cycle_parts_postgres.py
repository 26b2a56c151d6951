"""A day split into parts and run by three `recoup worker` processes on PostgreSQL: the same decisions,
actions and messages, row for row, as one process running the day whole on a copy of the same ledger;
the day finished once with its parts finishing together; and a worker killed mid-part leaves nothing
decided or sent twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from django.db import connection

from recoup.audit.models import AuditEvent
from recoup.collections.models import CyclePart, CycleRun, ScheduledRun, StepDecision
from recoup.collections.scheduler import scheduler_tick
from recoup.lib.clock import write_clock
from recoup.messaging.models import Message
from recoup.ops.heartbeats import beat

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[3]
CUSTOMERS = 30
DAY = date(2026, 3, 4)
AT = datetime(2026, 3, 4, 7, 0, 30, tzinfo=timezone.utc)  # London is on UTC in March
SENDING = datetime(2026, 3, 4, 9, 0, 30, tzinfo=timezone.utc)  # the debtors' window is open
REFERENCE = f"""
import django; django.setup()
from datetime import datetime
from recoup.collections.scheduler import scheduler_tick
from recoup.messaging.delivery import deliver_due
assert scheduler_tick(now=datetime.fromisoformat({AT.isoformat()!r}), deliver=False).ran
deliver_due(now=datetime.fromisoformat({SENDING.isoformat()!r}))
"""
DECISIONS = """
    select c.ref, i.number, d.step_key, d.number, d.status, d.outcome, d.reason, d.decided_on
    from collections_stepdecision d join ledger_invoice i on i.id = d.invoice_id
    join ledger_customer c on c.id = d.customer_id"""
MESSAGES = """
    select c.ref, m.channel, m.status, m.to_address, m.subject, m.body_text, m.body_html, m.step_key,
           (select string_agg(i.number, ',' order by i.number) from messaging_messageinvoice a
            join ledger_invoice i on i.id = a.invoice_id where a.message_id = m.id)
    from messaging_message m join ledger_customer c on c.id = m.customer_id where m.direction = 'out'"""


def _url(name: str) -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgresql://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


def _query(name: str, sql: str, params=()) -> list[tuple]:
    import psycopg

    with psycopg.connect(_url(name), autocommit=True) as conn:
        return sorted(conn.execute(sql, params).fetchall())


@pytest.fixture
def ledger(debtors_due_1_march):
    return debtors_due_1_march(CUSTOMERS)


@pytest.fixture
def reference(ledger, tmp_path):
    """The day run whole by one process on a copy of the ledger, then delivered: its database's name."""
    import psycopg

    name = connection.settings_dict["NAME"]
    ref = f"{name}_whole"
    connection.close()  # a template database must have no other session
    with psycopg.connect(_url("postgres"), autocommit=True) as admin:
        admin.execute(f'drop database if exists "{ref}" with (force)')
        admin.execute(f'create database "{ref}" template "{name}"')
    env = {**os.environ, "RECOUP_DATABASE_URL": _url(ref).replace("postgresql://", "postgres://"),
           "RECOUP_CYCLE_PART_SIZE": "0", "RECOUP_EMAIL_URL": f"file://{tmp_path / 'ref-mail'}",
           "RECOUP_VAR_DIR": str(tmp_path / "ref"), "DJANGO_SETTINGS_MODULE": "recoup.settings"}
    done = subprocess.run([sys.executable, "-c", REFERENCE], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    yield ref
    with psycopg.connect(_url("postgres"), autocommit=True) as admin:
        admin.execute(f'drop database if exists "{ref}" with (force)')


def _workers(tmp_path: Path, n: int) -> list[subprocess.Popen]:
    clock = tmp_path / "clock"
    write_clock(clock, SENDING - timedelta(seconds=30))
    env = {**os.environ, "RECOUP_DATABASE_URL": _url(connection.settings_dict["NAME"]).replace("postgresql://",
                                                                                                "postgres://"),
           "RECOUP_CLOCK_FILE": str(clock), "RECOUP_VAR_DIR": str(tmp_path), "RECOUP_HEARTBEAT_SECONDS": "1",
           "RECOUP_EMAIL_URL": f"file://{tmp_path / 'mail'}", "PYTHONUNBUFFERED": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return [subprocess.Popen([sys.executable, "-m", "recoup.cli", "worker", "--interval", "0.2"], env=env, cwd=ROOT,
                             stdout=open(tmp_path / f"worker{i}.log", "w"), stderr=subprocess.STDOUT,
                             start_new_session=True) for i in range(n)]


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _wait(what: str, condition, tmp_path: Path, timeout: float = 180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    logs = "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in sorted(tmp_path.glob("worker*.log")))
    pytest.fail(f"timed out waiting for {what}\n{logs}")


def _settled() -> bool:
    return not Message.objects.filter(status__in=["queued", "sending"]).exists()


def _split_day_by_three_workers(ledger, tmp_path, settings, *, kill: bool) -> list[subprocess.Popen]:
    """Split the day into three parts, hold the three workers at their parts' first decision, (kill one,)
    let the others go together; the scheduler's passes go on until the day is finished and delivered."""
    import psycopg

    settings.RECOUP_CYCLE_PART_SIZE = 10
    settings.RECOUP_HEARTBEAT_SECONDS = 1
    beat(kind="worker", name="starting:0")  # workers are on their way: the scheduler splits the day for them
    report = scheduler_tick(now=AT, orgs=[ledger], deliver=False)
    assert report.split and CyclePart.objects.count() == 3
    table = StepDecision._meta.db_table
    procs: list[subprocess.Popen] = []
    with psycopg.connect(_url(connection.settings_dict["NAME"]), autocommit=True) as gate:
        with gate.transaction():
            gate.execute(f"lock table {table} in share mode")
            procs = _workers(tmp_path, 3)

            def all_held():
                return gate.execute("select count(*) from pg_locks where not granted and relation = %s::regclass",
                                    [table]).fetchone()[0] == 3

            _wait("three workers each held in a part", all_held, tmp_path)
            assert CyclePart.objects.filter(claimed_at__isnull=False).count() == 3
            if kill:
                victim = CyclePart.objects.get(number=1).claimed_by
                proc = next(p for p in procs if victim.endswith(f":{p.pid}"))
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=30)
        # The gate opens: the parts go on together.
    tick = [0]

    def finished_and_sent():
        tick[0] += 1
        scheduler_tick(now=AT + timedelta(seconds=tick[0]), orgs=[ledger], deliver=False)
        return CycleRun.objects.filter(date=DAY, finished_at__isnull=False).exists() and _settled()

    _wait("the day to finish and its messages to go", finished_and_sent, tmp_path)
    return procs


def _compare_with_reference(ref: str, name: str) -> None:
    decided, whole = _query(name, DECISIONS), _query(ref, DECISIONS)
    assert decided == whole and len(decided) == 2 * CUSTOMERS
    assert len({d[:4] for d in decided}) == len(decided)  # every step decided once
    sent, whole = _query(name, MESSAGES), _query(ref, MESSAGES)
    assert sent == whole and len(sent) == CUSTOMERS
    assert {row[2] for row in sent} == {"sent"}
    counts = _query(name, "select counts from collections_cyclerun where not dry_run")
    assert counts == _query(ref, "select counts from collections_cyclerun where not dry_run")


def _digests(folder: Path) -> int:
    return sum("olga@acme.example" in p.read_text(errors="replace") for p in folder.glob("*")) \
        if folder.exists() else 0


def test_three_workers_run_a_split_day_as_one_process_runs_it_whole_and_finish_it_once(
        ledger, reference, tmp_path, settings, mailoutbox):
    procs = _split_day_by_three_workers(ledger, tmp_path, settings, kill=False)
    try:
        name = connection.settings_dict["NAME"]
        _compare_with_reference(reference, name)
        # Each worker took a part; the day was finished once, by whoever came last.
        assert len(set(CyclePart.objects.values_list("claimed_by", flat=True))) == 3
        assert AuditEvent.objects.filter(verb="cycle.ran").count() == 1
        assert ScheduledRun.objects.get(date=DAY).finished_at is not None
        assert AuditEvent.objects.filter(verb="message.sent").count() == CUSTOMERS
        assert _digests(tmp_path / "mail") + len(mailoutbox) == 1
    finally:
        _stop(procs)


def test_a_worker_killed_mid_part_its_part_is_taken_again_and_nothing_is_decided_or_sent_twice(
        ledger, reference, tmp_path, settings, mailoutbox):
    procs = _split_day_by_three_workers(ledger, tmp_path, settings, kill=True)
    try:
        _compare_with_reference(reference, connection.settings_dict["NAME"])
        again = CyclePart.objects.get(number=1)
        assert again.attempts == 2  # the dead worker's claim, then another worker's
        sent = AuditEvent.objects.filter(verb="message.sent")
        assert sent.count() == CUSTOMERS and sent.values("subject_id").distinct().count() == CUSTOMERS
        assert AuditEvent.objects.filter(verb="cycle.ran").count() == 1
        assert _digests(tmp_path / "mail") + len(mailoutbox) == 1
    finally:
        _stop(procs)

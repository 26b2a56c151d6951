"""An ordinary day's cycle and delivery on PostgreSQL, run whole by the scheduler and split over 1, 2 and 4 workers.

    .venv/bin/python bench/cycle_workers.py [--customers 20000] [--invoices 100000] [--workers 1,2,4]
                                            [--part-size 250] [--server postgres://postgres@127.0.0.1:5432/]
                                            [--database recoup_cycleworkers] [--keep] [--profile FILE]

Builds the ledger with bench/aging_bench.py's generator in a fresh PostgreSQL database ``--db`` (every
invoice open, one contact per customer, the default policies: bench/cycle_bench.py's shape), records
every decision up to two days before the date and runs the real cycle for the day before (so the timed
day is an ordinary day: only the steps that fell due since), and marks that day's messages sent. Then,
each on its own copy of that database (CREATE DATABASE ... TEMPLATE):

- whole: the scheduler's pass with splitting off (``RECOUP_CYCLE_PART_SIZE=0``): the cycle in one
  process, then ``deliver_due`` in the same process, timed apart (the cycle's cost per message);
- N workers: N ``recoup worker`` processes started and idle first; the scheduler's pass splits the day
  into parts of ``--part-size`` customers, the workers run the parts and deliver the messages (e-mail
  to Django's dummy backend); timed from the pass until the day is finished and the outbox is empty.

Prints wall times, speed-up against one worker, the cycle's cost per message, the load average, and
checks every run's decisions and messages equal the whole run's, row for row (exit 1 if not).
``--profile FILE`` writes a cProfile of the whole run's scheduler pass (the cycle and its wrap-up) to FILE
and of its delivery to FILE.deliver (read them with ``python -m pstats``).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import aging_bench  # noqa: E402  (the ledger generator)
import cycle_bench  # noqa: E402  (open everything, contacts, the history of decisions)

ROOT = aging_bench.ROOT
DECISIONS = """
    select c.ref, i.number, d.step_key, d.number, d.status, d.outcome, d.reason, d.decided_on
    from collections_stepdecision d join ledger_invoice i on i.id = d.invoice_id
    join ledger_customer c on c.id = d.customer_id where d.decided_on = %s"""
MESSAGES = """
    select c.ref, m.channel, m.status, m.to_address, m.subject, m.body_text, m.body_html, m.step_key,
           (select string_agg(i.number, ',' order by i.number) from messaging_messageinvoice a
            join ledger_invoice i on i.id = a.invoice_id where a.message_id = m.id)
    from messaging_message m join ledger_customer c on c.id = m.customer_id
    where m.direction = 'out' and m.created_at >= %s"""
DRIVER = """
import sys, time, json
import django; django.setup()
from datetime import datetime
from django.db.models import Q
from recoup.collections.models import CycleRun
from recoup.collections.scheduler import scheduler_tick
from recoup.messaging.delivery import deliver_due
from recoup.messaging.models import Message
from recoup.collections import scheduler
from collections import Counter
at, sending, profile = datetime.fromisoformat(sys.argv[1]), datetime.fromisoformat(sys.argv[2]), sys.argv[3]
spent = [0.0]
real_cycle_run = scheduler.cycle_run
def timed_cycle_run(**kw):
    began = time.perf_counter()
    try:
        return real_cycle_run(**kw)
    finally:
        spent[0] += time.perf_counter() - began
scheduler.cycle_run = timed_cycle_run
started = time.perf_counter()
import cProfile
if profile:
    prof = cProfile.Profile(); prof.enable()
report = scheduler_tick(now=at, deliver=False)
if profile:
    prof.disable(); prof.dump_stats(profile)
split = time.perf_counter()
while not CycleRun.objects.filter(date=at.date(), dry_run=False, finished_at__isnull=False).exists():
    time.sleep(0.05)
cycle = time.perf_counter()
if not report.split:
    if profile:
        prof = cProfile.Profile(); prof.enable()
    deliver_due(now=sending)
    if profile:
        prof.disable(); prof.dump_stats(profile + ".deliver")
while Message.objects.filter(Q(status="sending") | Q(status="queued", next_attempt_at__lte=sending)).exists():
    time.sleep(0.05)
done = time.perf_counter()
run = CycleRun.objects.get(date=at.date(), dry_run=False)
print(json.dumps({"cycle_only": spent[0], "split": split - started, "cycle": cycle - started, "day": done - started,
                  "parts": run.parts.count(), "counts": run.counts,
                  "outbox": dict(Counter(Message.objects.filter(created_at__gte=at)
                                         .values_list("status", flat=True)))}))
"""


def parse_args(argv):
    parser = aging_bench.build_parser(__doc__.split("\n\n")[0])
    parser.set_defaults(customers=20_000, invoices=100_000)
    parser.add_argument("--date", dest="as_of", type=date.fromisoformat, default=date(2026, 3, 31))
    parser.add_argument("--workers", default="1,2,4", help="comma-separated worker counts (default 1,2,4)")
    parser.add_argument("--part-size", type=int, default=250, help="customers per part (default 250)")
    parser.add_argument("--server", default=os.environ.get("RECOUP_BENCH_SERVER",
                                                           "postgres://postgres@127.0.0.1:5432/"))
    parser.add_argument("--database", default="recoup_cycleworkers",
                        help="the template database's name (copies get _w0, _w1, ...; dropped unless --keep)")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the whole run's scheduler pass here")
    args = aging_bench.checked_args(parser, argv)
    if args.database in ("postgres", "template0", "template1", "test"):
        parser.error(f"--database {args.database}: choose a database of the benchmark's own")
    args.workers = [int(n) for n in args.workers.split(",") if n]
    return args


def _url(server: str, name: str) -> str:
    return server.rstrip("/") + "/" + name


def _admin(server: str, *sql: str) -> None:
    import psycopg

    with psycopg.connect(_url(server, "postgres").replace("postgres://", "postgresql://"), autocommit=True) as conn:
        for statement in sql:
            conn.execute(statement)


def _query(url: str, sql: str, params=()) -> list[tuple]:
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        return sorted(conn.execute(sql, params).fetchall())


def build(args, name: str, work: Path) -> dict:
    """The ledger, its history and the day before, in database ``name`` (this process only)."""
    os.environ.update({"RECOUP_DATABASE_URL": _url(args.server, name), "RECOUP_VAR_DIR": str(work),
                       "DJANGO_SETTINGS_MODULE": "recoup.settings", "RECOUP_CYCLE_PART_SIZE": "0"})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connection

    from recoup.audit.actions import Actor
    from recoup.collections.actions import policies_install_defaults
    from recoup.collections.cycle import cycle_run
    from recoup.ledger.models import Customer, Invoice, Payment
    from recoup.messaging.models import Message

    started = time.perf_counter()
    call_command("migrate", verbosity=0, skip_checks=True)
    counts = aging_bench.build(args)
    with connection.cursor() as cur:  # the generator chose the ids: move the sequences past them
        for sql in connection.ops.sequence_reset_sql(no_style(), [Customer, Invoice, Payment]):
            cur.execute(sql)
    org = counts["org"]
    org.sender_email = "accounts@bench.example"
    org.save(update_fields=["sender_email"])
    open_count = cycle_bench.open_everything_and_add_contacts(org)
    now = datetime.combine(args.as_of, datetime.min.time(), tzinfo=timezone.utc).replace(hour=7)
    policies_install_defaults(org=org, actor=Actor.system("bench"), now=now)
    print(f"built {counts['customers']:,} customers, {counts['invoices']:,} invoices ({open_count:,} open) "
          f"in {time.perf_counter() - started:.1f} s", flush=True)
    took = time.perf_counter()
    seeded = cycle_bench.seed_history(org, args.as_of - timedelta(days=2))
    before = cycle_run(org=org, on=args.as_of - timedelta(days=1), now=now - timedelta(days=1))
    Message.objects.filter(status="queued").update(status="sent", sent_at=now - timedelta(days=1))
    print(f"recorded {seeded:,} decisions up to {args.as_of - timedelta(days=2)} and ran the day before "
          f"({before.counts['queued']:,} messages, marked sent) in {time.perf_counter() - took:.1f} s (not timed)",
          flush=True)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    connection.close()
    return {"open": open_count}


def one_run(args, template: str, workers: int, work: Path) -> dict:
    """Copy the template, start ``workers`` idle workers, drive the day; returns the driver's figures."""
    import json

    name = f"{template}_w{workers}"
    _admin(args.server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
           f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    url = _url(args.server, name)
    at = datetime.combine(args.as_of, datetime.min.time(), tzinfo=timezone.utc).replace(hour=7, second=30)
    sending = at.replace(hour=9, second=0)
    clock = work / f"clock{workers}"
    clock.write_text(f"{sending.isoformat()} 1\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RECOUP_", "DJANGO_"))}
    env.update({"RECOUP_DATABASE_URL": url, "RECOUP_VAR_DIR": str(work), "RECOUP_EMAIL_URL": "dummy://",
                "RECOUP_CYCLE_PART_SIZE": str(args.part_size if workers else 0), "PYTHONPATH": str(ROOT),
                "RECOUP_HEARTBEAT_SECONDS": "5"})
    procs = []
    try:
        worker_env = {**env, "RECOUP_CLOCK_FILE": str(clock)}
        procs = [subprocess.Popen([sys.executable, "-m", "recoup.cli", "worker", "--interval", "0.1"], env=worker_env,
                                  cwd=ROOT, stdout=open(work / f"worker{workers}-{i}.log", "w"),
                                  stderr=subprocess.STDOUT, start_new_session=True) for i in range(workers)]
        while workers and _query(url, "select count(*) from ops_heartbeat where kind = 'worker'")[0][0] < workers:
            time.sleep(0.2)
        profile = str(args.profile) if args.profile and not workers else ""
        done = subprocess.run([sys.executable, "-c", DRIVER, at.isoformat(), sending.isoformat(), profile],
                              env={**env, "DJANGO_SETTINGS_MODULE": "recoup.settings"}, cwd=ROOT,
                              capture_output=True, text=True, timeout=3600)
        if done.returncode:
            raise SystemExit(f"bench: the day with {workers} workers failed:\n{done.stderr[-3000:]}")
        figures = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    figures["rows"] = (_query(url, DECISIONS, [args.as_of]), _query(url, MESSAGES, [at]))
    figures["load"] = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    if not args.keep:
        _admin(args.server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return figures


def _outbox(run: dict) -> str:
    return ", ".join(f"{n:,} {status}" for status, n in sorted(run["outbox"].items()))


def main(argv=None) -> int:
    args = parse_args(argv)
    template = args.database
    work = Path(tempfile.mkdtemp(prefix="recoup-cycle-workers-"))
    _admin(args.server, f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)', f'CREATE DATABASE "{template}"')
    try:
        build(args, template, work)
        runs = {0: one_run(args, template, 0, work)}
        for n in args.workers:
            runs[n] = one_run(args, template, n, work)
    finally:
        if not args.keep:
            _admin(args.server, f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
            shutil.rmtree(work, ignore_errors=True)
    whole = runs[0]
    queued = whole["counts"].get("queued", 0)
    print(f"an ordinary day {args.as_of}: {whole['counts'].get('customers', 0):,} customers looked at, "
          f"{whole['counts'].get('decisions', 0):,} decisions, {queued:,} messages queued", flush=True)
    print(f"whole (the scheduler alone): cycle {whole['cycle_only']:.1f} s "
          f"({whole['cycle_only'] * 1000 / max(queued, 1):.1f} ms per message; the pass with its other work "
          f"{whole['cycle']:.1f} s), then delivery "
          f"{whole['day'] - whole['cycle']:.1f} s; day {whole['day']:.1f} s; outbox {_outbox(whole)}; "
          f"load {' '.join(whole['load'])}")
    base = runs.get(1, {}).get("day")
    same = True
    for n in args.workers:
        r = runs[n]
        equal = r["rows"] == whole["rows"] and len(whole["rows"][1]) == queued
        same = same and equal
        speed = f", {base / r['day']:.2f}x one worker" if base else ""
        print(f"{n} worker{'s' if n > 1 else ''}: {r['parts']} parts; split {r['split']:.1f} s, cycle finished "
              f"{r['cycle']:.1f} s ({r['cycle'] * 1000 / max(queued, 1):.1f} ms per message), day (all sent) "
              f"{r['day']:.1f} s{speed}; outbox {_outbox(r)}; rows {'equal' if equal else 'DIFFER'}; "
              f"load {' '.join(r['load'])}", flush=True)
    print("every run decided and sent what the whole run did, row for row" if same else "ROWS DIFFER")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())

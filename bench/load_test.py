"""Load test: the production setup of docs/deploy.md on this machine, under simulated operators and debtors.

    .venv/bin/python bench/load_test.py [--operators 50] [--visitors 200] [--seconds 120] [--spawn-rate 2]
                                        [--web 3] [--workers 2] [--customers 200] [--history-days 30]
                                        [--server postgres://postgres@127.0.0.1:5432/] [--db recoup_load] [--keep]

Builds a FRESH PostgreSQL database (``--db``, dropped first; never ``test``), follows the doc's
"One machine" steps with the shipped settings file (``recoup-ctl upgrade``, the first organization
and its owner, ``check --deploy``), loads the demo business (``recoup demo``, its "today" on a fixed
Tuesday), gives it one login per operator (one in five an owner, the rest collectors) and one
portal link per customer, then starts what the shipped units start — ``--web`` web processes behind
nginx with the shipped site (TLS, a self-signed certificate), ``--workers`` workers and the
scheduler — delivering mail to a local SMTP server of its own. The clock is the doc's simulated
clock, started at 09:30 on that Tuesday: the scheduler runs the day's cycle as the load starts and
the workers deliver its messages while the pages are asked for.

Locust (bench/locustfile.py, run headless in a subprocess) brings in ``--operators`` operators and
``--visitors`` portal visitors at ``--spawn-rate`` a second (each operator logs in: a password hash
made slow on purpose), then keeps them all there for ``--seconds``. Then the outbox is left to settle
and the script prints, per page, the request and error counts and p50/p95/max over the whole run, the
p50/p95 of the two phases apart (the goal, p95 under 500 ms, is measured with everyone there), and
checks every e-mail and text
message queued since the load began: sent, recorded sent once, and each e-mail received by the SMTP
server exactly once (lost: never received; doubled: received twice).

Exit status: 0 when no request failed and no message was lost or doubled (the p95 goal is printed,
not enforced: it depends on the machine), 1 otherwise, 3 when PostgreSQL, nginx or openssl is missing.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from recoup.lib.clock import FileClock  # noqa: E402
from recoup.messaging.tests.conftest import SmtpSink, free_port  # noqa: E402 - the SMTP peer
from tests.deploy_setup import DEPLOY, documented_steps, read_env_file, read_unit, write_env_file  # noqa: E402
from tests.production import Client, Proc, Supervisor, nginx_config, self_signed_cert, unit_env  # noqa: E402

HOST = "recoup.example.com"
DAY = date(2026, 3, 3)  # a Tuesday; London is on UTC
START = datetime(2026, 3, 3, 9, 30, tzinfo=timezone.utc)  # the send window is open, the cycle is due
PASSWORD = "load-test-passphrase-" + "x" * 8
DELIVERED = ("email", "sms")  # the channels the workers hand to a provider
CAST = """
import django, json, sys; django.setup()
from datetime import datetime
from recoup.audit.actions import Actor
from recoup.ledger.models import Customer
from recoup.orgs.actions import member_add
from recoup.orgs.models import Organization
from recoup.portal.actions import token_issue
now, operators, password, out = datetime.fromisoformat(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
org, actor = Organization.objects.get(slug="oakline"), Actor.system("load test")
logins = []
for i in range(operators):
    name = f"operator{i:03}"
    member_add(org=org, username=name, role="owner" if i % 5 == 0 else "collector", password=password,
               email=f"{name}@oakline.example", actor=actor, now=now)
    logins.append((name, password))
owing = Customer.objects.filter(org=org, invoices__open_minor__gt=0).distinct().order_by("pk")
links = [token_issue(org=org, customer=c, actor=actor, now=now)[1] for c in owing]
json.dump({"org": org.slug, "operators": logins, "links": links}, open(out, "w"))
print(f"{len(logins)} operator logins, {len(links)} portal links")
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--operators", type=int, default=50)
    parser.add_argument("--visitors", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=120,
                        help="how long every user is there at once, after the arrivals (default 120)")
    parser.add_argument("--spawn-rate", type=float, default=2.0,
                        help="users arriving per second (default 2: 250 people come in over two minutes)")
    parser.add_argument("--web", type=int, default=3, help="web processes behind nginx (default 3)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--customers", type=int, default=200, help="the demo's customers (default 200)")
    parser.add_argument("--history-days", type=int, default=30, help="the demo's days of collections (default 30)")
    parser.add_argument("--server", default=os.environ.get("RECOUP_LOAD_SERVER", "postgres://postgres@127.0.0.1:5432/"))
    parser.add_argument("--db", default="recoup_load")
    parser.add_argument("--keep", action="store_true", help="keep the database and the run's folder")
    args = parser.parse_args(argv)
    if args.db in ("test", "postgres", "template0", "template1"):
        parser.error(f"--db {args.db}: choose a database of the load test's own")

    missing = [what for what, ok in (("nginx", shutil.which("nginx")), ("openssl", shutil.which("openssl")),
                                     ("PostgreSQL", _server_up(args.server))) if not ok]
    if missing:
        print(f"SKIP: unavailable: {', '.join(missing)}")
        return 3

    folder = Path(tempfile.mkdtemp(prefix="recoup-load-"))
    print(f"run folder: {folder}")
    db_url = args.server.rstrip("/") + "/" + args.db
    _admin(args.server, f'drop database if exists "{args.db}" with (force)', f'create database "{args.db}"')
    smtp = _smtp()
    try:
        return _run(args, folder, db_url, smtp)
    finally:
        smtp.controller.stop()
        if not args.keep:
            _admin(args.server, f'drop database if exists "{args.db}" with (force)')
            shutil.rmtree(folder, ignore_errors=True)


def _run(args, folder: Path, db_url: str, smtp: SmtpSink) -> int:
    var = folder / "var"
    web_ports = [free_port() for _ in range(args.web)]
    https_port, http_port = free_port(), free_port()
    clock = folder / "clock"
    clock.write_text(f"{(START - timedelta(hours=3)).isoformat()}\n")

    # docs/deploy.md, One machine, step 5: the settings file from the example, every CHANGE-ME changed.
    settings = read_env_file(DEPLOY / "recoup.env.example")
    settings.update({
        "RECOUP_DATABASE_URL": db_url, "RECOUP_SECRET_KEY": secrets.token_urlsafe(50),
        "RECOUP_BASE_URL": f"https://{HOST}:{https_port}", "RECOUP_ALLOWED_HOSTS": HOST,
        "RECOUP_VAR_DIR": str(var), "RECOUP_BACKUP_DIR": str(folder / "backups"),
        "RECOUP_EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}", "RECOUP_METRICS_TOKEN": secrets.token_urlsafe(24),
        # Testing aids: the simulated clock, and a scheduler pass every 5 s rather than every minute.
        "RECOUP_CLOCK_FILE": str(clock), "RECOUP_SCHEDULER_INTERVAL": "5",
    })
    env_file = folder / "recoup.env"
    write_env_file(env_file, settings)
    # PYTHONPATH: the code of this checkout, also where the venv's editable install points at another one.
    ctl_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "RECOUP_ENV_FILE": str(env_file),
               "RECOUP_HOME": str(ROOT), "HOME": str(folder), "PYTHONPATH": str(ROOT)}

    def ctl(*argv: str) -> str:
        done = subprocess.run(list(argv), env=ctl_env, cwd=ROOT, capture_output=True, text=True, timeout=1800)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
        return done.stdout

    started = time.monotonic()
    steps = documented_steps("One machine", "recoup-ctl")  # upgrade, org create, org add-user, check --deploy
    for step in steps:
        ctl(*step)
    recoup_ctl = steps[0][0]
    ctl(recoup_ctl, "demo", "--customers", str(args.customers), "--history-days", str(args.history_days),
        "--now", (START - timedelta(hours=3)).isoformat(), "--password", PASSWORD)
    cast_file = folder / "cast.json"
    done = subprocess.run([sys.executable, "-c", CAST, START.isoformat(), str(args.operators), PASSWORD,
                           str(cast_file)], env={**ctl_env, **settings, "DJANGO_SETTINGS_MODULE": "recoup.settings"},
                          cwd=ROOT, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"the cast failed:\n{done.stderr[-3000:]}")
    cast = json.loads(cast_file.read_text())
    cast["promise_date"] = (DAY + timedelta(days=7)).isoformat()
    cast_file.write_text(json.dumps(cast))
    sizes = _query(db_url, "select (select count(*) from ledger_customer), (select count(*) from ledger_invoice), "
                           "(select count(*) from messaging_message)")[0]
    print(f"setup: {done.stdout.strip()}; {sizes[0]} customers, {sizes[1]} invoices, {sizes[2]} messages "
          f"({time.monotonic() - started:.0f} s)")
    baseline = _query(db_url, "select coalesce(max(id), 0) from messaging_message")[0][0]
    clock.write_text(f"{START.isoformat()}\n")

    # Steps 7 and 8: the units and nginx with the shipped site.
    units = {p.name: read_unit(p) for p in (DEPLOY / "systemd").glob("*.service")}
    procs = []
    for kind, unit, instances in (("web", "recoup-web@.service", [str(p) for p in web_ports]),
                                  ("worker", "recoup-worker@.service", [str(n) for n in range(1, args.workers + 1)]),
                                  ("scheduler", "recoup-scheduler.service", [""])):
        for n, instance in enumerate(instances, 1):
            name = f"{kind}@{instance or n}"
            procs.append(Proc(name, kind, units[unit].command(instance), unit_env(units[unit], settings, var),
                              folder / f"{name}.log"))
    cert, key = self_signed_cert(folder, HOST)
    conf = nginx_config(folder, web_ports=web_ports, http_port=http_port, https_port=https_port, cert=cert, key=key)
    nginx = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(folder)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    supervisor = Supervisor(procs)
    client = Client(https_port, HOST, cert)
    try:
        for proc in procs:
            proc.start()
        supervisor.start()
        _wait("every web process behind nginx", lambda: all(_answers(client) for _ in range(args.web * 2)), 180, procs)
        print(f"running: nginx, {args.web} web processes, {args.workers} workers, 1 scheduler; "
              f"load: {args.operators} operators, {args.visitors} visitors, {args.seconds} s; "
              f"load average before: {_loadavg()}")
        sampler = _LoadSampler()
        sampler.start()
        stats = _locust(args, folder, https_port, cast_file)
        sampler.stop.set()
        load_after = f"{_loadavg()}; 1-minute load average during the load: {sampler.summary()}"
        settled = _settle(db_url, FileClock(clock), baseline, 180)
        restarts = sum(p.restarts for p in procs)
    finally:
        supervisor.stop()
        for proc in procs:
            proc.stop()
        nginx.terminate()
        nginx.wait(timeout=30)

    errors = _report(stats, folder / "locust_failures.csv")
    _report_phases(folder / "phases.json", args)
    print(f"load average at the end: {load_after}; processes restarted: {restarts}")
    lost, doubled = _check_messages(db_url, FileClock(clock).now(), baseline, smtp, settled)
    return 0 if errors == 0 and lost == 0 and doubled == 0 and restarts == 0 else 1


def _locust(args, folder: Path, port: int, cast_file: Path) -> list[dict]:
    users = args.operators + args.visitors
    arrival = math.ceil(users / args.spawn_rate)
    env = {**os.environ, "LOAD_OPERATORS": str(args.operators), "LOAD_VISITORS": str(args.visitors),
           "LOAD_CAST": str(cast_file), "LOAD_HOST_HEADER": f"{HOST}:{port}",
           "LOAD_PHASES": str(folder / "phases.json")}
    done = subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
         "-u", str(users), "-r", str(args.spawn_rate), "-t", f"{arrival + args.seconds}s", "--stop-timeout", "30",
         "--host", f"https://127.0.0.1:{port}", "--csv", str(folder / "locust"), "--only-summary",
         "--loglevel", "WARNING", "--exit-code-on-error", "0"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=arrival + args.seconds + 300)
    if done.returncode != 0:
        raise SystemExit(f"locust failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    with open(folder / "locust_stats.csv", newline="") as f:
        return list(csv.DictReader(f))


def _report(stats: list[dict], failures_csv: Path) -> int:
    """Per page: requests, errors, p50/p95/max (ms); returns the number of failed requests."""
    print(f"\n{'page':<28} {'requests':>8} {'errors':>6} {'p50':>6} {'p95':>6} {'max':>6}  (ms)")
    for row in sorted(stats, key=lambda r: (r["Name"] == "Aggregated", r["Name"])):
        name = "all requests" if row["Name"] == "Aggregated" else row["Name"]
        print(f"{name:<28} {row['Request Count']:>8} {row['Failure Count']:>6} {row['50%']:>6} {row['95%']:>6} "
              f"{float(row['Max Response Time']):>6.0f}")
    total = next(r for r in stats if r["Name"] == "Aggregated")
    errors = int(total["Failure Count"])
    print(f"\nrequests: {total['Request Count']}, errors: {errors}, "
          f"requests/s: {float(total['Requests/s']):.1f}; p95 of the whole run: {float(total['95%'] or 0):.0f} ms")
    if errors and failures_csv.exists():
        print(failures_csv.read_text()[:3000])
    return errors


def _report_phases(phases_json: Path, args) -> None:
    """p50/p95 while people arrive (each operator's login is a deliberately slow password hash) and once
    all of them are there (the goal's measure: a full office and portal, not everyone logging in at once)."""
    phases = json.loads(phases_json.read_text())
    arrival = math.ceil((args.operators + args.visitors) / args.spawn_rate)
    for phase, what in (("arriving", f"the first {arrival} s, people arriving at {args.spawn_rate:g}/s"),
                        ("all there", f"the next {args.seconds} s, all {args.operators + args.visitors} there")):
        ms = sorted(phases[phase]["ms"])
        if ms:
            print(f"{what}: {len(ms)} requests, {len(phases[phase]['failed'])} errors, "
                  f"p50 {_percentile(ms, 50):.0f} ms, p95 {_percentile(ms, 95):.0f} ms")
    steady = sorted(phases["all there"]["ms"])
    p95 = _percentile(steady, 95) if steady else float("inf")
    print(f"p95 with everyone there: {p95:.0f} ms; under 500 ms: {'yes' if p95 < 500 else 'no'}")


def _percentile(ordered: list[float], pct: int) -> float:
    return ordered[min(len(ordered) - 1, math.ceil(len(ordered) * pct / 100) - 1)]


def _check_messages(db_url: str, now: datetime, baseline: int, smtp: SmtpSink, settled: bool) -> tuple[int, int]:
    """Every e-mail and text message queued since the load began: sent, recorded once, received once
    (one queued for a later hour, the debtor's contact window, is not due yet: counted apart)."""
    rows = _query(db_url, "select id, message_id, channel, status, next_attempt_at <= %s from messaging_message "
                          "where id > %s and direction = 'out' and channel = any(%s)",
                  [now, baseline, list(DELIVERED)])
    statuses = Counter(r[3] if r[3] != "queued" or r[4] else "queued for later" for r in rows)
    unsent = [r for r in rows if r[3] in ("sending", "failed") or (r[3] == "queued" and r[4])]
    recorded = _query(db_url, "select subject_id, count(*) from audit_auditevent where verb = 'message.sent' "
                              "and subject_id = any(%s) group by subject_id having count(*) > 1",
                      [[str(r[0]) for r in rows]])
    received = Counter(smtp.message_ids())
    emails = {r[1] for r in rows if r[2] == "email" and r[3] == "sent"}
    never_received = emails - set(received)
    twice = [mid for mid, n in received.items() if n > 1]
    lost = len(unsent) + len(never_received)
    doubled = len(recorded) + len(twice)
    print(f"messages queued during the run: {len(rows)} ({dict(statuses)}); e-mails received by the SMTP server: "
          f"{sum(received.values())}; outbox settled: {'yes' if settled else 'no'}")
    print(f"lost messages: {lost}; doubled messages: {doubled}")
    if unsent or never_received or recorded or twice:
        print(f"  unsent: {unsent[:10]}\n  never received: {sorted(never_received)[:10]}\n"
              f"  recorded sent twice: {recorded[:10]}\n  received twice: {twice[:10]}")
    return lost, doubled


def _settle(db_url: str, clock: FileClock, baseline: int, timeout: float) -> bool:
    """Wait until nothing queued since the baseline is due or being sent."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        due, sending = _query(db_url, """
            select count(*) filter (where status = 'queued' and next_attempt_at <= %s),
                   count(*) filter (where status = 'sending') from messaging_message
             where id > %s and direction = 'out' and channel = any(%s)""",
                              [clock.now(), baseline, list(DELIVERED)])[0]
        if due == 0 and sending == 0:
            return True
        time.sleep(1)
    return False


def _smtp() -> SmtpSink:
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    sink.controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    sink.controller.start()
    sink.port = sink.controller.port
    return sink


def _server_up(server: str) -> bool:
    try:
        _admin(server, "select 1")
        return True
    except Exception:  # noqa: BLE001 - any failure to connect means: no PostgreSQL here
        return False


def _admin(server: str, *sql: str) -> None:
    import psycopg

    url = server.rstrip("/").replace("postgres://", "postgresql://") + "/postgres"
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        for statement in sql:
            conn.execute(statement)


def _query(url: str, sql: str, params=()) -> list[tuple]:
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def _answers(client: Client) -> bool:
    try:
        return client.request("GET", "/healthz")[0] == 200
    except OSError:
        return False


def _wait(what: str, condition, timeout: float, procs=()) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    logs = "\n".join(f"--- {p.name}\n{p.log.read_text()[-1500:]}" for p in procs if p.log.exists())
    raise SystemExit(f"timed out waiting for {what}\n{logs}")


class _LoadSampler(threading.Thread):
    """The machine's 1-minute load average every 5 s while locust runs (the figures depend on it)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop, self.samples = threading.Event(), []

    def run(self) -> None:
        while not self.stop.wait(5):
            self.samples.append(os.getloadavg()[0])

    def summary(self) -> str:
        if not self.samples:
            return "-"
        return (f"min {min(self.samples):.1f}, mean {sum(self.samples) / len(self.samples):.1f}, "
                f"max {max(self.samples):.1f} ({os.cpu_count()} cores)")


def _loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())

"""Acceptance: the production setup of docs/deploy.md on this machine, two simulated days, processes killed at random.

PostgreSQL, nginx with the shipped site (TLS) in front of two web processes, three workers and three
schedulers, each started from its shipped systemd unit with the shipped settings file (pointed at this
machine), installed by the doc's own `recoup-ctl` steps. The simulated clock runs each day: the cycles
at 07:00 (the leading scheduler killed as it works), the send window at 09:00 (workers, schedulers and a
web process killed while messages go out). A supervisor restarts what dies, as systemd does. Afterwards:
every step decided once and exactly as one undisturbed scheduler decides it (a reference run on a copy of
the database), every message sent and recorded once, the mail server given each message (a repeat only
with the same Message-ID, after a reclaim), nginx never failing a request, and /readyz green.
"""

from __future__ import annotations

import csv
import os
import random
import secrets
import shutil
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import require
from recoup.lib.clock import FileClock, write_clock
from recoup.messaging.tests.conftest import free_port, smtp_server  # noqa: F401 - the SMTP peer
from tests.deploy_setup import DEPLOY, ROOT, documented_steps, read_env_file, read_unit, write_env_file
from tests.production import Client, Proc, Supervisor, nginx_config, self_signed_cert, unit_env

pytestmark = pytest.mark.postgres

HOST = "recoup.example.com"
D1, D2 = date(2026, 3, 3), date(2026, 3, 4)  # a Tuesday and a Wednesday; London is on UTC
CUSTOMERS = 40
REFERENCE = """
import django; django.setup()
from datetime import datetime, timezone
from recoup.collections.scheduler import scheduler_tick
from recoup.messaging.delivery import deliver_due
for day in (3, 4):
    scheduler_tick(now=datetime(2026, 3, day, 7, 0, 30, tzinfo=timezone.utc), take_over=True)
    deliver_due(now=datetime(2026, 3, day, 9, 0, 30, tzinfo=timezone.utc))
"""


def _admin():
    """A connection to the server of the tests' database (dbname postgres), autocommit."""
    import psycopg
    from django.db import connection

    s = connection.settings_dict
    return psycopg.connect(host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, user=s["USER"],
                           password=s["PASSWORD"] or None, dbname="postgres", autocommit=True), s


def _url(s, name: str) -> str:
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


def _query(url: str, sql: str, params=()) -> list[tuple]:
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def _ledger_files(folder: Path) -> tuple[Path, Path]:
    """Forty customers, one invoice each, due so that steps fall on both days."""
    dues = [D1 + timedelta(3), D2 + timedelta(3), D1 - timedelta(3), D2 - timedelta(3), D1 - timedelta(14),
            D2 - timedelta(14)]
    customers, invoices = folder / "customers.csv", folder / "invoices.csv"
    with open(customers, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["ref", "name", "email", "country", "timezone"])
        out.writerows([f"C{i:03}", f"Customer {i:03} Ltd", f"ap{i:03}@debtor.example", "GB", "Europe/London"]
                      for i in range(CUSTOMERS))
    with open(invoices, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["number", "customer_ref", "issue_date", "due_date", "amount"])
        for i in range(CUSTOMERS):
            due = dues[i % len(dues)]
            out.writerow([f"INV-{i:04}", f"C{i:03}", (due - timedelta(30)).isoformat(), due.isoformat(), f"{100 + i}.00"])
    return customers, invoices


def _decisions(url: str) -> list[tuple]:
    return sorted(_query(url, """
        select o.slug, i.number, d.step_key, d.number, d.decided_on, d.status
        from collections_stepdecision d join ledger_invoice i on i.id = d.invoice_id
        join orgs_organization o on o.id = d.org_id"""))


def _wait(what: str, condition, timeout: float, procs=()) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    logs = "\n".join(f"--- {p.name}\n{p.log.read_text()[-1500:]}" for p in procs if p.log.exists())
    pytest.fail(f"timed out waiting for {what}\n{logs}")


class Site:
    """The running install: its processes, its database, its clock."""

    def __init__(self, url: str, clock: Path, procs: list[Proc], rng: random.Random):
        self.url, self.clock, self.procs, self.rng = url, clock, procs, rng
        self.kills: list[tuple[str, str]] = []

    def of(self, kind: str) -> list[Proc]:
        return [p for p in self.procs if p.kind == kind]

    def kill(self, proc: Proc, when: str) -> None:
        if proc.alive:
            proc.kill()
            self.kills.append((proc.name, when))

    def kill_random(self, kind: str, when: str) -> None:
        live = [p for p in self.of(kind) if p.alive]
        if kind == "web":
            # One web process at a time: with both down, no proxy can answer. A restarted one must
            # also have been back longer than nginx's fail_timeout (2 s), or nginx still skips it.
            if not all(_serves(p) for p in self.of("web")):
                return
            time.sleep(3)
            live = [p for p in live if p.alive]
        if live:
            self.kill(self.rng.choice(live), when)

    def leader(self) -> Proc | None:
        rows = _query(self.url, "select pid from ops_heartbeat where kind = 'scheduler' and leader "
                                "and beat_at > now() - interval '5 seconds'")
        pids = {row[0] for row in rows}
        return next((p for p in self.of("scheduler") if p.alive and p.popen.pid in pids), None)

    def set_clock(self, at: datetime) -> None:
        write_clock(self.clock, at)

    def now(self) -> datetime:
        return FileClock(self.clock).now()

    def run_day(self, day: date) -> None:
        """07:00: the cycles; the leader killed as it works (and a worker, and a web process)."""
        self.set_clock(datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc).replace(hour=6, minute=59,
                                                                                             second=57))
        claimed = "select count(*) from collections_scheduledrun where date = %s"
        _wait(f"the cycle of {day} to start", lambda: _query(self.url, claimed, [day])[0][0] > 0, 120, self.procs)
        time.sleep(self.rng.uniform(0, 0.5))
        leader = self.leader()
        if leader is not None:
            self.kill(leader, f"leading the cycle of {day}")
        self.kill_random("worker", f"cycle of {day}")
        self.kill_random("web", f"cycle of {day}")
        finished = "select count(*) from collections_scheduledrun where date = %s and finished_at is not null"
        orgs = _query(self.url, "select count(*) from orgs_organization")[0][0]
        _wait(f"every cycle of {day} to finish", lambda: _query(self.url, finished, [day])[0][0] == orgs, 180,
              self.procs)

    def deliver_day(self, day: date) -> None:
        """09:00: the send window opens; kill a worker, the leading scheduler and a web process as messages go."""
        self.set_clock(datetime(day.year, day.month, day.day, 8, 59, 57, tzinfo=timezone.utc))
        sent = "select count(*) from messaging_message where status = 'sent' and sent_at::date = %s"
        _wait(f"the first message of {day} to go", lambda: _query(self.url, sent, [day])[0][0] > 0, 120, self.procs)
        time.sleep(self.rng.uniform(0, 0.4))
        self.kill_random("worker", f"delivering on {day}")
        leader = self.leader()
        if leader is not None and self.rng.random() < 0.5:
            self.kill(leader, f"delivering on {day}")
        self.kill_random("web", f"delivering on {day}")
        self.settle()

    def settle(self) -> None:
        """Wait until nothing is due or being sent; a claim left by a killed worker is taken back after
        the reclaim time (10 minutes), so move the clock on when only such claims remain."""
        deadline = time.monotonic() + 240
        quiet_since = None
        while time.monotonic() < deadline:
            now = self.now()
            due, sending = _query(self.url, """
                select count(*) filter (where status = 'queued' and next_attempt_at <= %s),
                       count(*) filter (where status = 'sending') from messaging_message""", [now])[0]
            if due == 0 and sending == 0:
                return
            if due == 0:  # only claims: in flight, or orphaned by a kill
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since > 4:
                    self.set_clock(now + timedelta(minutes=11))
                    quiet_since = None
            time.sleep(0.3)
        pytest.fail("the outbox never settled")


class Prober(threading.Thread):
    """Asks nginx for /healthz all along: a killed web process must never show."""

    def __init__(self, client: Client):
        super().__init__(daemon=True)
        self.client, self.answers, self.failures = client, 0, []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.25):
            try:
                status, _, body = self.client.request("GET", "/healthz")
            except OSError as exc:
                self.failures.append(repr(exc))
                continue
            self.answers += 1
            if status != 200:
                self.failures.append(f"{status}: {body[:200]}")


def test_the_documented_production_setup_survives_two_days_of_random_kills(smtp_server, tmp_path):  # noqa: F811
    require("nginx", shutil.which("nginx") is not None, "apt-get install nginx")
    require("openssl", shutil.which("openssl") is not None, "apt-get install openssl")
    recoup_bin = ROOT / ".venv" / "bin" / "recoup"
    require("the project's .venv", recoup_bin.exists(), f"{recoup_bin} (make venv)")
    seed = int(os.environ.get("RECOUP_CHAOS_SEED", secrets.randbelow(10**6)))
    print(f"RECOUP_CHAOS_SEED={seed}")
    rng = random.Random(seed)

    admin, s = _admin()
    prod, ref = f"{s['NAME']}_prod", f"{s['NAME']}_ref"
    for name in (prod, ref):
        admin.execute(f'drop database if exists "{name}" with (force)')
    admin.execute(f'create database "{prod}"')
    var, backups, web_ports = tmp_path / "var", tmp_path / "backups", [free_port(), free_port()]
    https_port, http_port = free_port(), free_port()
    clock = tmp_path / "clock"
    write_clock(clock, datetime(2026, 3, 3, 5, 0, tzinfo=timezone.utc))  # before the first cycle time

    # docs/deploy.md, One machine, step 5: the settings file from the example, every CHANGE-ME changed.
    settings = read_env_file(DEPLOY / "recoup.env.example")
    settings.update({
        "RECOUP_DATABASE_URL": _url(s, prod), "RECOUP_SECRET_KEY": secrets.token_urlsafe(50),
        "RECOUP_BASE_URL": f"https://{HOST}:{https_port}", "RECOUP_ALLOWED_HOSTS": HOST,
        "RECOUP_VAR_DIR": str(var), "RECOUP_BACKUP_DIR": str(backups),
        "RECOUP_EMAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}", "RECOUP_METRICS_TOKEN": secrets.token_urlsafe(24),
        # Testing aids: the simulated clock, and passes and beats every second instead of every minute.
        "RECOUP_CLOCK_FILE": str(clock), "RECOUP_SCHEDULER_INTERVAL": "1", "RECOUP_HEARTBEAT_SECONDS": "1",
        # The first day's forty customers are split into parts the three workers run (killed as they do).
        "RECOUP_CYCLE_PART_SIZE": "15",
    })
    assert not [k for k, v in settings.items() if "CHANGE-ME" in v]
    env_file = tmp_path / "recoup.env"
    write_env_file(env_file, settings)
    # PYTHONPATH: this checkout's code, as the reference run below uses (the venv's editable install
    # may point at another checkout).
    ctl_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "RECOUP_ENV_FILE": str(env_file),
               "RECOUP_HOME": str(ROOT), "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}

    def ctl(*argv: str) -> str:
        done = subprocess.run(list(argv), env=ctl_env, cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, f"{' '.join(argv)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    # Step 6, as written: upgrade, the first organization and its owner, the deployment check.
    steps = documented_steps("One machine", "recoup-ctl")
    assert [step[1] for step in steps] == ["upgrade", "org", "org", "check"]
    for step in steps:
        ctl(*step)
    password = next(w for w in steps[2] if "CHANGE-ME" in w)
    customers, invoices = _ledger_files(tmp_path)
    ctl(steps[0][0], "import", "customers", str(customers), "--org", "acme")
    ctl(steps[0][0], "import", "invoices", str(invoices), "--org", "acme")

    # The reference: one scheduler, nothing killed, on a copy of the same database.
    admin.execute(f'create database "{ref}" template "{prod}"')
    ref_env = {**os.environ, **settings, "RECOUP_DATABASE_URL": _url(s, ref), "RECOUP_EMAIL_URL": "file://",
               "RECOUP_VAR_DIR": str(tmp_path / "ref"), "DJANGO_SETTINGS_MODULE": "recoup.settings"}
    ref_env.pop("RECOUP_CLOCK_FILE")
    ref_env["RECOUP_CYCLE_PART_SIZE"] = "0"  # the reference runs each day whole, in one process
    done = subprocess.run([sys.executable, "-c", REFERENCE], env=ref_env, cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]

    # Steps 7 and 8: the units (2 web, 3 workers, 3 schedulers) and nginx with the shipped site.
    units = {p.name: read_unit(p) for p in (DEPLOY / "systemd").glob("*.service")}
    procs = []
    for kind, unit, instances in (("web", "recoup-web@.service", [str(p) for p in web_ports]),
                                  ("worker", "recoup-worker@.service", ["1", "2", "3"]),
                                  ("scheduler", "recoup-scheduler.service", ["", "", ""])):
        for n, instance in enumerate(instances, 1):
            name = f"{kind}@{instance or n}"
            procs.append(Proc(name, kind, units[unit].command(instance), unit_env(units[unit], settings, var),
                              tmp_path / f"{name}.log"))
    cert, key = self_signed_cert(tmp_path, HOST)
    conf = nginx_config(tmp_path, web_ports=web_ports, http_port=http_port, https_port=https_port, cert=cert, key=key)
    tested = subprocess.run(["nginx", "-t", "-c", str(conf), "-p", str(tmp_path)], capture_output=True, text=True)
    assert tested.returncode == 0, tested.stderr
    nginx = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(tmp_path)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    supervisor = Supervisor(procs)
    client = Client(https_port, HOST, cert)
    prober = Prober(client)
    site = Site(_url(s, prod), clock, procs, rng)
    try:
        for proc in procs:
            proc.start()
        supervisor.start()
        _wait("the web processes", lambda: all(_answers(client, "/healthz") for _ in range(2)), 120, procs)
        beating = "select count(*) from ops_heartbeat where beat_at > now() - interval '5 seconds'"
        _wait("six workers and schedulers beating", lambda: _query(site.url, beating)[0][0] >= 6, 120, procs)
        prober.start()

        for day in (D1, D2):
            site.run_day(day)
            site.deliver_day(day)

        # The end of the second morning: everything running again, and ready.
        site.set_clock(datetime(2026, 3, 4, 9, 40, tzinfo=timezone.utc))
        _wait("every process running again", lambda: all(p.alive for p in procs), 60, procs)
        token = {"Authorization": f"Bearer {settings['RECOUP_METRICS_TOKEN']}"}
        ready = _wait("/readyz to be green", lambda: _ready(client, token), 90, procs)
        prober.stop.set()
        prober.join()

        # Through nginx: plain HTTP redirects, the owner the doc created logs in, no red banner, metrics answer.
        assert _plain_http_redirects(http_port)
        assert client.log_in("alice", password) == 302
        status, _, dashboard = client.request("GET", "/o/acme/")
        assert status == 200 and "Dashboard" in dashboard and 'id="health-banner"' not in dashboard
        status, _, metrics = client.request("GET", "/metrics", headers=token)
        assert status == 200
    finally:
        prober.stop.set()
        supervisor.stop()
        for proc in procs:
            proc.stop()
        nginx.terminate()
        nginx.wait(timeout=30)

    # Every step decided once, and as the undisturbed reference decided it.
    decided = _decisions(site.url)
    assert decided == _decisions(_url(s, ref))
    assert len({d[:4] for d in decided}) == len(decided)
    assert {d[4] for d in decided} == {D1, D2}
    # The first day went to the workers in parts (a worker killed as they ran), and came out the same.
    parts = _query(site.url, "select count(*), count(finished_at) from collections_cyclepart")[0]
    assert parts[0] >= 3 and parts[0] == parts[1], parts
    # Every message sent, and recorded sent once.
    messages = _query(site.url, "select message_id, status, attempts from messaging_message where direction = 'out'")
    reference = _query(_url(s, ref), "select count(*) from messaging_message where direction = 'out'")[0][0]
    assert len(messages) == reference >= CUSTOMERS
    assert {status for _, status, _ in messages} == {"sent"}
    recorded = _query(site.url, "select subject_id, count(*) from audit_auditevent where verb = 'message.sent' "
                                "group by subject_id having count(*) > 1")
    assert recorded == []
    # The mail server got each message; a second copy only of one taken back from a killed worker, same Message-ID.
    received = [m["Message-ID"] for m in smtp_server.received if m["To"] != "alice@example.com"]
    attempts = {mid: n for mid, _, n in messages}
    assert set(received) == set(attempts)
    repeats = {mid for mid in received if received.count(mid) > 1}
    assert all(attempts[mid] > 1 for mid in repeats), repeats
    digests = [m["Subject"] for m in smtp_server.received if m["To"] == "alice@example.com"]
    assert len(digests) == len(set(digests))  # each day's digest at most once
    # The kills happened, nginx answered every probe, and the restarted processes came back.
    assert any("leading the cycle" in when for _, when in site.kills), site.kills
    assert sum(p.restarts for p in procs) >= len(site.kills) >= 6, site.kills
    assert prober.answers > 20 and prober.failures == [], (prober.failures, site.kills)
    assert all(check["ok"] for check in ready["checks"].values()), ready
    print(f"kills: {site.kills}; repeats at the mail server: {len(repeats)}; messages: {len(messages)}")
    for name in (prod, ref):
        admin.execute(f'drop database if exists "{name}" with (force)')
    admin.close()


def _serves(proc: Proc) -> bool:
    """Whether a web process answers on its own port (alive is not enough: it may still be starting)."""
    import http.client

    if not proc.alive:
        return False
    try:
        conn = http.client.HTTPConnection("127.0.0.1", int(proc.name.split("@")[1]), timeout=5)
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False


def _answers(client: Client, path: str) -> bool:
    try:
        return client.request("GET", path)[0] == 200
    except OSError:
        return False


def _ready(client: Client, token: dict) -> dict | None:
    import json

    try:
        status, _, body = client.request("GET", "/readyz", headers=token)
    except OSError:
        return None
    return json.loads(body) if status == 200 else None


def _plain_http_redirects(port: int) -> bool:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/o/acme/", headers={"Host": HOST})
    response = conn.getresponse()
    return response.status == 301 and response.getheader("Location") == f"https://{HOST}/o/acme/"

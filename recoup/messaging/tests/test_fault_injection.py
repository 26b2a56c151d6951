"""Delivery workers killed with SIGKILL at random moments lose nothing; repeats keep their Message-ID.

Each worker is a real `recoup deliver` process on a database file (or a fresh
PostgreSQL database) sending to an aiosmtpd server in this process. The server
answers each message after a random short pause, which widens the window in
which a kill lands between "the server has it" and "the outbox knows it".
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from django.conf import settings

from recoup.messaging.tests.conftest import SmtpSink, free_port

ROOT = Path(__file__).resolve().parents[3]
START = datetime(2026, 3, 31, 12, 0, tzinfo=timezone.utc)
MESSAGES, ROUNDS = 40, 20


class SlowSink(SmtpSink):
    def __init__(self, rng: random.Random) -> None:
        super().__init__()
        self.rng = rng

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)
        await asyncio.sleep(self.rng.uniform(0, 0.05))
        return reply


@pytest.fixture
def sink():
    from aiosmtpd.controller import Controller

    seed = int.from_bytes(os.urandom(4), "big")
    server = SlowSink(random.Random(seed))
    server.seed = seed
    controller = Controller(server, hostname="127.0.0.1", port=free_port())
    controller.start()
    server.port = controller.port
    yield server
    controller.stop()


def _postgres_database():
    """A fresh database on the server of RECOUP_DATABASE_URL; yields its URL, drops it afterwards."""
    import psycopg

    db = settings.DATABASES["default"]
    name = f"recoup_faults_{uuid.uuid4().hex[:8]}"
    admin = dict(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"],
                 password=db["PASSWORD"] or None, dbname="postgres", autocommit=True)
    with psycopg.connect(**admin) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    yield f"postgres://{auth}@{admin['host']}:{admin['port']}/{name}"
    with psycopg.connect(**admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'faults.sqlite3'}"
    else:
        yield from _postgres_database()


def test_killed_delivery_workers_lose_no_message(sink, database_url, tmp_path):
    env = {**os.environ, "RECOUP_DATABASE_URL": database_url, "RECOUP_VAR_DIR": str(tmp_path),
           "RECOUP_EMAIL_URL": f"smtp://127.0.0.1:{sink.port}", "RECOUP_SECRET_KEY": "faults",
           "RECOUP_DEFAULT_FROM_EMAIL": "collections@recoup.example", "DJANGO_SETTINGS_MODULE": "recoup.settings"}

    def run(*args: str, timeout: float = 120) -> str:
        done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=timeout)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    run("-m", "recoup.cli", "migrate", "-v0")
    run("-m", "recoup.messaging.tests.faultload", "setup", str(MESSAGES))

    rng, killed = random.Random(sink.seed), 0
    for i in range(ROUNDS):
        # Each round is 4 minutes later, so claims left by killed workers go stale and are taken back.
        now = (START + timedelta(minutes=4 * i)).isoformat()
        worker = subprocess.Popen([sys.executable, "-m", "recoup.cli", "deliver", "--now", now, "--limit", "4"],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            worker.wait(timeout=rng.uniform(0.3, 0.7))
        except subprocess.TimeoutExpired:
            worker.send_signal(signal.SIGKILL)
            worker.wait()
            killed += 1
    run("-m", "recoup.cli", "deliver", "--now", (START + timedelta(hours=3)).isoformat())

    messages = json.loads(run("-m", "recoup.messaging.tests.faultload", "report"))
    received = Counter(m["Message-ID"] for m in sink.received)
    context = f"seed {sink.seed}, {killed} workers killed, received {sum(received.values())}"
    assert killed > 0, context
    assert [m["status"] for m in messages] == ["sent"] * MESSAGES, context
    assert set(received) == {m["message_id"] for m in messages}, context  # each at least once, nothing else
    subjects = {m["message_id"]: m["subject"] for m in messages}
    for mail in sink.received:  # a repeat is the same message under the same Message-ID
        assert mail["Subject"] == subjects[mail["Message-ID"]], context
